package serviceinstance

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func newParameters(s *v1beta1.ServiceInstanceSpec) {
	s.Parameters = &runtime.RawExtension{Raw: []byte(`{"size":5}`)}
}

func newPlan(s *v1beta1.ServiceInstanceSpec) { s.ClusterServicePlanExternalName = "large" }

// updating is what an instance's status says of an update: the operation in progress, what
// it sends, the generation, and the plan the broker acknowledged.
type updating struct {
	Current            v1beta1.ServiceInstanceOperation
	InProgress         *v1beta1.ServiceInstancePropertiesState
	ObservedGeneration int64
	KnownPlan          string
}

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
			f.OSB.SetUpdateReaction(func(context.Context, *osb.UpdateRequest) (*osb.UpdateResponse, error) {
				i := f.instance()
				looptest.Expect(t, "status when the update was sent", updating{v1beta1.ServiceInstanceOperationUpdate, wantProps, 2, "plan-small-id"},
					updating{i.Status.CurrentOperation, i.Status.InProgressProperties, i.Status.ObservedGeneration, knownPlan(i)})
				return updated200(), nil
			})
			f.MustSync()
			f.WantCalls(osb.OperationUpdate)
			r := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0)
			var wantPlanID *string
			if tc.wantPlan != "" {
				wantPlanID = &tc.wantPlan
			}
			previous := osb.PreviousValues{}
			if r.PreviousValues != nil {
				previous = *r.PreviousValues
			}
			type sent struct {
				InstanceID, ServiceID             string
				AcceptsIncomplete                 bool
				PlanID                            *string
				Parameters                        map[string]any
				Context                           *osb.Context
				PreviousPlanID, PreviousServiceID string
				User                              string
			}
			looptest.Expect(t, "update request", sent{
				"instance-id", "svc-id", true, wantPlanID, tc.wantParams,
				&osb.Context{Platform: osb.PlatformKubernetes, Namespace: "ns", ClusterID: "cluster-id", InstanceName: "db"},
				"plan-small-id", "svc-id", "bob",
			}, sent{
				r.InstanceID, r.ServiceID, r.AcceptsIncomplete, r.PlanID, r.Parameters, r.Context,
				previous.PlanID, previous.ServiceID, looptest.Username(r.OriginatingIdentity),
			})
			i := f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
			type updated struct {
				External, InProgress *v1beta1.ServiceInstancePropertiesState
				ObservedGeneration   int64
				Current              v1beta1.ServiceInstanceOperation
				PlanRef              string
			}
			looptest.Expect(t, "status", updated{
				External: madeWith(wantProps, "req-update"), ObservedGeneration: 2,
				PlanRef: map[string]string{"plan-small-id": "kv-small", "plan-large-id": "kv-large"}[tc.nowPlan],
			}, updated{
				i.Status.ExternalProperties, i.Status.InProgressProperties, i.Status.ObservedGeneration, i.Status.CurrentOperation,
				indexes.Resolved(i).PlanName,
			})
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
	type observed struct {
		ObservedGeneration int64
		Current            v1beta1.ServiceInstanceOperation
	}
	looptest.Expect(t, "status", observed{2, ""}, observed{i.Status.ObservedGeneration, i.Status.CurrentOperation})
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
	type versions struct{ MaintenanceInfo, Previous *osb.MaintenanceInfo }
	looptest.Expect(t, "maintenance info sent", versions{&osb.MaintenanceInfo{Version: "2.0.0"}, &osb.MaintenanceInfo{Version: "1.0.0"}},
		versions{r.MaintenanceInfo, r.PreviousValues.MaintenanceInfo})
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
			type refused struct {
				KnownPlan          string
				ObservedGeneration int64
				Current            v1beta1.ServiceInstanceOperation
			}
			looptest.Expect(t, "status", refused{"plan-small-id", 2, ""}, refused{knownPlan(i), i.Status.ObservedGeneration, i.Status.CurrentOperation})
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
			type kept struct {
				External          *v1beta1.ServiceInstancePropertiesState
				ProvisionStatus   v1beta1.ServiceInstanceProvisionStatus
				Mitigating        bool
				DeprovisionStatus v1beta1.ServiceInstanceDeprovisionStatus
			}
			looptest.Expect(t, "status", kept{before, v1beta1.ServiceInstanceProvisionStatusProvisioned, false, v1beta1.ServiceInstanceDeprovisionStatusRequired},
				kept{i.Status.ExternalProperties, i.Status.ProvisionStatus, i.Status.OrphanMitigationInProgress, i.Status.DeprovisionStatus})
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
			type retried struct {
				Current  v1beta1.ServiceInstanceOperation
				Attempts int32
			}
			looptest.Expect(t, "status", retried{v1beta1.ServiceInstanceOperationUpdate, 1}, retried{i.Status.CurrentOperation, i.Status.Attempts.Count})
			// Not before the time kept in status, then the same update again.
			f.MustSync()
			f.WantCalls(osb.OperationUpdate)
			f.Clock.Step(backoffWait(looptest.Start))
			f.MustSync()
			f.WantCalls(osb.OperationUpdate, osb.OperationUpdate)
			r := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 1)
			type sent struct {
				PlanID *string
				Size   any
			}
			large := "plan-large-id"
			looptest.Expect(t, "second update request", sent{&large, json.Number("5")}, sent{r.PlanID, r.Parameters["size"]})
			i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
			type updated struct {
				KnownPlan string
				Attempts  int32
			}
			looptest.Expect(t, "status", updated{"plan-large-id", 0}, updated{knownPlan(i), i.Status.Attempts.Count})
		})
	}
}

