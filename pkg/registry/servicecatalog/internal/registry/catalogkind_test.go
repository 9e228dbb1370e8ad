package registry

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/install"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registrytest"
)

// noErrors validates anything.
func noErrors[T runtime.Object](T) field.ErrorList { return nil }

// noUpdateErrors validates any update.
func noUpdateErrors[T runtime.Object](_, _ T) field.ErrorList { return nil }

// TestCatalogKindCheck checks that a kind the strategies cannot serve is refused when its
// storage is built, not when a request reaches it.
func TestCatalogKindCheck(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	classes := Validate(noErrors[*sc.ServiceClass], noUpdateErrors[*sc.ServiceClass], noUpdateErrors[*sc.ServiceClass])
	tests := map[string]struct {
		check func() error
		want  string
	}{
		"no spec": {
			func() error {
				return (&CatalogKind[*sc.Intervention]{Validation: Validate(noErrors[*sc.Intervention], noUpdateErrors[*sc.Intervention], noUpdateErrors[*sc.Intervention])}).check()
			},
			"has no field Spec",
		},
		"no validation":               {(&CatalogKind[*sc.ServiceClass]{}).check, "has no validation"},
		"an unknown server-set field": {(&CatalogKind[*sc.ServiceClass]{Validation: classes, KeepUnset: []string{"RelistRequests"}}).check, "has no field RelistRequests"},
		"a servable kind":             {(&CatalogKind[*sc.ServiceClass]{Validation: classes}).check, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := tc.check()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, _, err := NewCatalogREST(scheme, nil, &CatalogKind[*sc.ServiceClass]{}, nil); err == nil {
		t.Errorf("NewCatalogREST accepted a kind without validation")
	}
}

// TestCatalogStrategyOfAnotherKind checks that the strategies of a kind refuse objects of
// another kind without panicking: the generic registry never hands them one, but a
// strategy must not panic.
func TestCatalogStrategyOfAnotherKind(t *testing.T) {
	k := &CatalogKind[*sc.ServiceClass]{Validation: Validate(noErrors[*sc.ServiceClass], noUpdateErrors[*sc.ServiceClass], noUpdateErrors[*sc.ServiceClass])}
	s, status := k.Strategy(runtime.NewScheme()), k.StatusStrategy(runtime.NewScheme())
	ctx := registrytest.Context("team-a", nil)
	plan, other := &sc.ServicePlan{ObjectMeta: metav1.ObjectMeta{Generation: 7}}, &sc.ServicePlan{}
	s.PrepareForCreate(ctx, plan)
	s.PrepareForUpdate(ctx, plan, other)
	status.PrepareForUpdate(ctx, plan, other)
	if plan.Generation != 7 {
		t.Errorf("the strategy of classes changed a plan: generation %d", plan.Generation)
	}
	for what, errs := range map[string]field.ErrorList{
		"Validate":              s.Validate(ctx, plan),
		"ValidateUpdate":        s.ValidateUpdate(ctx, &sc.ServiceClass{}, other),
		"status ValidateUpdate": status.ValidateUpdate(ctx, plan, &sc.ServiceClass{}),
	} {
		if len(errs) != 1 || errs[0].Type != field.ErrorTypeInternal {
			t.Errorf("%s of a plan: %v, want an internal error", what, errs)
		}
	}
	if _, _, err := k.GetAttrs(plan); err == nil {
		t.Errorf("GetAttrs of a plan succeeded, want an error")
	}
}
