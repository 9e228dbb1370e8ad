package servicebinding

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// FuzzStrategy runs the binding strategies on arbitrary bindings (see
// registrytest.FuzzStrategies). On top of the checks every kind shares: a create resets
// the status to "unbind required", keeps a given externalID or picks one, names the
// Secret after the binding unless a name is given, and records the user; an update fills
// in the externalID and secretName a client left out from the stored binding, and records
// the user exactly when the spec changes.
func FuzzStrategy(f *testing.F) {
	s, status := newStrategies()
	registrytest.FuzzStrategies(f, registrytest.StrategyFuzz[*sc.ServiceBinding]{
		New:       func() *sc.ServiceBinding { return &sc.ServiceBinding{} },
		Strategy:  s,
		Status:    status,
		GetAttrs:  GetAttrs,
		Finalizer: true,
		ServerSet: []string{"ExternalID", "SecretName", "UserInfo"},
		Create: func(t *testing.T, sent, got *sc.ServiceBinding, user *sc.UserInfo) {
			if want := (sc.ServiceBindingStatus{UnbindStatus: sc.ServiceBindingUnbindStatusRequired}); !equality.Semantic.DeepEqual(got.Status, want) {
				t.Fatalf("status after PrepareForCreate: %#v", got.Status)
			}
			if got.Spec.ExternalID == "" || (sent.Spec.ExternalID != "" && got.Spec.ExternalID != sent.Spec.ExternalID) {
				t.Fatalf("externalID %q sent, %q after PrepareForCreate", sent.Spec.ExternalID, got.Spec.ExternalID)
			}
			want := sent.Spec
			if want.SecretName == "" {
				want.SecretName = sent.Name
			}
			want.ExternalID, want.UserInfo = got.Spec.ExternalID, user
			if !equality.Semantic.DeepEqual(got.Spec, want) {
				t.Fatalf("spec after PrepareForCreate:\ngot:  %#v\nwant: %#v", got.Spec, want)
			}
		},
		Update: func(t *testing.T, sent, old, got *sc.ServiceBinding, user *sc.UserInfo) {
			want := sent.Spec
			if want.ExternalID == "" {
				want.ExternalID = old.Spec.ExternalID
			}
			if want.SecretName == "" {
				want.SecretName = old.Spec.SecretName
			}
			if want.RotationRequests == 0 {
				want.RotationRequests = old.Spec.RotationRequests
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
