package servicebinding

import (
	"context"
	"testing"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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
	f.OSB.SetPollBindingLastOperationReaction(func(ctx context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
		if r.OperationKey == nil || *r.OperationKey != "bind/1" {
			t.Errorf("poll without the operation key: %+v", r)
		}
		return next()
	})
	f.OSB.SetGetBindingReaction(func(context.Context, *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if result, err := f.Sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("bind: %+v, %v", result, err)
	}
	if b := f.wantReady(metav1.ConditionFalse, conditions.Binding); !b.Status.AsyncOpInProgress || b.Status.OperationKey != "bind/1" {
		t.Fatalf("status %+v", b.Status)
	}
	if result, err := f.Sync(); err != nil || result.RequeueAfter != 7*time.Second {
		t.Fatalf("in progress: %+v, %v; want the broker's Retry-After", result, err)
	}
	if result, err := f.Sync(); err != nil || result.RequeueAfter <= 0 {
		t.Fatalf("410: %+v, %v; want polling to go on", result, err)
	}
	f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
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
	if !b.Status.OrphanMitigationInProgress || b.Status.AsyncOpInProgress {
		t.Fatalf("status %+v", b.Status)
	}
	if c := apimeta.FindStatusCondition(b.Status.Conditions, v1beta1.ConditionOrphanMitigation); c == nil || c.Reason != conditions.OperationTimedOut {
		t.Errorf("orphan mitigation condition %+v", c)
	}
	f.WantCalls(osb.OperationBind) // no poll after the deadline
}