func TestAnAsyncUpdateIsPolledWithThePlanBeforeTheChange(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) })
	f.onUpdate(updating202("update-1"))
	f.onPoll(state(osb.StateInProgress, ""), state(osb.StateSucceeded, ""))
	f.WantRequeue(f.MustSync(), time.Second)
	i := f.wantReady(metav1.ConditionFalse, conditions.Updating)
	type polled struct {
		Async                   bool
		OperationKey, KnownPlan string
	}
	looptest.Require(t, "status", polled{true, "update-1", "plan-small-id"}, polled{i.Status.AsyncOpInProgress, i.Status.OperationKey, knownPlan(i)})
	f.WantEvents(conditions.Updating)
	f.Clock.Step(time.Second)
	f.WantRequeue(f.MustSync(), time.Second)
	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationUpdate, osb.OperationLastOperation, osb.OperationLastOperation)
	type poll struct{ PlanID, ServiceID string }
	for n := range 2 {
		p := looptest.Request[osb.LastOperationRequest](f.Env, osb.OperationLastOperation, n)
		looptest.Expect(t, fmt.Sprintf("poll %d, with the plan before the change", n), poll{"plan-small-id", "svc-id"}, poll{p.PlanID, p.ServiceID})
	}
	looptest.Expect(t, "polled operations", []string{"update-1", "update-1"}, f.pollKeys)
	i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	type updated struct {
		KnownPlan string
		Async     bool
		Current   v1beta1.ServiceInstanceOperation
	}
	looptest.Expect(t, "status", updated{KnownPlan: "plan-large-id"}, updated{knownPlan(i), i.Status.AsyncOpInProgress, i.Status.CurrentOperation})
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
	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationUpdate, osb.OperationLastOperation)
	i := f.wantReady(metav1.ConditionFalse, conditions.UpdateFailed)
	f.wantFailed(conditions.UpdateFailed)
	type kept struct {
		Mitigating, Async bool
		ProvisionStatus   v1beta1.ServiceInstanceProvisionStatus
		External          *v1beta1.ServiceInstancePropertiesState
	}
	looptest.Expect(t, "status", kept{false, false, v1beta1.ServiceInstanceProvisionStatusProvisioned, before},
		kept{i.Status.OrphanMitigationInProgress, i.Status.AsyncOpInProgress, i.Status.ProvisionStatus, i.Status.ExternalProperties})
	if m := readyMessage(i); !strings.Contains(m, "disk full") {
		t.Errorf("message %q, want the broker's description", m)
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
	type waiting struct {
		KnownPlan       string
		Current         v1beta1.ServiceInstanceOperation
		ProvisionStatus v1beta1.ServiceInstanceProvisionStatus
	}
	looptest.Expect(t, "status", waiting{"plan-small-id", "", v1beta1.ServiceInstanceProvisionStatusProvisioned},
		waiting{knownPlan(i), i.Status.CurrentOperation, i.Status.ProvisionStatus})
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
	looptest.Expect(t, "parameter cert sent", any("pem"), looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0).Parameters["cert"])
	i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	looptest.Expect(t, "observedGeneration", int64(2), i.Status.ObservedGeneration)
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
	huge := "plan-huge-id"
	looptest.Expect(t, "plan_id sent", &huge, looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0).PlanID)
	f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
}

