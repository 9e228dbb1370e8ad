package servicebinding

import (
	"context"
	"reflect"
	"testing"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestAFirstBindWritesTheSecretThenTheStatus(t *testing.T) {
	f := newFixture(t, nil)
	before := f.binding().Status
	f.OSB.SetBindReaction(func(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
		// A first attempt is written down with its answer: nothing before it is sent.
		if b := f.binding(); !reflect.DeepEqual(b.Status, before) {
			t.Errorf("status when the bind was sent: %+v", b.Status)
		}
		return credentialsAnswer(), nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind)
	r := looptest.Request[osb.BindRequest](f.Env, osb.OperationBind, 0)
	if r.BindingID != "binding-id" || r.InstanceID != "instance-id" || r.ServiceID != "svc-id" || r.PlanID != "plan-id" || !r.AcceptsIncomplete ||
		r.Context == nil || r.Context.Namespace != "ns" || r.Context.ClusterID != "cluster-id" || r.BindResource == nil || r.BindResource.AppGUID != "ns-uid" ||
		r.OriginatingIdentity == nil || r.OriginatingIdentity.Username != "alice" {
		t.Errorf("bind request %+v", r)
	}
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	if b.Status.Binding == nil || b.Status.Binding.Name != "db-creds" || b.Status.CurrentOperation != "" || b.Status.ExternalProperties == nil {
		t.Errorf("status %+v", b.Status)
	}
	s := f.secret()
	if s == nil || string(s.Data["password"]) != testPassword || string(s.Data["port"]) != "6379" || string(s.Data["type"]) != "redis" ||
		string(s.Data["provider"]) != "the-broker" || s.Type != "servicebinding.io/redis" {
		t.Errorf("Secret %+v", s)
	}
	// Done: nothing more happens.
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind)
}

func TestANotBindablePlanFails(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.Bindable = false })
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls()
	b := f.wantReady(metav1.ConditionFalse, conditions.ErrorNonbindableServiceClass)
	if !apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed) || b.Status.UnbindStatus != v1beta1.ServiceBindingUnbindStatusNotRequired {
		t.Errorf("status %+v", b.Status)
	}
}

func TestABindingWaitsForItsInstance(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationUpdate
	})
	result, err := f.Sync()
	if err != nil || result.RequeueAfter != 0 {
		t.Fatalf("sync: %+v, %v; instance events wake the binding up", result, err)
	}
	f.WantCalls()
	f.wantReady(metav1.ConditionFalse, conditions.ErrorInstanceNotReady)
}

func TestBindFailuresFollowTheTable(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		reason    string
		failed    bool
		mitigated bool
		unbind    v1beta1.ServiceBindingUnbindStatus
	}{
		{"500", &osb.HTTPStatusCodeError{StatusCode: 500}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"timeout", &osb.TransportError{Timeout: true, MaybeReceived: true}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"204", &osb.UnexpectedStatusError{StatusCode: 204}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"malformed 201", &osb.MalformedResponseError{StatusCode: 201}, conditions.OrphanMitigationInProgress, false, true, v1beta1.ServiceBindingUnbindStatusRequired},
		{"malformed 200", &osb.MalformedResponseError{StatusCode: 200}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusRequired},
		{"400", &osb.HTTPStatusCodeError{StatusCode: 400, Description: "no"}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusNotRequired},
		{"409", &osb.HTTPStatusCodeError{StatusCode: 409}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusRequired},
		{"422 RequiresApp", &osb.HTTPStatusCodeError{StatusCode: 422, ErrorCode: "RequiresApp"}, conditions.BindFailed, true, false, v1beta1.ServiceBindingUnbindStatusNotRequired},
		{"422 ConcurrencyError", &osb.HTTPStatusCodeError{StatusCode: 422, ErrorCode: "ConcurrencyError"}, conditions.BrokerBusy, false, false, v1beta1.ServiceBindingUnbindStatusRequired},
		{"408", &osb.HTTPStatusCodeError{StatusCode: 408}, conditions.BindCallFailed, false, false, v1beta1.ServiceBindingUnbindStatusRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return nil, tc.err })
			if _, err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			b := f.wantReady(metav1.ConditionFalse, tc.reason)
			if b.Status.OrphanMitigationInProgress != tc.mitigated || apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed) != tc.failed ||
				b.Status.UnbindStatus != tc.unbind {
				t.Errorf("status %+v", b.Status)
			}
		})
	}
}
