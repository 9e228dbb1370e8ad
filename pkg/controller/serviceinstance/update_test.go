package serviceinstance

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func newParameters(s *v1beta1.ServiceInstanceSpec) {
	s.Parameters = &runtime.RawExtension{Raw: []byte(`{"size":5}`)}
}

func newPlan(s *v1beta1.ServiceInstanceSpec) { s.ClusterServicePlanExternalName = "large" }

func TestUpdateSendsWhatChanged(t *testing.T) {
	allParams := map[string]any{"size": json.Number("5"), "password": testPassword}
	sameParams := map[string]any{"size": json.Number("3"), "password": testPassword}
	for _, tc := range []struct {
		name       string
		change     func(*v1beta1.ServiceInstanceSpec)
		wantPlan   string // "" for none
		wantParams map[string]any
		nowPlan    string
	}{
		{"parameters only", newParameters, "", allParams, "plan-small-id"},
		{"plan only", newPlan, "plan-large-id", nil, "plan-large-id"},
		{"plan and parameters", func(s *v1beta1.ServiceInstanceSpec) { newPlan(s); newParameters(s) }, "plan-large-id", allParams, "plan-large-id"},
		// The user asks for the parameters to be applied again.
		{"updateRequests bumped", func(s *v1beta1.ServiceInstanceSpec) { s.UpdateRequests++ }, "", sameParams, "plan-small-id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var wantProps *v1beta1.ServiceInstancePropertiesState
			f := newFixture(t, provisioned, func(o *fixtureObjects) {
				changeSpec(o, tc.change)
				o.instance.Spec.UserInfo = bob() // the user who changed the spec
				plan := o.small
				if tc.wantPlan != "" {
					plan = o.large
				}
				wantProps = o.props(plan, bob())
			})
			f.OSB.SetUpdateReaction(func(ctx context.Context, r *osb.UpdateRequest) (*osb.UpdateResponse, error) {
				i := f.instance()
				if i.Status.CurrentOperation != v1beta1.ServiceInstanceOperationUpdate || !reflect.DeepEqual(i.Status.InProgressProperties, wantProps) ||
					i.Status.ObservedGeneration != 2 || i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-small-id" {
					t.Errorf("status when the update was sent: %+v", i.Status)
				}
				return updated200(), nil
			})
			f.MustSync()
			f.WantCalls(osb.OperationUpdate)
			r := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0)
			if tc.wantPlan == "" && r.PlanID != nil || tc.wantPlan != "" && (r.PlanID == nil || *r.PlanID != tc.wantPlan) {
				t.Errorf("plan_id %v, want %q", r.PlanID, tc.wantPlan)
			}
			if !reflect.DeepEqual(r.Parameters, tc.wantParams) {
				t.Errorf("parameters %#v, want %#v", r.Parameters, tc.wantParams)
			}
			wantContext := &osb.Context{Platform: osb.PlatformKubernetes, Namespace: "ns", ClusterID: "cluster-id", InstanceName: "db"}
			if r.InstanceID != "instance-id" || r.ServiceID != "svc-id" || !r.AcceptsIncomplete || !reflect.DeepEqual(r.Context, wantContext) ||
				r.PreviousValues == nil || r.PreviousValues.PlanID != "plan-small-id" || r.PreviousValues.ServiceID != "svc-id" ||
				r.OriginatingIdentity == nil || r.OriginatingIdentity.Username != "bob" {
				t.Errorf("update request %+v", r)
			}
			i := f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
			if !reflect.DeepEqual(i.Status.ExternalProperties, wantProps) || i.Status.ObservedGeneration != 2 || i.Status.CurrentOperation != "" ||
				i.Status.InProgressProperties != nil || i.Status.ClusterServicePlanRef.Name != map[string]string{"plan-small-id": "kv-small", "plan-large-id": "kv-large"}[tc.nowPlan] {
				t.Errorf("status %+v", i.Status)
			}
			f.WantEvents(conditions.UpdatedSuccessfully)
			f.wantWrites("status", "status")

			// Done: nothing more happens.
			f.MustSync()
			f.WantCalls(osb.OperationUpdate)
			f.wantWrites()
		})
	}
}

func TestAnUpdateWithNothingToSendCallsNoBroker(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.instance.Spec.Parameters, o.instance.Spec.ParametersFrom = nil, nil
		provisioned(o)
		changeSpec(o, func(s *v1beta1.ServiceInstanceSpec) { s.UpdateRequests++ })
	})
	f.MustSync()
	f.WantCalls()
	i := f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	if i.Status.ObservedGeneration != 2 || i.Status.CurrentOperation != "" {
		t.Errorf("status %+v", i.Status)
	}
	f.wantWrites("status")
}