// A broker that says a failed update must not be repeated (update_repeatable false) is not
// sent it again, even after an answer that is otherwise retried.
func TestAnUpdateTheBrokerSaysNotToRepeatStops(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) })
	f.onUpdate(&osb.HTTPStatusCodeError{StatusCode: 500, Description: "half applied", UpdateRepeatable: ptr(false)})
	if result := f.MustSync(); looptest.Requeued(result) {
		t.Fatalf("the update is retried: %+v", result)
	}
	f.wantFailed(conditions.UpdateFailed)
	f.Clock.Step(time.Hour)
	f.MustSync()
	f.WantCalls(osb.OperationUpdate)
}

// instance_usable after a failed update is recorded, and cleared by an update that works.
func TestInstanceUsableIsRecordedAfterAFailedUpdate(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) })
	f.onUpdate(updating202("update-1"), updated200())
	f.onPoll(&osb.LastOperationResponse{State: osb.StateFailed, InstanceUsable: ptr(false)})
	f.MustSync()
	f.Clock.Step(time.Second)
	f.MustSync()
	i := f.wantReady(metav1.ConditionFalse, conditions.UpdateFailed)
	looptest.Expect(t, "instanceUsable", ptr(false), i.Status.InstanceUsable)

	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "small" })
	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "large" })
	f.MustSync()
	i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	looptest.Expect(t, "instanceUsable", (*bool)(nil), i.Status.InstanceUsable)
}

// An update the user takes back after it failed ends it: nothing is sent, and the status
// is written once, not on every sync.
func TestARevertedUpdateEndsTheUpdate(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) {
		o.instance.Spec.Parameters, o.instance.Spec.ParametersFrom = nil, nil
		o.instance.Status.ExternalProperties = o.props(o.small, alice())
		changeSpec(o, newPlan)
	})
	f.onUpdate(status(503, ""))
	f.MustSync()
	f.wantReady(metav1.ConditionFalse, conditions.UpdateCallFailed)
	f.changeSpec(func(i *v1beta1.ServiceInstance) { i.Spec.ClusterServicePlanExternalName = "small" })
	f.ForgetWrites()
	f.Clock.Step(time.Hour)
	f.MustSync()
	i := f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	looptest.Expect(t, "operation in progress", v1beta1.ServiceInstanceOperation(""), i.Status.CurrentOperation)
	f.MustSync()
	f.wantWrites("status")
	f.WantCalls(osb.OperationUpdate)
}

// One operation at a time on an instance: an update waits for a bind in flight.
func TestAnUpdateWaitsForABindInFlight(t *testing.T) {
	binding := &v1beta1.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "creds"}}
	binding.Spec.InstanceRef.Name = "db"
	binding.Status.CurrentOperation = v1beta1.ServiceBindingOperationBind
	binding.Status.AsyncOpInProgress = true
	f := newFixture(t, provisioned, func(o *fixtureObjects) {
		changeSpec(o, newPlan)
		o.catalog = append(o.catalog, binding)
	})
	f.onUpdate(updated200())
	f.MustSync()
	f.WantCalls()
	f.wantReady(metav1.ConditionFalse, conditions.BindInProgress)

	done := binding.DeepCopy()
	done.Status.CurrentOperation, done.Status.AsyncOpInProgress = "", false
	f.Put(done)
	f.Refresh()
	f.MustSync()
	f.WantCalls(osb.OperationUpdate)
	f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
}

