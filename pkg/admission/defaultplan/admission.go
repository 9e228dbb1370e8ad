// Package defaultplan holds the DefaultServicePlan admission plugin: a new instance that
// names its class but no plan gets the class's plan when the class has exactly one, named
// the way the class is, in the same scope (a ClusterServiceClass, or a ServiceClass of the
// instance's namespace); when it has several, the refusal lists them.
package defaultplan

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "DefaultServicePlan"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the DefaultServicePlan admission plugin. An instance whose class cannot be
// found is left as it is: validation then asks for the plan.
type Plugin struct {
	initializer.CatalogHandler
}

var (
	_ admission.MutationInterface    = &Plugin{}
	_ initializer.WantsCatalogReader = &Plugin{}
)

// New returns the plugin; it handles instance creation.
func New() *Plugin {
	return &Plugin{CatalogHandler: initializer.NewCatalogHandler(PluginName, admission.Create)}
}

// Admit names the plan of a new instance that names only its class, when the class has
// one plan the broker still offers, the same way the class is named.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != sc.Resource("serviceinstances") || a.GetSubresource() != "" {
		return nil
	}
	instance, ok := a.GetObject().(*sc.ServiceInstance)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: unexpected object %T", PluginName, a.GetObject()))
	}
	ref := catalog.PlanReference(instance.Spec.PlanReference)
	n, scope := catalog.NamingOf(ref), catalog.ScopeOf(ref)
	if n.Class(ref) == "" || namesAPlan(ref) || catalog.MixesScopes(ref) {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	class, err := p.Reader.ClassOf(ctx, a.GetNamespace(), ref)
	if err != nil || class == nil {
		return nil //nolint:nilerr // validation asks for the plan
	}
	plans, err := p.offered(ctx, class)
	switch {
	case err != nil || len(plans) == 0:
		return nil //nolint:nilerr // validation asks for the plan
	case len(plans) == 1:
		setPlan(&instance.Spec.PlanReference, n, scope, n.Of(names(plans[0])))
		return nil
	}
	choices := make([]string, 0, len(plans))
	for _, plan := range plans {
		choices = append(choices, n.Of(names(plan)))
	}
	slices.Sort(choices)
	return apierrors.NewInvalid(sc.Kind("ServiceInstance"), instance.Name, field.ErrorList{
		field.Required(field.NewPath("spec", n.PlanFieldIn(scope)), fmt.Sprintf("class %q has %d plans; name one of: %s",
			n.Class(ref), len(plans), strings.Join(choices, ", "))),
	})
}

// offered returns the plans of a class that the broker still offers.
func (p *Plugin) offered(ctx context.Context, class *catalog.Class) ([]*catalog.Plan, error) {
	plans, err := p.Reader.PlansOfClass(ctx, class)
	return slices.DeleteFunc(plans, func(plan *catalog.Plan) bool { return plan.Status.RemovedFromBrokerCatalog }), err
}

// namesAPlan tells whether ref names a plan in any naming.
func namesAPlan(ref catalog.PlanReference) bool {
	for _, n := range catalog.Namings() {
		if n.Plan(ref) != "" {
			return true
		}
	}
	return false
}

// setPlan names the plan in ref the way n does, in scope.
func setPlan(ref *sc.PlanReference, n catalog.Naming, scope catalog.Scope, plan string) {
	fields := map[catalog.Scope]map[catalog.Naming]*string{
		catalog.ClusterScope: {catalog.ByExternalName: &ref.ClusterServicePlanExternalName, catalog.ByExternalID: &ref.ClusterServicePlanExternalID,
			catalog.ByName: &ref.ClusterServicePlanName},
		catalog.NamespaceScope: {catalog.ByExternalName: &ref.ServicePlanExternalName, catalog.ByExternalID: &ref.ServicePlanExternalID,
			catalog.ByName: &ref.ServicePlanName},
	}
	*fields[scope][n] = plan
}

func names(plan *catalog.Plan) catalog.Names {
	return catalog.Names{Name: plan.Name, ExternalName: plan.Spec.ExternalName, ExternalID: plan.Spec.ExternalID}
}
