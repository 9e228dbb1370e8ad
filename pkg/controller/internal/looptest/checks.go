package looptest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
)

// Expect reports, and lets the test go on, when got differs from want: what names what
// is compared, and the report shows the difference.
func Expect(t testing.TB, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

// Require is Expect that stops the test.
func Require(t testing.TB, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		t.Fatalf("%s (-want +got):\n%s", what, diff)
	}
}

// WantReady checks an object's Ready condition: status and reason, observed at the
// object's generation. It stops the test otherwise.
func WantReady(t testing.TB, conditions []metav1.Condition, generation int64, status metav1.ConditionStatus, reason string) {
	t.Helper()
	type ready struct {
		Status             metav1.ConditionStatus
		Reason             string
		ObservedGeneration int64
	}
	c := apimeta.FindStatusCondition(conditions, v1beta1.ConditionReady)
	if c == nil {
		t.Fatalf("no Ready condition, want %s %s; conditions %v", status, reason, conditions)
	}
	if diff := cmp.Diff(ready{status, reason, generation}, ready{c.Status, c.Reason, c.ObservedGeneration}); diff != "" {
		t.Fatalf("Ready condition (-want +got):\n%s\nmessage: %q", diff, c.Message)
	}
}

// ConditionState is a condition's status and reason, as tests compare them.
type ConditionState struct {
	Status metav1.ConditionStatus
	Reason string
}

// StateOf returns the status and reason of the condition of type conditionType; a missing
// condition has neither.
func StateOf(conditions []metav1.Condition, conditionType string) ConditionState {
	if c := apimeta.FindStatusCondition(conditions, conditionType); c != nil {
		return ConditionState{c.Status, c.Reason}
	}
	return ConditionState{}
}

// ReadyMessage returns the message of the Ready condition, or "".
func ReadyMessage(conditions []metav1.Condition) string {
	if c := apimeta.FindStatusCondition(conditions, v1beta1.ConditionReady); c != nil {
		return c.Message
	}
	return ""
}

// WantEvents checks the reasons of the events recorded since the last check, and returns
// the events.
func (e *Env) WantEvents(reasons ...string) []string {
	e.T.Helper()
	var events, got []string
	for {
		select {
		case event := <-e.Recorder.Events:
			events = append(events, event)
			got = append(got, strings.Fields(event)[1])
			continue
		default:
		}
		break
	}
	if !slices.Equal(got, reasons) {
		e.T.Fatalf("events %q, want reasons %v", events, reasons)
	}
	return events
}

// Writes returns the writes to the catalog API since the last check, as "verb
// resource[/subresource] name", in order.
func (e *Env) Writes() []string {
	var out []string
	for _, a := range e.writes() {
		what := a.GetResource().Resource
		if a.GetSubresource() != "" {
			what += "/" + a.GetSubresource()
		}
		out = append(out, a.GetVerb()+" "+what+" "+name(a))
	}
	return out
}

// WantWrites checks the writes to the catalog API since the last check, in any order (see
// Writes), and forgets them.
func (e *Env) WantWrites(want ...string) {
	e.T.Helper()
	got := e.Writes()
	e.ForgetWrites()
	slices.Sort(got)
	want = slices.Clone(want)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		e.T.Fatalf("writes %q, want %q", got, want)
	}
}

// WantWritesOf checks the writes of one resource since the last check, in order: "status"
// for an update of the status, else the verb ("update", "patch", "create", "delete"). It
// forgets every write.
func (e *Env) WantWritesOf(resource string, want ...string) {
	e.T.Helper()
	var got []string
	for _, a := range e.writes() {
		switch {
		case a.GetResource().Resource != resource:
		case a.GetVerb() == "update" && a.GetSubresource() == "status":
			got = append(got, "status")
		default:
			got = append(got, a.GetVerb())
		}
	}
	e.ForgetWrites()
	if !slices.Equal(got, want) {
		e.T.Fatalf("%s writes %v, want %v", resource, got, want)
	}
}

// ForgetWrites forgets the writes so far: the next check sees only later ones.
func (e *Env) ForgetWrites() { e.Catalog.ClearActions() }

// writes returns the actions of the catalog API that write.
func (e *Env) writes() []clienttesting.Action {
	var out []clienttesting.Action
	for _, a := range e.Catalog.Actions() {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		}
		out = append(out, a)
	}
	return out
}

// name returns the name of the object an action writes.
func name(a clienttesting.Action) string {
	switch a := a.(type) {
	case interface{ GetObject() runtime.Object }: // a create or an update
		if m, err := apimeta.Accessor(a.GetObject()); err == nil {
			return m.GetName()
		}
	case interface{ GetName() string }: // a delete or a patch
		return a.GetName()
	}
	return "?"
}

// WantRequeue checks that a sync's result asks to sync again after d.
func (e *Env) WantRequeue(result controller.Result, d time.Duration) {
	e.T.Helper()
	if result.RequeueAfter != d {
		e.T.Fatalf("RequeueAfter %s, want %s", result.RequeueAfter, d)
	}
}

// Requeued tells whether a result asks to sync again, at once or later.
func Requeued(result controller.Result) bool {
	return result.Requeue || result.RequeueAfter > 0
}

// BackoffWait is a backoff wait of d from now as a loop keeps it in status: the next
// attempt's time is stored in whole seconds, rounded up.
func BackoffWait(now time.Time, d time.Duration) time.Duration {
	return now.Add(d).Truncate(time.Second).Add(time.Second).Sub(now)
}
