package servicebinding

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestAFirstBindWritesTheSecretThenTheStatus(t *testing.T) {
	f := newFixture(t, nil)
	before := f.binding().Status
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) {
		// A first attempt is written down with its answer: nothing before it is sent.
		looptest.Expect(t, "status when the bind was sent", before, f.binding().Status)
		return credentialsAnswer(), nil
	})
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls(osb.OperationBind)
	r := looptest.Request[osb.BindRequest](f.Env, osb.OperationBind, 0)
	type sent struct {
		BindingID, InstanceID, ServiceID, PlanID string
		AcceptsIncomplete                        bool
		Namespace, ClusterID, AppGUID, User      string
	}
	got := sent{r.BindingID, r.InstanceID, r.ServiceID, r.PlanID, r.AcceptsIncomplete, "", "", "", looptest.Username(r.OriginatingIdentity)}
	if r.Context != nil {
		got.Namespace, got.ClusterID = r.Context.Namespace, r.Context.ClusterID
	}
	if r.BindResource != nil {
		got.AppGUID = r.BindResource.AppGUID
	}
	looptest.Expect(t, "bind request", sent{"binding-id", "instance-id", "svc-id", "plan-id", true, "ns", "cluster-id", "ns-uid", "alice"}, got)
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	type bound struct {
		Binding *v1beta1.LocalObjectReference
		Current v1beta1.ServiceBindingOperation
		Known   bool
	}
	looptest.Expect(t, "status", bound{&v1beta1.LocalObjectReference{Name: "db-creds"}, "", true},
		bound{b.Status.Binding, b.Status.CurrentOperation, b.Status.ExternalProperties != nil})
	s := f.secret()
	if s == nil {
		t.Fatal("no Secret")
	}
	type secret struct {
		Password, Port, Type, Provider string
		SecretType                     corev1.SecretType
	}
	looptest.Expect(t, "Secret", secret{testPassword, "6379", "redis", "the-broker", "servicebinding.io/redis"},
		secret{string(s.Data["password"]), string(s.Data["port"]), string(s.Data["type"]), string(s.Data["provider"]), s.Type})
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
	type failed struct {
		Failed       bool
		UnbindStatus v1beta1.ServiceBindingUnbindStatus
	}
	looptest.Expect(t, "status", failed{true, v1beta1.ServiceBindingUnbindStatusNotRequired},
		failed{apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed), b.Status.UnbindStatus})
}

// An offering that needs a platform feature the catalog does not serve is refused by the
// API; a binding created before the API knew the offering fails without a bind.
func TestABindingToAnOfferingThatNeedsAnUnservedFeatureFails(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) { o.class.Spec.Requires = []string{"syslog_drain", "route_forwarding"} })
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	f.WantCalls()
	b := f.wantReady(metav1.ConditionFalse, conditions.UnsupportedPlatformFeature)
	if msg := looptest.ReadyMessage(b.Status.Conditions); !strings.Contains(msg, "syslog_drain") || !strings.Contains(msg, "route_forwarding") {
		t.Errorf("Ready message %q does not name the features", msg)
	}
	looptest.Expect(t, "failed, nothing to unbind", true,
		apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed) && b.Status.UnbindStatus == v1beta1.ServiceBindingUnbindStatusNotRequired)
}

func TestABindingWaitsForItsInstance(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.instance.Status.CurrentOperation = v1beta1.ServiceInstanceOperationUpdate
	})
	// Instance events wake the binding up.
	looptest.Require(t, "result", controller.Result{}, f.MustSync())
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
			type failed struct {
				Mitigating, Failed bool
				UnbindStatus       v1beta1.ServiceBindingUnbindStatus
			}
			looptest.Expect(t, "status", failed{tc.mitigated, tc.failed, tc.unbind},
				failed{b.Status.OrphanMitigationInProgress, apimeta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionFailed), b.Status.UnbindStatus})
		})
	}
}
