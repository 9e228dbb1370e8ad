package planchange

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func class(name, externalName string, planUpdatable bool) *v1beta1.ClusterServiceClass {
	return &v1beta1.ClusterServiceClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{
			ExternalName: externalName, ExternalID: name + "-id", PlanUpdatable: planUpdatable,
		}},
	}
}

func plan(class, externalName string, planUpdatable *bool) *v1beta1.ClusterServicePlan {
	name := class + "-" + externalName
	return &v1beta1.ClusterServicePlan{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServicePlanSpec{
			CommonServicePlanSpec:  v1beta1.CommonServicePlanSpec{ExternalName: externalName, ExternalID: name + "-id", PlanUpdatable: planUpdatable},
			ClusterServiceClassRef: v1beta1.ClusterObjectReference{Name: class},
		},
	}
}

// brokerCatalog: class "fixed" does not let plans change, but its plan "flex" does; class
// "open" does, but its plan "locked" does not; two classes share the external name "dup".
// The cluster catalog, and its namespaced twins (scopetest) in team-a.
func brokerCatalog() []runtime.Object {
	var objs []runtime.Object
	for _, obj := range clusterCatalog() {
		objs = append(objs, obj, scopetest.Versioned(obj))
	}
	return objs
}

func clusterCatalog() []runtime.Object {
	return []runtime.Object{
		class("fixed", "fixed-offering", false),
		plan("fixed", "small", nil), plan("fixed", "large", nil), plan("fixed", "flex", ptr.To(true)),
		class("open", "open-offering", true),
		plan("open", "small", nil), plan("open", "locked", ptr.To(false)),
		class("dup-a", "dup", false), plan("dup-a", "small", nil),
		class("dup-b", "dup", false), plan("dup-b", "small", nil),
	}
}

func extName(class, plan string) sc.PlanReference {
	return sc.PlanReference{ClusterServiceClassExternalName: class, ClusterServicePlanExternalName: plan}
}

func instance(ref sc.PlanReference) *sc.ServiceInstance {
	return &sc.ServiceInstance{
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db"},
		Spec:       sc.ServiceInstanceSpec{PlanReference: ref, ExternalID: "db-id"},
	}
}

// onPlan sets the plan the controller resolved.
func onPlan(i *sc.ServiceInstance, plan string) *sc.ServiceInstance {
	i.Status.ClusterServicePlanRef = &sc.ClusterObjectReference{Name: plan}
	return i
}

// change returns an update of old to the plan named by newRef.
func change(old *sc.ServiceInstance, newRef sc.PlanReference) (*sc.ServiceInstance, *sc.ServiceInstance) {
	updated := old.DeepCopy()
	updated.Spec.PlanReference = newRef
	return updated, old
}