// A changed value in a Secret that parametersFrom names is sent to the broker as an update,
// found by the checksum in status; the annotation turns this off.
func TestAChangedParametersSecretIsSentAsAnUpdate(t *testing.T) {
	for _, manual := range []bool{false, true} {
		t.Run(fmt.Sprintf("manual %t", manual), func(t *testing.T) {
			f := newFixture(t, provisioned, func(o *fixtureObjects) {
				if manual {
					o.instance.Annotations = map[string]string{ParametersFromAnnotation: "manual"}
				}
			})
			f.onUpdate(updated200())
			f.MustSync()
			f.WantCalls()
			secret, err := f.Kube.CoreV1().Secrets("ns").Get(context.Background(), "db-params", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			secret.Data["params"] = []byte(`{"password":"rotated-value"}`)
			if _, err := f.Kube.CoreV1().Secrets("ns").Update(context.Background(), secret, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			f.Clock.Step(operation.DefaultSecretsCheckPeriod)
			f.MustSync()
			if manual {
				f.WantCalls()
				return
			}
			f.WantCalls(osb.OperationUpdate)
			u := looptest.Request[osb.UpdateRequest](f.Env, osb.OperationUpdate, 0)
			looptest.Expect(t, "password sent", "rotated-value", u.Parameters["password"])
			f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
		})
	}
}

// An update answer without dashboard_url keeps the dashboard URL stored from before, whether
// the update ends at once or is polled; an answer that names one replaces it.
func TestAnUpdateAnswerWithoutADashboardKeepsTheStoredOne(t *testing.T) {
	const stored, moved = "https://dashboard.example.com/db", "https://dashboard.example.com/db-v2"
	for _, tc := range []struct {
		name   string
		answer *osb.UpdateResponse
		want   string
	}{
		{"200 without dashboard_url", updated200(), stored},
		{"202 without dashboard_url", updating202("update-1"), stored},
		{"200 with another dashboard_url", &osb.UpdateResponse{DashboardURL: ptr(moved), RequestIdentity: "req-update"}, moved},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, provisioned, func(o *fixtureObjects) {
				o.instance.Status.DashboardURL = stored
				changeSpec(o, newParameters)
			})
			f.onUpdate(tc.answer)
			f.onPoll(state(osb.StateSucceeded, ""))
			f.MustSync()
			if tc.answer.Async {
				looptest.Expect(t, "dashboard URL while the update is polled", stored, f.instance().Status.DashboardURL)
				f.Clock.Step(time.Second)
				f.MustSync()
				f.WantCalls(osb.OperationUpdate, osb.OperationLastOperation)
			}
			i := f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
			looptest.Expect(t, "dashboard URL", tc.want, i.Status.DashboardURL)
		})
	}
}

// A 410 Gone while polling an update is no answer: only a delete ends with the resource
// gone, so polling goes on, the instance keeping its previous plan meanwhile.
func TestA410WhilePollingAnUpdateLetsPollingGoOn(t *testing.T) {
	f := newFixture(t, provisioned, func(o *fixtureObjects) { changeSpec(o, newPlan) })
	f.onUpdate(updating202("update-1"))
	f.onPoll(status(410, ""), state(osb.StateSucceeded, ""))
	f.WantRequeue(f.MustSync(), time.Second)
	f.Clock.Step(time.Second)
	f.WantRequeue(f.MustSync(), time.Second)
	i := f.wantReady(metav1.ConditionFalse, conditions.ErrorPollingLastOperation)
	f.wantFailed("")
	type polling struct {
		Async                   bool
		Current                 v1beta1.ServiceInstanceOperation
		OperationKey, KnownPlan string
	}
	looptest.Require(t, "status after the 410", polling{true, v1beta1.ServiceInstanceOperationUpdate, "update-1", "plan-small-id"},
		polling{i.Status.AsyncOpInProgress, i.Status.CurrentOperation, i.Status.OperationKey, knownPlan(i)})
	f.WantEvents(conditions.Updating, conditions.ErrorPollingLastOperation)

	f.Clock.Step(time.Second)
	f.MustSync()
	f.WantCalls(osb.OperationUpdate, osb.OperationLastOperation, osb.OperationLastOperation)
	looptest.Expect(t, "polled operations", []string{"update-1", "update-1"}, f.pollKeys)
	i = f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)
	looptest.Expect(t, "plan the broker acknowledged", "plan-large-id", knownPlan(i))
}