func TestUpdateSendsMaintenanceInfo(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.small.Spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: "1.0.0"}
		o.large.Spec.MaintenanceInfo = &v1beta1.MaintenanceInfo{Version: "2.0.0"}
		provisioned(o)
		o.instance.Status.ExternalProperties.MaintenanceInfoVersion = "1.0.0"
		changeSpec(o, newPlan)
	})
	f.onUpdate(updated200())
	f.MustSync()
	r := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0)
	if r.MaintenanceInfo == nil || r.MaintenanceInfo.Version != "2.0.0" || r.PreviousValues.MaintenanceInfo == nil || r.PreviousValues.MaintenanceInfo.Version != "1.0.0" {
		t.Errorf("update request %+v", r)
	}
}

func TestAPlanChangeNeedsAnUpdatablePlan(t *testing.T) {
	for _, tc := range []struct {
		name    string
		class   bool
		plan    *bool
		allowed bool
	}{
		{"the class says no", false, nil, false},
		{"the plan says no", true, ptr(false), false},
		{"the plan says yes", false, ptr(true), true},
		{"the class says yes", true, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, provisioned, func(o *fixtureObjects) {
				o.class.Spec.PlanUpdatable = tc.class
				o.small.Spec.PlanUpdatable = tc.plan
				changeSpec(o, newPlan)
			})
			f.onUpdate(updated200())
			f.MustSync()
			if tc.allowed {
				f.WantCalls(osb.OperationUpdate)
				f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
				return
			}
			f.WantCalls()
			i := f.wantReady(metav1.ConditionFalse, conditions.PlanChangeNotAllowed)
			f.wantFailed(conditions.PlanChangeNotAllowed)
			if i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-small-id" || i.Status.ObservedGeneration != 2 || i.Status.CurrentOperation != "" {
				t.Errorf("status %+v", i.Status)
			}
			f.WantEvents(conditions.PlanChangeNotAllowed)
			// Stopped until the spec changes.
			f.MustSync()
			f.WantCalls()
		})
	}
}

func TestUpdateFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		reason string
		failed bool
	}{
		{"400", status(400, ""), conditions.UpdateFailed, true},
		{"422", status(422, "UnsupportedPlanChange"), conditions.UpdateFailed, true},
		{"409", status(409, ""), conditions.UpdateFailed, true},
		{"500", status(500, ""), conditions.UpdateCallFailed, false},
		{"timeout", &osb.TransportError{Timeout: true, MaybeReceived: true}, conditions.UpdateCallFailed, false},
		{"204", &osb.UnexpectedStatusError{StatusCode: 204}, conditions.UpdateCallFailed, false},
		{"408", status(408, ""), conditions.UpdateCallFailed, false},
		{"422 ConcurrencyError", status(422, osb.ErrorCodeConcurrencyError), conditions.BrokerBusy, false},
		{"401", status(401, ""), conditions.UpdateCallFailed, false},
		{"412", status(412, ""), conditions.UpdateCallFailed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before *v1beta1.ServiceInstancePropertiesState
			f := newFixture(t, provisioned, func(o *fixtureObjects) {
				before = o.instance.Status.ExternalProperties.DeepCopy()
				changeSpec(o, func(s *v1beta1.ServiceInstanceSpec) { newPlan(s); newParameters(s) })
			})
			f.onUpdate(tc.err, updated200())
			result := f.MustSync()
			f.WantCalls(osb.OperationUpdate) // never orphan mitigation
			i := f.wantReady(metav1.ConditionFalse, tc.reason)
			if !reflect.DeepEqual(i.Status.ExternalProperties, before) || i.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned ||
				i.Status.OrphanMitigationInProgress || i.Status.DeprovisionStatus != v1beta1.ServiceInstanceDeprovisionStatusRequired {
				t.Errorf("status %+v", i.Status)
			}
			f.WantEvents(tc.reason)
			if tc.failed {
				f.wantFailed(tc.reason)
				if m := readyMessage(i); !strings.Contains(m, "keeps its previous plan and parameters") {
					t.Errorf("message %q", m)
				}
				f.Clock.Step(2 * time.Hour)
				f.MustSync()
				f.WantCalls(osb.OperationUpdate)
				return
			}
			f.wantFailed("")
			f.WantRequeue(result, backoffWait(looptest.Start))
			if i.Status.CurrentOperation != v1beta1.ServiceInstanceOperationUpdate || i.Status.Attempts.Count != 1 {
				t.Errorf("status %+v", i.Status)
			}
			// Not before the time kept in status, then the same update again.
			f.MustSync()
			f.WantCalls(osb.OperationUpdate)
			f.Clock.Step(backoffWait(looptest.Start))
			f.MustSync()
			f.WantCalls(osb.OperationUpdate, osb.OperationUpdate)
			r := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 1)
			if r.PlanID == nil || *r.PlanID != "plan-large-id" || r.Parameters["size"] != json.Number("5") {
				t.Errorf("second update request %+v", r)
			}
			i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
			if i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-large-id" || i.Status.Attempts.Count != 0 {
				t.Errorf("status %+v", i.Status)
			}
		})
	}
}

