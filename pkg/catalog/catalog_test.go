package catalog_test

import (
	"testing"

	"k8s.io/utils/ptr"

	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

func TestPlanSettingsOverrideTheirClass(t *testing.T) {
	for _, tc := range []struct {
		name  string
		plan  *bool
		class bool
		want  bool
	}{
		{"plan unset, class false", nil, false, false},
		{"plan unset, class true", nil, true, true},
		{"plan false overrides class true", ptr.To(false), true, false},
		{"plan true overrides class false", ptr.To(true), false, true},
		{"plan and class true", ptr.To(true), true, true},
		{"plan and class false", ptr.To(false), false, false},
	} {
		if got := catalog.PlanUpdatable(tc.plan, tc.class); got != tc.want {
			t.Errorf("%s: PlanUpdatable = %t, want %t", tc.name, got, tc.want)
		}
		if got := catalog.Bindable(tc.plan, tc.class); got != tc.want {
			t.Errorf("%s: Bindable = %t, want %t", tc.name, got, tc.want)
		}
	}
}
