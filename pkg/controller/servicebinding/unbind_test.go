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

func TestDeletionUnbindsThenDeletesTheSecretThenReleases(t *testing.T) {
	now := metav1.NewTime(looptest.Start)
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
		o.binding.Status.ExternalProperties = &v1beta1.PropertiesState{ParameterChecksum: "sum"}
		o.binding.Status.Binding = &v1beta1.LocalObjectReference{Name: "db-creds"}
		o.binding.Spec.UserInfo = &v1beta1.UserInfo{Username: "bob", UID: "bob-uid"}
		s, err := buildSecret(context.Background(), fake.NewClientset().CoreV1(), o.binding, map[string]any{"password": testPassword}, "redis", "the-broker")
		if err != nil {
			t.Fatal(err)
		}
		o.kube = append(o.kube, s)
	})
	f.OSB.SetUnbindReaction(func(_ context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		if f.secret() == nil {
			t.Errorf("the Secret was deleted before the unbind")
		}
		type sent struct {
			User              string
			AcceptsIncomplete bool
		}
		looptest.Expect(t, "unbind request", sent{"bob", true}, sent{looptest.Username(r.OriginatingIdentity), r.AcceptsIncomplete})
		return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationUnbind)
	if f.secret() != nil {
		t.Errorf("the Secret outlived the binding")
	}
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v", b.Finalizers)
	}
}

func TestDeletionRetriesAFailedUnbindLater(t *testing.T) {
	now := metav1.NewTime(looptest.Start)
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
	})
	next := looptest.Answers[osb.UnbindResponse](t, osb.OperationUnbind, &osb.HTTPStatusCodeError{StatusCode: 503}, &osb.UnbindResponse{})
	f.OSB.SetUnbindReaction(func(context.Context, *osb.UnbindRequest) (*osb.UnbindResponse, error) { return next() })
	if result := f.MustSync(); result.RequeueAfter < 30*time.Second {
		t.Fatalf("RequeueAfter %s, want at least 30s", result.RequeueAfter)
	}
	f.wantReady(metav1.ConditionFalse, conditions.UnbindCallFailed)
	// Not before the time kept in status.
	if result := f.MustSync(); result.RequeueAfter <= 0 {
		t.Fatalf("sync before the next attempt: RequeueAfter %s, want a wait", result.RequeueAfter)
	}
	f.WantCalls(osb.OperationUnbind)
	f.Clock.Step(2 * time.Minute)
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationUnbind, osb.OperationUnbind)
	if b := f.binding(); len(b.Finalizers) != 0 {
		t.Errorf("finalizers %v", b.Finalizers)
	}
}

func TestDeletingBeforeAnyBindWasRecorded(t *testing.T) {
	now := metav1.NewTime(looptest.Start)
	unrecorded := func(o *fixtureObjects) {
		o.binding.DeletionTimestamp = &now
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired // as the API server creates it
	}
	t.Run("instance provisioned: the broker is asked", func(t *testing.T) {
		// The controller may have bound and stopped before writing it down.
		f := newFixture(t, unrecorded)
		f.OSB.SetUnbindReaction(func(_ context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
			type sent struct{ BindingID, InstanceID, ServiceID, PlanID string }
			looptest.Expect(t, "unbind request", sent{"binding-id", "instance-id", "svc-id", "plan-id"}, sent{r.BindingID, r.InstanceID, r.ServiceID, r.PlanID})
			return nil, &osb.HTTPStatusCodeError{StatusCode: 410}
		})
		if _, err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.WantCalls(osb.OperationUnbind)
		if b := f.binding(); len(b.Finalizers) != 0 {
			t.Errorf("finalizers %v", b.Finalizers)
		}
	})
	t.Run("instance gone: released without a call", func(t *testing.T) {
		f := newFixture(t, func(o *fixtureObjects) {
			unrecorded(o)
			o.binding.Spec.InstanceRef.Name = "no-such-instance"
		})
		if _, err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.WantCalls()
		if b := f.binding(); len(b.Finalizers) != 0 {
			t.Errorf("finalizers %v", b.Finalizers)
		}
	})
}
