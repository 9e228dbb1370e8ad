package defaultplan

import (
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func class(name string) *v1beta1.ClusterServiceClass {
	return &v1beta1.ClusterServiceClass{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{ExternalName: name + "-offering", ExternalID: name + "-id"}},
	}
}

func plan(class, externalName string, removed bool) *v1beta1.ClusterServicePlan {
	name := class + "-" + externalName
	p := &v1beta1.ClusterServicePlan{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1beta1.ClusterServicePlanSpec{
			CommonServicePlanSpec:  v1beta1.CommonServicePlanSpec{ExternalName: externalName, ExternalID: name + "-id"},
			ClusterServiceClassRef: v1beta1.ClusterObjectReference{Name: class},
		},
	}
	p.Status.RemovedFromBrokerCatalog = removed
	return p
}

// brokerCatalog: "single" has one plan offered (and one the broker removed), "several" has
// two; in the cluster, and as the namespaced twins of these (scopetest) in team-a.
func brokerCatalog() []runtime.Object {
	cluster := []runtime.Object{
		class("single"), plan("single", "only", false), plan("single", "gone", true),
		class("several"), plan("several", "small", false), plan("several", "large", false),
	}
	objs := slices.Clone(cluster)
	for _, obj := range cluster {
		objs = append(objs, scopetest.Versioned(obj))
	}
	return objs
}

func instance(ref sc.PlanReference) *sc.ServiceInstance {
	return &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db"}, Spec: sc.ServiceInstanceSpec{PlanReference: ref}}
}

func TestAdmit(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, brokerCatalog()...)
	for _, tc := range []struct {
		name    string
		ref     sc.PlanReference
		want    sc.PlanReference
		invalid string
	}{
		{name: "one plan, by external name", ref: sc.PlanReference{ClusterServiceClassExternalName: "single-offering"},
			want: sc.PlanReference{ClusterServiceClassExternalName: "single-offering", ClusterServicePlanExternalName: "only"}},
		{name: "one plan, by external ID", ref: sc.PlanReference{ClusterServiceClassExternalID: "single-id"},
			want: sc.PlanReference{ClusterServiceClassExternalID: "single-id", ClusterServicePlanExternalID: "single-only-id"}},
		{name: "one plan, by name", ref: sc.PlanReference{ClusterServiceClassName: "single"},
			want: sc.PlanReference{ClusterServiceClassName: "single", ClusterServicePlanName: "single-only"}},
		{name: "a plan named", ref: sc.PlanReference{ClusterServiceClassExternalName: "single-offering", ClusterServicePlanExternalName: "gone"},
			want: sc.PlanReference{ClusterServiceClassExternalName: "single-offering", ClusterServicePlanExternalName: "gone"}},
		{name: "a plan named another way", ref: sc.PlanReference{ClusterServiceClassExternalName: "single-offering", ClusterServicePlanName: "x"},
			want: sc.PlanReference{ClusterServiceClassExternalName: "single-offering", ClusterServicePlanName: "x"}},
		{name: "an unknown class", ref: sc.PlanReference{ClusterServiceClassExternalName: "nope"}, want: sc.PlanReference{ClusterServiceClassExternalName: "nope"}},
		{name: "several plans", ref: sc.PlanReference{ClusterServiceClassExternalName: "several-offering"},
			invalid: `spec.clusterServicePlanExternalName: Required value: class "several-offering" has 2 plans; name one of: large, small`},
	} {
		// Each case in the cluster scope, and named the same way in the namespace scope,
		// where the class is a ServiceClass of the instance's namespace.
		for scope, i := range map[string]*sc.ServiceInstance{"cluster": instance(tc.ref), "namespace": scopetest.Instance(instance(tc.ref))} {
			t.Run(scope+"/"+tc.name, func(t *testing.T) {
				want := instance(tc.want)
				if scope == "namespace" {
					want = scopetest.Instance(want)
				}
				err := admissiontest.Admit(p, admissiontest.Attributes(i, nil))
				if tc.invalid != "" {
					if msg := inScope(scope, tc.invalid); !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), msg) {
						t.Fatalf("error %v, want Invalid saying %q", err, msg)
					}
					return
				}
				if err != nil || i.Spec.PlanReference != want.Spec.PlanReference {
					t.Errorf("got %+v (%v), want %+v", i.Spec.PlanReference, err, want.Spec.PlanReference)
				}
			})
		}
	}
}

// inScope names the fields of a scope in msg.
func inScope(scope, msg string) string {
	if scope == "namespace" {
		return scopetest.Fields.Replace(msg)
	}
	return msg
}

// TestAdmitOnlyInTheInstancesNamespace checks that a namespaced class gives its plan only
// to instances of its namespace, and that an instance naming both scopes is left to
// validation.
func TestAdmitOnlyInTheInstancesNamespace(t *testing.T) {
	p := New()
	admissiontest.Initialize(t, p, true, brokerCatalog()...)
	elsewhere := scopetest.Instance(instance(sc.PlanReference{ClusterServiceClassExternalName: "single-offering"}))
	elsewhere.Namespace = "team-b"
	mixed := instance(sc.PlanReference{ClusterServiceClassExternalName: "single-offering", ServiceClassExternalName: "single-offering"})
	for name, i := range map[string]*sc.ServiceInstance{"another namespace": elsewhere, "both scopes": mixed} {
		want := i.Spec.PlanReference
		if err := admissiontest.Admit(p, admissiontest.Attributes(i, nil)); err != nil || i.Spec.PlanReference != want {
			t.Errorf("%s: got %+v (%v), want it unchanged", name, i.Spec.PlanReference, err)
		}
	}
}