func TestValidate(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, brokerCatalog()...)

	type update struct{ obj, old *sc.ServiceInstance }
	pair := func(obj, old *sc.ServiceInstance) update { return update{obj, old} }

	parametersOnly := instance(extName("fixed-offering", "small"))
	parametersOnly.Spec.Parameters = &runtime.RawExtension{Raw: []byte(`{"size":2}`)}

	allowed := map[string]update{
		"plan unchanged": pair(parametersOnly, instance(extName("fixed-offering", "small"))),
		"class lets plans change": pair(change(instance(extName("open-offering", "small")),
			extName("open-offering", "locked"))),
		"plan overrides its class": pair(change(instance(extName("fixed-offering", "flex")),
			extName("fixed-offering", "small"))),
		"unknown class": pair(change(instance(extName("nosuch", "small")), extName("nosuch", "large"))),
		"unknown current plan": pair(change(instance(extName("fixed-offering", "gone")),
			extName("fixed-offering", "small"))),
		"unknown resolved plan": pair(change(onPlan(instance(extName("fixed-offering", "small")), "gone"),
			extName("fixed-offering", "large"))),
		"several classes have the external name": pair(change(instance(extName("dup", "small")),
			extName("dup", "large"))),
		"resolved plan is updatable, old spec's is not": pair(change(onPlan(instance(extName("fixed-offering", "small")), "fixed-flex"),
			extName("fixed-offering", "large"))),
		"back to the resolved plan": pair(change(onPlan(instance(extName("fixed-offering", "large")), "fixed-small"),
			extName("fixed-offering", "small"))),
	}
	for name, u := range allowed {
		// Each update in the cluster scope, and named the same way in the namespace scope.
		for scope, u := range map[string]update{"cluster": u, "namespace": pair(scopetest.Instance(u.obj), scopetest.Instance(u.old))} {
			t.Run(scope+"/"+name, func(t *testing.T) {
				if err := admissiontest.Validate(p, admissiontest.Attributes(u.obj, u.old)); err != nil {
					t.Errorf("got %v, want the change allowed", err)
				}
			})
		}
	}

	idRef := sc.PlanReference{ClusterServiceClassExternalID: "fixed-id", ClusterServicePlanExternalID: "fixed-small-id"}
	idLarge := idRef
	idLarge.ClusterServicePlanExternalID = "fixed-large-id"
	nameRef := sc.PlanReference{ClusterServiceClassName: "fixed", ClusterServicePlanName: "fixed-small"}
	nameLarge := nameRef
	nameLarge.ClusterServicePlanName = "fixed-large"

	refused := map[string]struct {
		update
		field string
	}{
		"by external name, class not updatable": {pair(change(instance(extName("fixed-offering", "small")),
			extName("fixed-offering", "large"))), "spec.clusterServicePlanExternalName"},
		"by external ID": {pair(change(instance(idRef), idLarge)), "spec.clusterServicePlanExternalID"},
		"by name":        {pair(change(instance(nameRef), nameLarge)), "spec.clusterServicePlanName"},
		"plan not updatable in an updatable class": {pair(change(instance(extName("open-offering", "locked")),
			extName("open-offering", "small"))), "spec.clusterServicePlanExternalName"},
		"resolved plan is not updatable, old spec's is": {pair(change(onPlan(instance(extName("fixed-offering", "flex")), "fixed-small"),
			extName("fixed-offering", "large"))), "spec.clusterServicePlanExternalName"},
	}
	for name, tc := range refused {
		for scope, u := range map[string]update{"cluster": tc.update, "namespace": pair(scopetest.Instance(tc.obj), scopetest.Instance(tc.old))} {
			field := tc.field
			if scope == "namespace" {
				field = scopetest.Fields.Replace(field)
			}
			t.Run(scope+"/"+name, func(t *testing.T) {
				err := admissiontest.Validate(p, admissiontest.Attributes(u.obj, u.old))
				if !apierrors.IsInvalid(err) {
					t.Fatalf("got %v, want Invalid", err)
				}
				causes := err.(apierrors.APIStatus).Status().Details.Causes
				if len(causes) != 1 || causes[0].Field != field || !strings.Contains(causes[0].Message, "cannot be changed") {
					t.Errorf("causes %+v, want one on %s saying the plan cannot be changed", causes, field)
				}
			})
		}
	}
	// A namespaced class of another namespace is not the instance's: nothing to check.
	obj, old := change(scopetest.Instance(instance(extName("fixed-offering", "small"))), scopetest.Instance(instance(extName("fixed-offering", "large"))).Spec.PlanReference)
	obj.Namespace, old.Namespace = "team-b", "team-b"
	if err := admissiontest.Validate(p, admissiontest.Attributes(obj, old)); err != nil {
		t.Errorf("an instance of team-b naming a class of team-a: got %v, want it let through", err)
	}
}

func TestValidateIgnoresOtherRequests(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, brokerCatalog()...)
	obj, old := change(instance(extName("fixed-offering", "small")), extName("fixed-offering", "large"))
	if err := admissiontest.Validate(p, admissiontest.AttributesFor(obj, old, "status", admissiontest.User)); err != nil {
		t.Errorf("status update: %v", err)
	}
	if err := admissiontest.Validate(p, admissiontest.Attributes(obj, nil)); err != nil {
		t.Errorf("create: %v", err)
	}
	binding := &sc.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "b"}}
	if err := admissiontest.Validate(p, admissiontest.Attributes(binding, binding.DeepCopy())); err != nil {
		t.Errorf("binding update: %v", err)
	}
}

func TestNotReadyUntilSynced(t *testing.T) {
	t.Parallel()
	p := New()
	admissiontest.Initialize(t, p, false, brokerCatalog()...)
	obj, old := change(instance(extName("fixed-offering", "small")), extName("fixed-offering", "large"))
	err := admissiontest.Validate(p, admissiontest.Attributes(obj, old))
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "not yet ready") {
		t.Errorf("got %v, want Forbidden: not yet ready", err)
	}
}

func TestValidateInitialization(t *testing.T) {
	if err := New().ValidateInitialization(); err == nil {
		t.Error("no error without informers")
	}
}
