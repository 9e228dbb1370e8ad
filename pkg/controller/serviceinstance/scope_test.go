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

// namespacedCatalog is a ServiceBroker of namespace with a class "kv" whose external name
// is also the cluster class's, and its plan "small" with other ids.
func namespacedCatalog(namespace string) []runtime.Object {
	broker := &v1beta1.ServiceBroker{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "team-broker", UID: "team-broker-uid", Generation: 1}}
	broker.Spec.URL = "http://team-broker.example.com"
	class := &v1beta1.ServiceClass{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "kv", UID: "team-class-uid"}}
	class.Spec.ExternalID, class.Spec.ExternalName, class.Spec.Bindable = "team-svc-id", "kv", true
	class.Spec.ServiceBrokerName = broker.Name
	plan := &v1beta1.ServicePlan{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "kv-small", UID: "team-plan-uid"}}
	plan.Spec.ExternalID, plan.Spec.ExternalName = "team-plan-id", "small"
	plan.Spec.ServiceBrokerName, plan.Spec.ServiceClassRef = broker.Name, v1beta1.LocalObjectReference{Name: class.Name}
	plan.Status.CatalogDigest = "sha256:team-plan"
	return []runtime.Object{broker, class, plan}
}

func TestAnInstanceOfANamespacedClassUsesItsNamespacesBroker(t *testing.T) {
	for name, ref := range map[string]v1beta1.PlanReference{
		"by external name": {ServiceClassExternalName: "kv", ServicePlanExternalName: "small"},
		"by external ID":   {ServiceClassExternalID: "team-svc-id", ServicePlanExternalID: "team-plan-id"},
		"by name":          {ServiceClassName: "kv", ServicePlanName: "kv-small"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, func(o *fixtureObjects) {
				o.catalog = append(o.catalog, namespacedCatalog("ns")...)
				o.instance.Spec.PlanReference = ref
			})
			f.onProvision(provisioned200())
			f.MustSync()
			r := looptest.Request[osb.ProvisionRequest](f.Env, osb.OperationProvision, 0)
			type sent struct{ ServiceID, PlanID string }
			looptest.Expect(t, "provision request", sent{"team-svc-id", "team-plan-id"}, sent{r.ServiceID, r.PlanID})
			i := f.wantReady(metav1.ConditionTrue, conditions.ProvisionedSuccessfully)
			type refs struct {
				Class, Plan        *v1beta1.LocalObjectReference
				Broker             string
				ClusterClass       *v1beta1.ClusterObjectReference
				ClusterBroker      string
				PlanDigest, Ledger string
			}
			looptest.Expect(t, "resolved", refs{
				Class: &v1beta1.LocalObjectReference{Name: "kv"}, Plan: &v1beta1.LocalObjectReference{Name: "kv-small"},
				Broker: "team-broker", PlanDigest: "sha256:team-plan", Ledger: "ns/team-broker",
			}, refs{
				i.Status.ServiceClassRef, i.Status.ServicePlanRef, i.Status.ServiceBrokerName,
				i.Status.ClusterServiceClassRef, i.Status.ClusterServiceBrokerName,
				i.Status.ExternalProperties.PlanDigest, ledgerKey(f.c, i),
			})
		})
	}
}

func TestANamespacedClassOfAnotherNamespaceCannotBeUsed(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		o.catalog = append(o.catalog, namespacedCatalog("other")...)
		o.instance.Spec.PlanReference = v1beta1.PlanReference{ServiceClassExternalName: "kv", ServicePlanExternalName: "small"}
	})
	if _, err := f.Sync(); err == nil {
		t.Fatal("a class of another namespace must not resolve")
	}
	f.WantCalls()
	i := f.wantReady(metav1.ConditionFalse, conditions.ReferencesNonexistentServiceClass)
	want := "No broker offers a class with external name \"kv\" in namespace ns; check `kubectl get serviceclasses -n ns`."
	if m := readyMessage(i); !strings.Contains(m, want) {
		t.Errorf("message %q, want it to contain %q", m, want)
	}
}

// ledgerKey is the broker key the instance loop records an abandoned instance under.
func ledgerKey(c *Controller, i *v1beta1.ServiceInstance) string {
	key, _ := c.kind().Ledger(i)
	return key
}