func TestAnAsyncUpdateIsPolledWithThePlanBeforeTheChange(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) })
	f.onUpdate(updating202("update-1"))
	f.onPoll(state(osb.StateInProgress, ""), state(osb.StateSucceeded, ""))
	f.WantRequeue(f.MustSync(), time.Second)
	i := f.wantReady(metav1.ConditionFalse, conditions.Updating)
	if !i.Status.AsyncOpInProgress || i.Status.OperationKey != "update-1" || i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-small-id" {
		t.Fatalf("status %+v", i.Status)
	}
	f.WantEvents(conditions.Updating)
	f.WantRequeue(f.MustSync(), time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationUpdate, osb.OperationLastOperation, osb.OperationLastOperation)
	for n := range 2 {
		if p := looptest.Request[osb.LastOperationRequest](f.Env, osb.OperationLastOperation, n); p.PlanID != "plan-small-id" || p.ServiceID != "svc-id" {
			t.Errorf("poll %d sent %+v; want the plan before the change", n, p)
		}
	}
	if keys := f.pollKeys; len(keys) != 2 || keys[0] != "update-1" || keys[1] != "update-1" {
		t.Errorf("polled operations %q", keys)
	}
	i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	if i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-large-id" || i.Status.AsyncOpInProgress || i.Status.CurrentOperation != "" {
		t.Errorf("status %+v", i.Status)
	}
	f.WantEvents(conditions.UpdatedSuccessfully)
}

func TestAFailedAsyncUpdateFailsWithoutOrphanMitigation(t *testing.T) {
	var before *v1beta1.ServiceInstancePropertiesState
	f := newFixture(t, provisioned, func(o *fixtureObjects) {
		before = o.instance.Status.ExternalProperties.DeepCopy()
		changeSpec(o, newParameters)
	})
	f.onUpdate(updating202("update-1"))
	f.onPoll(state(osb.StateFailed, "disk full"))
	f.MustSync()
	f.MustSync()
	f.WantCalls(osb.OperationUpdate, osb.OperationLastOperation)
	i := f.wantReady(metav1.ConditionFalse, conditions.UpdateFailed)
	f.wantFailed(conditions.UpdateFailed)
	if i.Status.OrphanMitigationInProgress || i.Status.AsyncOpInProgress || i.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned ||
		!reflect.DeepEqual(i.Status.ExternalProperties, before) || !strings.Contains(readyMessage(i), "disk full") {
		t.Errorf("status %+v", i.Status)
	}
}

func TestAnUpdateWaitsForItsParameters(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) {
		changeSpec(o, func(s *v1beta1.ServiceInstanceSpec) {
			s.ParametersFrom = append(s.ParametersFrom, v1beta1.ParametersFromSource{SecretKeyRef: &v1beta1.SecretKeyReference{Name: "tls", Key: "params"}})
		})
	})
	f.onUpdate(updated200())
	if _, err := f.Sync(); err == nil {
		t.Fatal("an update with a missing Secret must be retried")
	}
	f.WantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.ErrorWithParameters)
	if i.Status.ExternalProperties.ClusterServicePlanExternalID != "plan-small-id" || i.Status.CurrentOperation != "" ||
		i.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned {
		t.Errorf("status %+v", i.Status)
	}
	f.WantEvents(conditions.ErrorWithParameters)

	// The user creates the Secret; the runner's retry sends the update.
	if _, err := f.Kube.CoreV1().Secrets("ns").Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "tls"},
		Data:       map[string][]byte{"params": []byte(`{"cert":"pem"}`)},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	f.MustSync()
	f.WantCalls(osb.OperationUpdate)
	if r := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0); r.Parameters["cert"] != "pem" {
		t.Errorf("update request %+v", r)
	}
	i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	if i.Status.ObservedGeneration != 2 {
		t.Errorf("status %+v", i.Status)
	}
}

func TestAnUpdateWaitsForItsPlan(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) {
		changeSpec(o, func(s *v1beta1.ServiceInstanceSpec) { s.ClusterServicePlanExternalName = "huge" })
	})
	f.onUpdate(updated200())
	if _, err := f.Sync(); err == nil {
		t.Fatal("an update to a plan that does not exist must be retried")
	}
	f.WantCalls()
	f.wantReady(metav1.ConditionFalse, conditions.ReferencesNonexistentServicePlan)

	// The broker's catalog gains the plan.
	if err := f.Informers.ClusterServicePlans().Informer().GetIndexer().Add(testPlan("kv-huge", "plan-huge-id", "huge")); err != nil {
		t.Fatal(err)
	}
	f.MustSync()
	f.WantCalls(osb.OperationUpdate)
	if r := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0); r.PlanID == nil || *r.PlanID != "plan-huge-id" {
		t.Errorf("update request %+v", r)
	}
	f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
}
