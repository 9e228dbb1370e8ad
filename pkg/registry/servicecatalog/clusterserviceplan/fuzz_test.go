package clusterserviceplan

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// FuzzStrategy runs the plan strategies on arbitrary plans (see
// registrytest.FuzzStrategies). On top of the checks every kind shares: a create clears
// the status and keeps the spec, and an update takes the spec as sent.
func FuzzStrategy(f *testing.F) {
	s, status := newStrategies()
	registrytest.FuzzStrategies(f, registrytest.StrategyFuzz[*sc.ClusterServicePlan]{
		New:      func() *sc.ClusterServicePlan { return &sc.ClusterServicePlan{} },
		Strategy: s,
		Status:   status,
		GetAttrs: GetAttrs,
		Create: func(t *testing.T, sent, got *sc.ClusterServicePlan, _ *sc.UserInfo) {
			if !equality.Semantic.DeepEqual(got.Status, sc.ClusterServicePlanStatus{}) {
				t.Fatalf("status after PrepareForCreate: %#v", got.Status)
			}
			if !equality.Semantic.DeepEqual(got.Spec, sent.Spec) {
				t.Fatal("PrepareForCreate changed the spec")
			}
		},
		Update: func(t *testing.T, sent, _, got *sc.ClusterServicePlan, _ *sc.UserInfo) {
			if !equality.Semantic.DeepEqual(got.Spec, sent.Spec) {
				t.Fatalf("spec after PrepareForUpdate:\ngot:  %#v\nwant: %#v", got.Spec, sent.Spec)
			}
		},
	})
}
