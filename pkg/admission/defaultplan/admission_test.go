package defaultplan

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/admission/internal/admissiontest"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
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
// two.
func brokerCatalog() []runtime.Object {
	return []runtime.Object{
		class("single"), plan("single", "only", false), plan("single", "gone", true),
		class("several"), plan("several", "small", false), plan("several", "large", false),
	}
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
		t.Run(tc.name, func(t *testing.T) {
			i := instance(tc.ref)
			err := admissiontest.Admit(p, admissiontest.Attributes(i, nil))
			if tc.invalid != "" {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.invalid) {
					t.Fatalf("error %v, want Invalid saying %q", err, tc.invalid)
				}
				return
			}
			if err != nil || i.Spec.PlanReference != tc.want {
				t.Errorf("got %+v (%v), want %+v", i.Spec.PlanReference, err, tc.want)
			}
		})
	}
}
