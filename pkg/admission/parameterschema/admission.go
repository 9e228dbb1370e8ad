// Package parameterschema holds the ParameterSchemaValidator admission plugin: it checks
// the parameters of instances and bindings against the JSON schemas of their plan before
// any broker sees them, on create, on update and with --dry-run=server.
//
// An instance's parameters are checked against the plan's instance create schema when it
// is created, and against the instance update schema when its spec changes; a binding's
// against the service binding create schema of its instance's plan. The parameters are
// the inline ones merged with the values of the Secrets parametersFrom names, as the
// controller sends them; Secrets are read only where the requesting user may read them.
//
// Errors name the field under spec.parameters, the schema and the rule, never the value
// (it may come from a Secret). A schema that cannot be compiled (not JSON, an unknown
// draft, references to other documents) does not refuse anything: the request passes
// with a warning, as it does when a Secret cannot be read. Schemas are compiled once per
// version of a plan. Plans of both scopes are served alike: a ClusterServicePlan, or a
// ServicePlan of the instance's namespace. Objects whose plan cannot be found are let
// through: the controller reports those.
package parameterschema

import (
	"context"
	"errors"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	genericinitializer "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "ParameterSchemaValidator"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the ParameterSchemaValidator admission plugin.
type Plugin struct {
	initializer.CatalogHandler
	client  kubernetes.Interface
	schemas *cache
}

var (
	_ admission.ValidationInterface                 = &Plugin{}
	_ initializer.WantsCatalogReader                = &Plugin{}
	_ genericinitializer.WantsExternalKubeClientSet = &Plugin{}
)

// New returns the plugin; it handles creates and updates.
func New() *Plugin {
	return &Plugin{CatalogHandler: initializer.NewCatalogHandler(PluginName, admission.Create, admission.Update), schemas: newCache()}
}

// SetExternalKubeClientSet takes the client the Secrets of parametersFrom are read with.
// Without one (standalone mode) parameters from Secrets are not checked.
func (p *Plugin) SetExternalKubeClientSet(client kubernetes.Interface) {
	p.client = client
}

// Validate checks the parameters of a new instance or binding, or of an instance whose
// spec changed.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" {
		return nil
	}
	switch obj := a.GetObject().(type) {
	case *sc.ServiceInstance:
		return p.validateInstance(ctx, a, obj)
	case *sc.ServiceBinding:
		if a.GetOperation() == admission.Create {
			return p.validateBinding(ctx, a, obj)
		}
	}
	return nil
}

// validateInstance checks an instance's parameters against its plan's create schema, or
// its update schema when its spec changed.
func (p *Plugin) validateInstance(ctx context.Context, a admission.Attributes, instance *sc.ServiceInstance) error {
	which := InstanceCreate
	if a.GetOperation() == admission.Update {
		old, ok := a.GetOldObject().(*sc.ServiceInstance)
		if !ok || old.Generation == instance.Generation {
			return nil // the spec did not change
		}
		which = InstanceUpdate
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	plan, err := p.Reader.PlanOf(ctx, a.GetNamespace(), catalog.PlanReference(instance.Spec.PlanReference))
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: reading the plan: %w", PluginName, err))
	}
	return p.check(ctx, a, plan, which, instance.Spec.Parameters, instance.Spec.ParametersFrom)
}

// validateBinding checks a binding's parameters against the binding create schema of its
// instance's plan: the plan the controller resolved, else the one the instance names.
func (p *Plugin) validateBinding(ctx context.Context, a admission.Attributes, binding *sc.ServiceBinding) error {
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	instance, err := p.Reader.ServiceInstance(ctx, binding.InstanceNamespace(), binding.Spec.InstanceRef.Name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: reading the instance: %w", PluginName, err))
	}
	plan, err := p.Reader.InstancePlan(ctx, instance)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: reading the plan: %w", PluginName, err))
	}
	return p.check(ctx, a, plan, BindingCreate, binding.Spec.Parameters, binding.Spec.ParametersFrom)
}

// check validates the parameters against one schema of plan; a missing plan or schema
// checks nothing.
func (p *Plugin) check(ctx context.Context, a admission.Attributes, plan *catalog.Plan, which Which, inline *runtime.RawExtension, from []sc.ParametersFromSource) error {
	raw := schemaOf(plan, which)
	if raw == nil || len(raw.Raw) == 0 {
		return nil
	}
	compiled := p.schemas.get(plan.Object.GetUID(), plan.Object.GetResourceVersion(), which, raw)
	if compiled.err != nil {
		warning.AddWarning(ctx, "", fmt.Sprintf("the %s schema of plan %s cannot be used, so the parameters were not checked: %v", which, plan.Name, compiled.err))
		return nil
	}
	params, err := p.parametersOf(ctx, a.GetUserInfo(), a.GetNamespace(), inline, from)
	var u *unchecked
	if errors.As(err, &u) {
		warning.AddWarning(ctx, "", fmt.Sprintf("the parameters were not checked against the %s schema of plan %s: %s", which, plan.Name, u.reason))
		return nil
	}
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: %w", PluginName, err))
	}
	if err := compiled.schema.Validate(map[string]any(params)); err != nil {
		return apierrors.NewInvalid(a.GetKind().GroupKind(), a.GetName(), fieldErrors(params, which, err))
	}
	return nil
}

// schemaOf returns one of a plan's schemas, or nil.
func schemaOf(plan *catalog.Plan, which Which) *runtime.RawExtension {
	if plan == nil {
		return nil
	}
	switch which {
	case InstanceCreate:
		return plan.Spec.InstanceCreateParameterSchema
	case InstanceUpdate:
		return plan.Spec.InstanceUpdateParameterSchema
	}
	return plan.Spec.ServiceBindingCreateParameterSchema
}
