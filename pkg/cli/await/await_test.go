package await_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kube-service-catalog/catalog/pkg/cli/await"
)

func ready(status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: "Ready", Status: status, Reason: reason, Message: reason + "."}
}

// states returns a Get that returns one state after the other, the last one again.
func states(objects ...*await.Object) await.Get {
	n := 0
	return func(context.Context) (*await.Object, error) {
		o := objects[min(n, len(objects)-1)]
		n++
		if o == nil {
			return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "serviceinstances"}, "db")
		}
		return o, nil
	}
}

func options(progress *[]string) await.Options {
	return await.Options{Interval: time.Millisecond, Timeout: time.Second, Progress: func(s string) { *progress = append(*progress, s) }}
}

// A Ready object the controller has not acted on yet (a new generation) is not done;
// each new reason is reported once.
func TestUntilReady(t *testing.T) {
	var progress []string
	stale := &await.Object{Conditions: []metav1.Condition{ready(metav1.ConditionTrue, "Old")}}
	working := &await.Object{Conditions: []metav1.Condition{ready(metav1.ConditionFalse, "Updating")}, Acted: true}
	done := &await.Object{Conditions: []metav1.Condition{ready(metav1.ConditionTrue, "Updated")}, Acted: true}
	r, err := await.UntilReady(context.Background(), options(&progress), states(stale, working, working, done))
	if err != nil || r.Message() != "Updated." {
		t.Fatalf("got %q, %v", r.Message(), err)
	}
	if strings.Join(progress, "|") != "Old: Old.|Updating: Updating." {
		t.Errorf("progress %q", progress)
	}
}

// Failed ends the wait with its message.
func TestUntilReadyFailed(t *testing.T) {
	var progress []string
	failed := &await.Object{Conditions: []metav1.Condition{ready(metav1.ConditionFalse, "ProvisionFailed"),
		{Type: "Failed", Status: metav1.ConditionTrue, Reason: "ProvisionFailed", Message: "sold out"}}, Acted: true}
	_, err := await.UntilReady(context.Background(), options(&progress), states(failed))
	if !errors.Is(err, await.ErrFailed) || !strings.Contains(err.Error(), "ProvisionFailed: sold out") {
		t.Errorf("error %v", err)
	}
}

// UntilGone reports DeleteBlocked, and ends when the object is gone; a timeout names
// what held it up last.
func TestUntilGone(t *testing.T) {
	var progress []string
	blocked := &await.Object{Conditions: []metav1.Condition{ready(metav1.ConditionTrue, "Provisioned"),
		{Type: "DeleteBlocked", Status: metav1.ConditionTrue, Reason: "DeprovisionCallFailed", Message: "refused"}}}
	if err := await.UntilGone(context.Background(), options(&progress), states(blocked, nil)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(progress, "|") != "DeprovisionCallFailed: refused" {
		t.Errorf("progress %q", progress)
	}
	opts := options(&progress)
	opts.Timeout = 10 * time.Millisecond
	err := await.UntilGone(context.Background(), opts, states(blocked))
	if err == nil || err.Error() != "timed out after 10ms; last: DeprovisionCallFailed: refused" {
		t.Errorf("timeout: %v", err)
	}
}

// A read that the deadline cuts short fails with an error of its own, as client-go's rate
// limiter does; the wait still says it timed out, with what held the object up.
func TestUntilGoneTimesOutDuringARead(t *testing.T) {
	var progress []string
	opts := options(&progress)
	opts.Timeout = 10 * time.Millisecond
	blocked := &await.Object{Conditions: []metav1.Condition{ready(metav1.ConditionFalse, "DeprovisionBlockedByExistingBindings")}}
	reads := 0
	get := func(ctx context.Context) (*await.Object, error) {
		if reads++; reads == 1 {
			return blocked, nil
		}
		<-ctx.Done()
		return nil, errors.New("rate: Wait(n=1) would exceed context deadline")
	}
	err := await.UntilGone(context.Background(), opts, get)
	if want := "timed out after 10ms; last: DeprovisionBlockedByExistingBindings: DeprovisionBlockedByExistingBindings."; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}
