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
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
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
	type held struct {
		Current v1beta1.ServiceBindingOperation
		Known   bool
	}
	looptest.Expect(t, "status, which says that the broker holds the binding", held{v1beta1.ServiceBindingOperationBind, true},
		held{b.Status.CurrentOperation, b.Status.ExternalProperties != nil})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind) // no second bind
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "password in the Secret", testPassword, f.secretData()["password"])
}

func TestLostCredentialsAreFetchedAgain(t *testing.T) {
	f := newFixture(t, pending)
	f.OSB.SetGetBindingReaction(func(_ context.Context, r *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
		type sent struct{ BindingID, InstanceID string }
		looptest.Expect(t, "get binding request", sent{"binding-id", "instance-id"}, sent{r.BindingID, r.InstanceID})
		return &osb.GetBindingResponse{Credentials: map[string]any{"password": testPassword}}, nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationGetBinding)
	f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	looptest.Expect(t, "password in the Secret", testPassword, f.secretData()["password"])
}

func TestLostCredentialsOfAnUnretrievableBindingMeanUnbindAndBindAgain(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		pending(o)
		o.class.Spec.BindingsRetrievable = false
	})
	f.OSB.SetUnbindReaction(func(_ context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
		type sent struct {
			OriginatingIdentity *osb.OriginatingIdentity
			AcceptsIncomplete   bool
			ServiceID, PlanID   string
		}
		looptest.Expect(t, "unbind request", sent{nil, false, "svc-id", "plan-id"}, sent{r.OriginatingIdentity, r.AcceptsIncomplete, r.ServiceID, r.PlanID})
		return &osb.UnbindResponse{}, nil
	})
	f.OSB.SetBindReaction(func(_ context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
		if r.AcceptsIncomplete {
			t.Errorf("accepts_incomplete sent for an offering that is not bindings_retrievable")
		}
		return credentialsAnswer(), nil
	})
	if _, err := f.Sync(); err != nil { // starts orphan mitigation
		t.Fatal(err)
	}
	looptest.Require(t, "orphanMitigationInProgress", true, f.binding().Status.OrphanMitigationInProgress)
	if _, err := f.Sync(); err != nil { // unbinds
		t.Fatal(err)
	}
	b := f.wantReady(metav1.ConditionFalse, conditions.BindResultLost)
	type unbound struct {
		Mitigating      bool
		UnbindStatus    v1beta1.ServiceBindingUnbindStatus
		NextAttemptTime *metav1.Time
	}
	looptest.Expect(t, "status after the unbind", unbound{false, v1beta1.ServiceBindingUnbindStatusNotRequired, nil},
		unbound{b.Status.OrphanMitigationInProgress, b.Status.UnbindStatus, b.Status.Attempts.NextAttemptTime})
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
