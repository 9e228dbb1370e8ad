package servicebinding

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestAFailedSecretWriteIsRetriedFromMemory(t *testing.T) {
	f := newFixture(t, nil)
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return credentialsAnswer(), nil })
	failures := 1
	f.Kube.PrependReactor("create", "secrets", func(clienttesting.Action) (bool, runtime.Object, error) {
		if failures > 0 {
			failures--
			return true, nil, apierrors.NewInternalError(errors.New("etcd is unwell"))
		}
		return false, nil, nil
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("a failed Secret write must be retried")
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorInjectingBindResult)
	if b.Status.CurrentOperation != v1beta1.ServiceBindingOperationBind || b.Status.ExternalProperties == nil {
		t.Errorf("status does not say the broker holds the binding: %+v", b.Status)
	}
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind) // no second bind
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	if s := f.secret(); s == nil || string(s.Data["password"]) != testPassword {
		t.Errorf("Secret %+v", s)
	}
}

func TestLostCredentialsAreFetchedAgain(t *testing.T) {
	f := newFixture(t, pending)
	f.OSB.SetGetBindingReaction(func(ctx context.Context, r *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		if r.BindingID != "binding-id" || r.InstanceID != "instance-id" {
			t.Errorf("get binding %+v", r)
		}
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationGetBinding)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	if s := f.secret(); s == nil || string(s.Data["password"]) != testPassword {
		t.Errorf("Secret %+v", s)
	}
}

func TestLostCredentialsOfAnUnretrievableBindingMeanUnbindAndBindAgain(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		pending(o)
		o.class.Spec.BindingsRetrievable = false
	})
	f.OSB.SetUnbindReaction(func(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		if r.OriginatingIdentity != nil || r.AcceptsIncomplete || r.ServiceID != "svc-id" || r.PlanID != "plan-id" {
			t.Errorf("unbind request %+v", r)
		}
		return &osb.UnbindResponse{}, nil
	})
	f.OSB.SetBindReaction(func(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
		if r.AcceptsIncomplete {
			t.Errorf("accepts_incomplete sent for an offering that is not bindings_retrievable")
		}
		return credentialsAnswer(), nil
	})
	if _, err := f.Sync(); err != nil { // starts orphan mitigation
		t.Fatal(err)
	}
	if b := f.binding(); !b.Status.OrphanMitigationInProgress {
		t.Fatalf("status %+v", b.Status)
	}
	if _, err := f.Sync(); err != nil { // unbinds
		t.Fatal(err)
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.BindResultLost)
	if b.Status.OrphanMitigationInProgress || b.Status.UnbindStatus != v1beta1.ServiceBindingUnbindStatusNotRequired || b.Status.Attempts.NextAttemptTime != nil {
		t.Errorf("status after the unbind %+v", b.Status)
	}
	if _, err := f.Sync(); err != nil { // binds again
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationUnbind, osb.OperationBind)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}

func TestAnOwnedSecretFinishesAnInterruptedBind(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.binding.Status.CurrentOperation = v1beta1.ServiceBindingOperationBind
		o.binding.Status.InProgressProperties = &v1beta1.PropertiesState{ParameterChecksum: "sum"}
		o.binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusRequired
		s, err := buildSecret(context.Background(), fake.NewClientset().CoreV1(), o.binding, map[string]any{"password": testPassword}, "redis", "the-broker")
		if err != nil {
			t.Fatal(err)
		}
		o.kube = append(o.kube, s)
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls() // the broker answered before; its credentials are in the Secret
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
}
