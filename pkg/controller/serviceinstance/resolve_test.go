package serviceinstance

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestResolutionFailuresSendNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tweak   func(*fixtureObjects)
		reason  string
		message string
	}{
		{"no class has the external name", func(o *fixtureObjects) { o.instance.Spec.ClusterServiceClassExternalName = "nope" },
			conditions.ReferencesNonexistentServiceClass, `No broker offers a class with external name "nope"`},
		{"no class has the external ID", func(o *fixtureObjects) {
			o.instance.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassExternalID: "nope", ClusterServicePlanExternalID: "plan-small-id"}
		}, conditions.ReferencesNonexistentServiceClass, `No broker offers a class with external ID "nope"`},
		{"no class has the name", func(o *fixtureObjects) {
			o.instance.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassName: "nope", ClusterServicePlanName: "kv-small"}
		}, conditions.ReferencesNonexistentServiceClass, `No ClusterServiceClass is named "nope"`},
		{"the class has no plan of the external name", func(o *fixtureObjects) { o.instance.Spec.ClusterServicePlanExternalName = "huge" },
			conditions.ReferencesNonexistentServicePlan, `Class "kv" (kv) has no plan "huge"; its plans are: large, small.`},
		{"the class has no plan of the external ID", func(o *fixtureObjects) {
			o.instance.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassExternalID: "svc-id", ClusterServicePlanExternalID: "nope"}
		}, conditions.ReferencesNonexistentServicePlan, `has no plan "nope"`},
		{"no plan has the name", func(o *fixtureObjects) {
			o.instance.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassName: "kv", ClusterServicePlanName: "nope"}
		}, conditions.ReferencesNonexistentServicePlan, `Class "kv" has no ClusterServicePlan named "nope"`},
		{"the plan named is another class's", func(o *fixtureObjects) {
			other := testPlan("other-plan", "other-plan-id", "other")
			other.Spec.ClusterServiceClassRef.Name = "other"
			o.catalog = append(o.catalog, other)
			o.instance.Spec.PlanReference = v1beta1.PlanReference{ClusterServiceClassName: "kv", ClusterServicePlanName: "other-plan"}
		}, conditions.ReferencesNonexistentServicePlan, `Class "kv" has no ClusterServicePlan named "other-plan"`},
		{"the class's broker is gone", func(o *fixtureObjects) { o.class.Spec.ClusterServiceBrokerName = "gone" },
			conditions.ReferencesNonexistentBroker, `The broker "gone" of class "kv" does not exist.`},
		{"two brokers offer a class of the external name", func(o *fixtureObjects) {
			other := o.class.DeepCopy()
			other.Name, other.UID, other.Spec.ExternalID, other.Spec.ClusterServiceBrokerName = "kv-2", "kv-2-uid", "svc-id-2", "other-broker"
			o.catalog = append(o.catalog, other)
		}, conditions.ReferencesNonexistentServiceClass, `Several classes have external name "kv": kv (broker the-broker), kv-2 (broker other-broker); name one by clusterServiceClassName.`},
		{"the broker no longer offers the class", func(o *fixtureObjects) { o.class.Status.RemovedFromBrokerCatalog = true },
			conditions.ReferencesRemovedServiceClass, `The broker no longer offers class "kv" (kv)`},
		{"the broker no longer offers the plan", func(o *fixtureObjects) { o.small.Status.RemovedFromBrokerCatalog = true },
			conditions.ReferencesRemovedServicePlan, `The broker no longer offers plan "kv-small" (small)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.tweak)
			if _, err := f.Sync(); err == nil {
				t.Fatal("a spec that cannot be resolved must be retried")
			}
			f.WantCalls()
			i := f.wantReady(metav1.ConditionFalse, tc.reason)
			if c := readyMessage(i); !strings.Contains(c, tc.message) {
				t.Errorf("message %q, want it to contain %q", c, tc.message)
			}
			type unsent struct {
				ObservedGeneration int64
				Current            v1beta1.ServiceInstanceOperation
				DeprovisionStatus  v1beta1.ServiceInstanceDeprovisionStatus
			}
			looptest.Expect(t, "status", unsent{ObservedGeneration: 1},
				unsent{i.Status.ObservedGeneration, i.Status.CurrentOperation, i.Status.DeprovisionStatus})
			f.wantFailed("")
			f.WantEvents(tc.reason)
			f.wantWrites("status")

			// Retried by the runner: nothing changed, nothing is written again.
			if _, err := f.Sync(); err == nil {
				t.Fatal("no error on the retry")
			}
			f.WantCalls()
			f.WantEvents()
			f.wantWrites()
		})
	}
}

func TestAClassCanBeNamedByNameOrExternalID(t *testing.T) {
	for name, ref := range map[string]v1beta1.PlanReference{
		"by name":        {ClusterServiceClassName: "kv", ClusterServicePlanName: "kv-small"},
		"by external ID": {ClusterServiceClassExternalID: "svc-id", ClusterServicePlanExternalID: "plan-small-id"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(o *fixtureObjects) { o.instance.Spec.PlanReference = ref })
			f.onProvision(provisioned200())
			f.MustSync()
			r := looptest.Request[osb.ProvisionRequest](f.Env, osb.OperationProvision, 0)
			type sent struct{ ServiceID, PlanID string }
			looptest.Expect(t, "provision request", sent{"svc-id", "plan-small-id"}, sent{r.ServiceID, r.PlanID})
		})
	}
}

func TestARemovedPlanStillServesItsInstances(t *testing.T) {
	removed := func(o *fixtureObjects) {
		o.class.Status.RemovedFromBrokerCatalog = true
		o.small.Status.RemovedFromBrokerCatalog = true
	}

	// Its parameters can be updated.
	f := newFixture(t, provisioned, removed, func(o *fixtureObjects) {
		changeSpec(o, func(s *v1beta1.ServiceInstanceSpec) { s.Parameters = &runtime.RawExtension{Raw: []byte(`{"size":5}`)} })
	})
	f.onUpdate(updated200())
	f.MustSync()
	f.WantCalls(osb.OperationUpdate)
	f.wantReady(metav1.ConditionTrue, conditions.UpdatedSuccessfully)

	// It can be deprovisioned.
	f = newFixture(t, provisioned, removed, deleting)
	f.onDeprovision(deprovisioned200())
	f.MustSync()
	f.WantCalls(osb.OperationDeprovision)
	if i := f.instance(); len(i.Finalizers) != 0 {
		t.Errorf("finalizers %v", i.Finalizers)
	}

	// But no instance moves to a removed plan.
	f = newFixture(t, provisioned, func(o *fixtureObjects) {
		o.large.Status.RemovedFromBrokerCatalog = true
		changeSpec(o, func(s *v1beta1.ServiceInstanceSpec) { s.ClusterServicePlanExternalName = "large" })
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("a plan change to a removed plan must not succeed")
	}
	f.WantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.ReferencesRemovedServicePlan)
	looptest.Expect(t, "plan the broker acknowledged", "plan-small-id", knownPlan(i))
}

func TestParameterErrorsSendNothing(t *testing.T) {
	for _, tc := range []struct {
		name    string
		tweak   func(*fixtureObjects)
		message string
	}{
		{"missing Secret", func(o *fixtureObjects) { o.instance.Spec.ParametersFrom[0].SecretKeyRef.Name = "nope" },
			`spec.parametersFrom[0]: Secret "nope" not found`},
		{"missing key", func(o *fixtureObjects) { o.instance.Spec.ParametersFrom[0].SecretKeyRef.Key = "nope" },
			`spec.parametersFrom[0]: Secret "db-params" has no key "nope"`},
		{"not an object", func(o *fixtureObjects) { o.instance.Spec.Parameters.Raw = []byte(`[3]`) },
			`spec.parameters must be a JSON object`},
		{"a key given twice", func(o *fixtureObjects) {
			o.instance.Spec.Parameters.Raw = []byte(`{"password":"inline"}`)
		}, `parameter "password" is given by both spec.parameters and Secret "db-params" key "params"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.tweak)
			if _, err := f.Sync(); err == nil {
				t.Fatal("bad parameters must be retried")
			}
			f.WantCalls()
			i := f.wantReady(metav1.ConditionFalse, conditions.ErrorWithParameters)
			if m := readyMessage(i); !strings.Contains(m, tc.message) || strings.Contains(m, testPassword) {
				t.Errorf("message %q, want %q and no parameter value", m, tc.message)
			}
			type unsent struct {
				ObservedGeneration int64
				Current            v1beta1.ServiceInstanceOperation
				InProgress         *v1beta1.ServiceInstancePropertiesState
			}
			looptest.Expect(t, "status", unsent{ObservedGeneration: 1},
				unsent{i.Status.ObservedGeneration, i.Status.CurrentOperation, i.Status.InProgressProperties})
			f.WantEvents(conditions.ErrorWithParameters)
			f.wantWrites("status")
		})
	}
}

// A broker being deleted gets no new provisions: they would keep it from going.
func TestNoNewInstancesOfABrokerBeingDeleted(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		now := metav1.NewTime(looptest.Start)
		o.broker.DeletionTimestamp = &now
		o.broker.Finalizers = []string{v1beta1.FinalizerServiceCatalog}
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("no error")
	}
	f.WantCalls()
	f.wantReady(metav1.ConditionFalse, conditions.BrokerBeingDeleted)
}
