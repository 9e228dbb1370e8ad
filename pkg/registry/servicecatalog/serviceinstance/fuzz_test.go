package serviceinstance

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// FuzzStrategy runs the instance strategies on arbitrary instances (see
// registrytest.FuzzStrategies). On top of the checks every kind shares: a create resets
// the status to "deprovision required", keeps a given externalID or picks one, and
// records the user; an update fills in the externalID and updateRequests a client left
// out from the stored instance, and records the user exactly when the spec changes.
func FuzzStrategy(f *testing.F) {
	s, status := newStrategies()
	registrytest.FuzzStrategies(f, registrytest.StrategyFuzz[*sc.ServiceInstance]{
		New:       func() *sc.ServiceInstance { return &sc.ServiceInstance{} },
		Strategy:  s,
		Status:    status,
		GetAttrs:  GetAttrs,
		Finalizer: true,
		ServerSet: []string{"ExternalID", "UpdateRequests", "UserInfo"},
		Create: func(t *testing.T, sent, got *sc.ServiceInstance, user *sc.UserInfo) {
			if want := (sc.ServiceInstanceStatus{DeprovisionStatus: sc.ServiceInstanceDeprovisionStatusRequired}); !equality.Semantic.DeepEqual(got.Status, want) {
				t.Fatalf("status after PrepareForCreate: %#v", got.Status)
			}
			if got.Spec.ExternalID == "" || (sent.Spec.ExternalID != "" && got.Spec.ExternalID != sent.Spec.ExternalID) {
				t.Fatalf("externalID %q sent, %q after PrepareForCreate", sent.Spec.ExternalID, got.Spec.ExternalID)
			}
			if !equality.Semantic.DeepEqual(got.Spec.UserInfo, user) {
				t.Fatalf("userInfo %#v after PrepareForCreate, want %#v", got.Spec.UserInfo, user)
			}
			want := sent.Spec
			want.ExternalID, want.UserInfo = got.Spec.ExternalID, got.Spec.UserInfo
			if !equality.Semantic.DeepEqual(got.Spec, want) {
				t.Fatal("PrepareForCreate changed the spec beyond externalID and userInfo")
			}
		},
		Update: func(t *testing.T, sent, old, got *sc.ServiceInstance, user *sc.UserInfo) {
			want := sent.Spec
			if want.ExternalID == "" {
				want.ExternalID = old.Spec.ExternalID
			}
			if want.UpdateRequests == 0 {
				want.UpdateRequests = old.Spec.UpdateRequests
			}
			want.UserInfo = old.Spec.UserInfo
			if got.Generation != old.Generation {
				want.UserInfo = user
			}
			if !equality.Semantic.DeepEqual(got.Spec, want) {
				t.Fatalf("spec after PrepareForUpdate:\ngot:  %#v\nwant: %#v", got.Spec, want)
			}
		},
	})
}
