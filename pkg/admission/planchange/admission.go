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
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
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

// Plugin is the ServicePlanChangeValidator admission plugin. Instances whose class or
// current plan cannot be found are let through: the controller reports those.
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
	n := catalog.NamingOf(ref)
	if n.Plan(ref) == n.Plan(oldRef) {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	// The class cannot change, so the old spec names the same one.
	class := p.findClass(ctx, n, oldRef)
	if class == nil {
		return nil
	}
	current := p.currentPlan(ctx, n, class, old)
	if current == nil || catalog.PlanUpdatable(current.Spec.PlanUpdatable, class.Spec.PlanUpdatable) || n.NamesPlan(ref, names(current)) {
		return nil
	}
	return apierrors.NewInvalid(sc.Kind("ServiceInstance"), instance.Name, field.ErrorList{
		field.Forbidden(field.NewPath("spec", n.PlanField()), fmt.Sprintf(
			"the plan cannot be changed: plan %q of class %q is not updatable", current.Spec.ExternalName, class.Spec.ExternalName)),
	})
}

// findClass returns the class ref names, or nil when there is no such class or several
// classes match.
func (p *Plugin) findClass(ctx context.Context, n catalog.Naming, ref catalog.PlanReference) *v1beta1.ClusterServiceClass {
	classes, err := p.Reader.ClusterServiceClasses(ctx, n, n.Class(ref))
	if err != nil || len(classes) != 1 {
		return nil
	}
	return classes[0]
}

// currentPlan returns the plan the instance is on: the one the controller resolved, else
// the one its old spec names. It returns nil when that plan cannot be found.
func (p *Plugin) currentPlan(ctx context.Context, n catalog.Naming, class *v1beta1.ClusterServiceClass, old *sc.ServiceInstance) *v1beta1.ClusterServicePlan {
	if ref := old.Status.ClusterServicePlanRef; ref != nil && ref.Name != "" {
		plan, err := p.Reader.ClusterServicePlan(ctx, ref.Name)
		if err != nil {
			return nil
		}
		return plan
	}
	plans, err := p.Reader.ClusterServicePlansOfClass(ctx, class.Name)
	if err != nil {
		return nil
	}
	oldRef := catalog.PlanReference(old.Spec.PlanReference)
	for _, plan := range plans {
		if n.NamesPlan(oldRef, names(plan)) {
			return plan
		}
	}
	return nil
}

// names returns the identifiers of plan.
func names(plan *v1beta1.ClusterServicePlan) catalog.Names {
	return catalog.Names{Name: plan.Name, ExternalName: plan.Spec.ExternalName, ExternalID: plan.Spec.ExternalID}
}
