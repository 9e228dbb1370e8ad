// Package planchange holds the ServicePlanChangeValidator admission plugin: it refuses to
// move an instance off its current plan when the broker says that plan cannot be changed
// (plan_updateable false on the plan, or on its offering when the plan does not say).
package planchange

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "ServicePlanChangeValidator"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the ServicePlanChangeValidator admission plugin. It serves instances of classes
// of both scopes. Instances whose class or current plan cannot be found are let through:
// the controller reports those.
type Plugin struct {
	initializer.CatalogHandler
}

var (
	_ admission.ValidationInterface  = &Plugin{}
	_ initializer.WantsCatalogReader = &Plugin{}
)

// New returns the plugin; it handles instance updates.
func New() *Plugin {
	return &Plugin{CatalogHandler: initializer.NewCatalogHandler(PluginName, admission.Update)}
}

// Validate refuses a change of the plan identifier when the current plan is not updatable.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != sc.Resource("serviceinstances") || a.GetSubresource() != "" {
		return nil
	}
	instance, ok := a.GetObject().(*sc.ServiceInstance)
	old, okOld := a.GetOldObject().(*sc.ServiceInstance)
	if !ok || !okOld {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: unexpected objects %T, %T", PluginName, a.GetObject(), a.GetOldObject()))
	}
	ref, oldRef := catalog.PlanReference(instance.Spec.PlanReference), catalog.PlanReference(old.Spec.PlanReference)
	n, scope := catalog.NamingOf(ref), catalog.ScopeOf(ref)
	if n.Plan(ref) == n.Plan(oldRef) || scope != catalog.ScopeOf(oldRef) {
		return nil // no plan change, or a change of scope, which validation refuses
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	// The class cannot change, so the old spec names the same one.
	class, err := p.Reader.ClassOf(ctx, old.Namespace, oldRef)
	if err != nil || class == nil {
		return nil //nolint:nilerr // the controller reports a class it cannot find
	}
	current, err := p.Reader.InstancePlan(ctx, old)
	if err != nil || current == nil || catalog.PlanUpdatable(current.Spec.PlanUpdatable, class.Spec.PlanUpdatable) || n.NamesPlan(ref, names(current)) {
		return nil //nolint:nilerr // the controller reports a plan it cannot find
	}
	return apierrors.NewInvalid(sc.Kind("ServiceInstance"), instance.Name, field.ErrorList{
		field.Forbidden(field.NewPath("spec", n.PlanFieldIn(scope)), fmt.Sprintf(
			"the plan cannot be changed: plan %q of class %q is not updatable", current.Spec.ExternalName, class.Spec.ExternalName)),
	})
}

// names returns the identifiers of plan.
func names(plan *catalog.Plan) catalog.Names {
	return catalog.Names{Name: plan.Name, ExternalName: plan.Spec.ExternalName, ExternalID: plan.Spec.ExternalID}
}
