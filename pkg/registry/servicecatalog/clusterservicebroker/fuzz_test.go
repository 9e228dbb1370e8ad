package clusterservicebroker

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// FuzzStrategy runs the broker strategies on arbitrary brokers (see
// registrytest.FuzzStrategies). On top of the checks every kind shares: a create clears
// the status and keeps the spec; an update keeps the stored relistRequests when the
// request leaves it out, and takes the rest of the spec as sent.
func FuzzStrategy(f *testing.F) {
	s, status := newStrategies()
	registrytest.FuzzStrategies(f, registrytest.StrategyFuzz[*sc.ClusterServiceBroker]{
		New:       func() *sc.ClusterServiceBroker { return &sc.ClusterServiceBroker{} },
		Strategy:  s,
		Status:    status,
		GetAttrs:  GetAttrs,
		Finalizer: true,
		ServerSet: []string{"RelistRequests"},
		Create: func(t *testing.T, sent, got *sc.ClusterServiceBroker, _ *sc.UserInfo) {
			if !equality.Semantic.DeepEqual(got.Status, sc.ClusterServiceBrokerStatus{}) {
				t.Fatalf("status after PrepareForCreate: %#v", got.Status)
			}
			if !equality.Semantic.DeepEqual(got.Spec, sent.Spec) {
				t.Fatal("PrepareForCreate changed the spec")
			}
		},
		Update: func(t *testing.T, sent, old, got *sc.ClusterServiceBroker, _ *sc.UserInfo) {
			want := sent.Spec
			if want.RelistRequests == 0 {
				want.RelistRequests = old.Spec.RelistRequests
			}
			if !equality.Semantic.DeepEqual(got.Spec, want) {
				t.Fatalf("spec after PrepareForUpdate:\ngot:  %#v\nwant: %#v", got.Spec, want)
			}
		},
	})
}
