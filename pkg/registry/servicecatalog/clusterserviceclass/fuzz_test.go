package clusterserviceclass

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// FuzzStrategy runs the class strategies on arbitrary classs (see
// registrytest.FuzzStrategies). On top of the checks every kind shares: a create clears
// the status and keeps the spec, and an update takes the spec as sent.
func FuzzStrategy(f *testing.F) {
	s, status := newStrategies()
	registrytest.FuzzStrategies(f, registrytest.StrategyFuzz[*sc.ClusterServiceClass]{
		New:      func() *sc.ClusterServiceClass { return &sc.ClusterServiceClass{} },
		Strategy: s,
		Status:   status,
		GetAttrs: GetAttrs,
		Create: func(t *testing.T, sent, got *sc.ClusterServiceClass, _ *sc.UserInfo) {
			if !equality.Semantic.DeepEqual(got.Status, sc.ClusterServiceClassStatus{}) {
				t.Fatalf("status after PrepareForCreate: %#v", got.Status)
			}
			if !equality.Semantic.DeepEqual(got.Spec, sent.Spec) {
				t.Fatal("PrepareForCreate changed the spec")
			}
		},
		Update: func(t *testing.T, sent, _, got *sc.ClusterServiceClass, _ *sc.UserInfo) {
			if !equality.Semantic.DeepEqual(got.Spec, sent.Spec) {
				t.Fatalf("spec after PrepareForUpdate:\ngot:  %#v\nwant: %#v", got.Spec, sent.Spec)
			}
		},
	})
}
