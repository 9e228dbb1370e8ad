package servicebinding

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/internal/looptest"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// TestABindingOfAnInstanceOfANamespacedClass: the instance resolved to a ServiceClass,
// ServicePlan and ServiceBroker of its namespace; the bind goes to that broker with their
// ids, and the binding records the plan's digest and the request that made it.
func TestABindingOfAnInstanceOfANamespacedClass(t *testing.T) {
	f := newFixture(t, func(o *fixtureObjects) {
		broker := &v1beta1.ServiceBroker{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "team-broker"}}
		broker.Spec.URL = "http://team-broker.example.com"
		class := &v1beta1.ServiceClass{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "team-kv"}}
		class.Spec.ExternalID, class.Spec.ExternalName, class.Spec.Bindable = "team-svc-id", "team-kv", true
		class.Spec.ServiceBrokerName = broker.Name
		plan := &v1beta1.ServicePlan{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "team-kv-small"}}
		plan.Spec.ExternalID, plan.Spec.ExternalName = "team-plan-id", "small"
		plan.Spec.ServiceBrokerName, plan.Spec.ServiceClassRef = broker.Name, v1beta1.LocalObjectReference{Name: class.Name}
		plan.Status.CatalogDigest = "sha256:team-plan"
		o.extra = append(o.extra, broker, class, plan)
		s := &o.instance.Status
		s.ClusterServiceClassRef, s.ClusterServicePlanRef, s.ClusterServiceBrokerName = nil, nil, ""
		s.ServiceClassRef, s.ServicePlanRef, s.ServiceBrokerName = &v1beta1.LocalObjectReference{Name: class.Name}, &v1beta1.LocalObjectReference{Name: plan.Name}, broker.Name
		s.ExternalProperties = &v1beta1.ServiceInstancePropertiesState{ClusterServiceClassExternalID: "team-svc-id", ClusterServicePlanExternalID: "team-plan-id"}
	})
	f.OSB.SetBindReaction(func(context.Context, *osb.BindRequest) (*osb.BindResponse, error) { return credentialsAnswer(), nil })
	if _, err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	r := looptest.Request[osb.BindRequest](f.Env, osb.OperationBind, 0)
	type sent struct{ ServiceID, PlanID string }
	looptest.Expect(t, "bind request", sent{"team-svc-id", "team-plan-id"}, sent{r.ServiceID, r.PlanID})
	b := f.wantReady(metav1.ConditionTrue, conditions.InjectedBindResult)
	type made struct{ PlanDigest, Provider string }
	looptest.Expect(t, "provenance", made{"sha256:team-plan", "team-broker"},
		made{b.Status.ExternalProperties.PlanDigest, string(f.secret().Data["provider"])})
	if b.Status.ExternalProperties.RequestIdentity == "" || b.Status.ExternalProperties.RequestIdentity != b.Status.LastRequestIdentity {
		t.Errorf("the binding records request %q as the one that made it; the bind was %q",
			b.Status.ExternalProperties.RequestIdentity, b.Status.LastRequestIdentity)
	}
}
