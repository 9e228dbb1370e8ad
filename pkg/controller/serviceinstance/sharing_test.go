package serviceinstance

import (
	"fmt"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func TestRemainingBindingsSaysHowManyAndNamesForeignOnes(t *testing.T) {
	bindings := func(n int) []*v1beta1.ServiceBinding { return make([]*v1beta1.ServiceBinding, n) }
	foreign := func(n int) []v1beta1.NamespacedObjectReference {
		refs := make([]v1beta1.NamespacedObjectReference, n)
		for i := range refs {
			refs[i] = v1beta1.NamespacedObjectReference{Namespace: "team-b", Name: fmt.Sprintf("b%d", i)}
		}
		return refs
	}
	for _, tc := range []struct {
		bindings, foreign int
		want              string
	}{
		{1, 0, "The instance still has 1 binding"},
		{3, 0, "The instance still has 3 bindings"},
		{2, 1, "The instance still has 2 bindings (1 in other namespaces: team-b/b0)"},
		{12, 12, "The instance still has 12 bindings (12 in other namespaces: team-b/b0, team-b/b1, team-b/b2, team-b/b3, team-b/b4, team-b/b5, team-b/b6, team-b/b7, team-b/b8, team-b/b9, and 2 more)"},
	} {
		if got := remainingBindings(bindings(tc.bindings), foreign(tc.foreign)); got != tc.want {
			t.Errorf("%d bindings, %d foreign: %q, want %q", tc.bindings, tc.foreign, got, tc.want)
		}
	}
}
