package servicebinding

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestPollingAnAsyncBind(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		key := "bind/1"
		return &osb.BindResponse{Async: true, OperationKey: &key}, nil
	})
	next := looptest.Answers[osb.LastOperationResponse](t, osb.OperationBindingLastOperation,
		&osb.LastOperationResponse{State: osb.StateInProgress, RetryAfter: 7 * time.Second},
		// A 410 while binding is not an answer: polling goes on.
		&osb.HTTPStatusCodeError{StatusCode: 410},
		&osb.LastOperationResponse{State: osb.StateSucceeded},
	)
	f.OSB.SetPollBindingLastOperationReaction(func(_ context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		key := "bind/1"
		looptest.Expect(t, "operation key polled", &key, r.OperationKey)
		return next()
	})
	f.OSB.SetGetBindingReaction(func(context.Context, *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if result := f.MustSync(); result.RequeueAfter <= 0 {
		t.Fatalf("bind: RequeueAfter %s, want a poll later", result.RequeueAfter)
	}
	type polled struct {
		Async        bool
		OperationKey string
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.Binding)
	looptest.Require(t, "status", polled{true, "bind/1"}, polled{b.Status.AsyncOpInProgress, b.Status.OperationKey})
	f.Clock.Step(time.Second)
	f.WantRequeue(f.MustSync(), 7*time.Second) // in progress: the broker's Retry-After
	f.WantRequeue(f.MustSync(), 7*time.Second) // an event does not bring the poll forward
	f.Clock.Step(7 * time.Second)
	if result := f.MustSync(); result.RequeueAfter <= 0 {
		t.Fatalf("410: RequeueAfter %s, want polling to go on", result.RequeueAfter)
	}
	f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	f.Clock.Step(time.Minute)
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind, osb.OperationBindingLastOperation, osb.OperationBindingLastOperation, osb.OperationBindingLastOperation, osb.OperationGetBinding)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

func TestAnAsyncBindPastTheMaximumPollingDurationIsCleanedUp(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		return &osb.BindResponse{Async: true}, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Clock.Step(2 * time.Hour) // the fixture's MaxPollingDuration is an hour
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	b := f.binding()
	type mitigating struct{ Mitigating, Async bool }
	looptest.Require(t, "status", mitigating{true, false}, mitigating{b.Status.OrphanMitigationInProgress, b.Status.AsyncOpInProgress})
	looptest.Expect(t, "orphan mitigation reason", conditions.OperationTimedOut,
		looptest.StateOf(b.Status.Conditions, v1beta1.ConditionOrphanMitigation).Reason)
	f.WantCalls(osb.OperationBind) // no poll after the deadline
}

// A 410 Gone while polling an unbind means the broker deleted the binding: the unbind is
// done, the Secret goes and the binding is released.
func TestA410WhilePollingAnUnbindMeansItIsDone(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		bound(o)
		o.binding.DeletionTimestamp = &metav1.Time{Time: looptest.Start}
		s, err := buildSecret(context.Background(), fake.NewClientset().CoreV1(), o.binding, map[string]any{"password": testPassword}, "redis", "the-broker")
		if err != nil {
			t.Fatal(err)
		}
		o.kube = append(o.kube, s)
	})
	f.OSB.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		key := "unbind/1"
		return &osb.UnbindResponse{Async: true, OperationKey: &key}, nil
	})
	f.OSB.SetPollBindingLastOperationReaction(func(_ context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		key := "unbind/1"
		looptest.Expect(t, "operation key polled", &key, r.OperationKey)
		return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
	})
	f.WantRequeue(f.MustSync(), time.Second)
	b := f.wantReady(metav1.ConditionFalse, conditions.Unbinding)
	looptest.Require(t, "polling the unbind", true, b.Status.AsyncOpInProgress)
	if f.secret() == nil {
		t.Fatal("the Secret was deleted before the broker finished the unbind")
	}
	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationUnbind, osb.OperationBindingLastOperation)
	if f.secret() != nil {
		t.Errorf("the Secret outlived the binding")
	}
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v, want none: the binding is released", b.Finalizers)
	}
}
