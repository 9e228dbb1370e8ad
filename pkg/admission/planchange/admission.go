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
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
	scinformers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions/servicecatalog/v1beta1"
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
	*admission.Handler
	classes scinformers.ClusterServiceClassInformer
	plans   scinformers.ClusterServicePlanInformer
	initErr error
}

var (
	_ admission.ValidationInterface    = &Plugin{}
	_ initializer.WantsInformerFactory = &Plugin{}
)

// New returns the plugin; it handles instance updates.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Update)}
}

// SetInformerFactory takes the class and plan informers and indexes them.
func (p *Plugin) SetInformerFactory(f informers.SharedInformerFactory) {
	p.classes = f.Servicecatalog().V1beta1().ClusterServiceClasses()
	p.plans = f.Servicecatalog().V1beta1().ClusterServicePlans()
	p.initErr = initializer.AddIndexes(p.classes.Informer(), initializer.ByExternalName, initializer.ByExternalID)
	if p.initErr == nil {
		p.initErr = initializer.AddIndexes(p.plans.Informer(), initializer.ByClass)
	}
	classesSynced, plansSynced := p.classes.Informer().HasSynced, p.plans.Informer().HasSynced
	p.SetReadyFunc(func() bool { return classesSynced() && plansSynced() })
}

// ValidateInitialization fails until the plugin has its informers.
func (p *Plugin) ValidateInitialization() error {
	if p.classes == nil || p.plans == nil {
		return fmt.Errorf("%s: missing the class and plan informers", PluginName)
	}
	return p.initErr
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
	n := namingOf(&instance.Spec.PlanReference)
	if n.plan(&instance.Spec.PlanReference) == n.plan(&old.Spec.PlanReference) {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	// The class cannot change, so the old spec names the same one.
	class := p.findClass(n, &old.Spec.PlanReference)
	if class == nil {
		return nil
	}
	current := p.currentPlan(n, class, old)
	if current == nil || updatable(class, current) || n.names(current, &instance.Spec.PlanReference) {
		return nil
	}
	return apierrors.NewInvalid(sc.Kind("ServiceInstance"), instance.Name, field.ErrorList{
		field.Forbidden(field.NewPath("spec", n.planField), fmt.Sprintf(
			"the plan cannot be changed: plan %q of class %q is not updatable", current.Spec.ExternalName, class.Spec.ExternalName)),
	})
}

// findClass returns the class the spec names, or nil when there is no such class or
// several classes match.
func (p *Plugin) findClass(n naming, ref *sc.PlanReference) *v1beta1.ClusterServiceClass {
	if n.kind == byName {
		class, err := p.classes.Lister().Get(ref.ClusterServiceClassName)
		if err != nil {
			return nil
		}
		return class
	}
	index, value := initializer.ByExternalName, ref.ClusterServiceClassExternalName
	if n.kind == byExternalID {
		index, value = initializer.ByExternalID, ref.ClusterServiceClassExternalID
	}
	objs, err := p.classes.Informer().GetIndexer().ByIndex(index, value)
	if err != nil || len(objs) != 1 {
		return nil
	}
	class, _ := objs[0].(*v1beta1.ClusterServiceClass)
	return class
}

// currentPlan returns the plan the instance is on: the one the controller resolved, else
// the one its old spec names. It returns nil when that plan cannot be found.
func (p *Plugin) currentPlan(n naming, class *v1beta1.ClusterServiceClass, old *sc.ServiceInstance) *v1beta1.ClusterServicePlan {
	if ref := old.Status.ClusterServicePlanRef; ref != nil && ref.Name != "" {
		plan, err := p.plans.Lister().Get(ref.Name)
		if err != nil {
			return nil
		}
		return plan
	}
	objs, err := p.plans.Informer().GetIndexer().ByIndex(initializer.ByClass, class.Name)
	if err != nil {
		return nil
	}
	for _, obj := range objs {
		if plan, ok := obj.(*v1beta1.ClusterServicePlan); ok && n.names(plan, &old.Spec.PlanReference) {
			return plan
		}
	}
	return nil
}

// updatable is the plan's planUpdatable if it has one, else its class's.
func updatable(class *v1beta1.ClusterServiceClass, plan *v1beta1.ClusterServicePlan) bool {
	if plan.Spec.PlanUpdatable != nil {
		return *plan.Spec.PlanUpdatable
	}
	return class.Spec.PlanUpdatable
}

// namingKind is one of the three ways an instance names its class and plan.
type namingKind int

const (
	byExternalName namingKind = iota
	byExternalID
	byName
)

// naming says how an instance names its plan.
type naming struct {
	kind namingKind
	// planField is the spec field holding the plan identifier.
	planField string
}

// namingOf returns how ref names its class and, the same way, its plan.
func namingOf(ref *sc.PlanReference) naming {
	switch {
	case ref.ClusterServiceClassName != "":
		return naming{byName, "clusterServicePlanName"}
	case ref.ClusterServiceClassExternalID != "":
		return naming{byExternalID, "clusterServicePlanExternalID"}
	}
	return naming{byExternalName, "clusterServicePlanExternalName"}
}

// plan returns the plan identifier of ref.
func (n naming) plan(ref *sc.PlanReference) string {
	switch n.kind {
	case byName:
		return ref.ClusterServicePlanName
	case byExternalID:
		return ref.ClusterServicePlanExternalID
	}
	return ref.ClusterServicePlanExternalName
}

// names reports whether ref names plan.
func (n naming) names(plan *v1beta1.ClusterServicePlan, ref *sc.PlanReference) bool {
	switch n.kind {
	case byName:
		return plan.Name == ref.ClusterServicePlanName
	case byExternalID:
		return plan.Spec.ExternalID == ref.ClusterServicePlanExternalID
	}
	return plan.Spec.ExternalName == ref.ClusterServicePlanExternalName
}
