// Package platformfeatures holds the PlatformFeatureCheck admission plugin: it refuses a
// new instance of an offering that needs a platform feature the service catalog does not
// serve, and a new binding to such an instance, instead of letting the broker hand out
// something no one acts on.
//
// An offering names the features it needs in its requires list (the class's
// spec.requires). The Open Service Broker API defines three, and the catalog serves none:
//
//   - route_forwarding: the platform proxies the application's requests through the
//     broker's route service, and sends the application's route (bind_resource.route)
//     with every bind;
//   - syslog_drain: the platform streams the application's logs to the broker's
//     syslog_drain_url;
//   - volume_mount: the platform mounts the broker's volume_mounts into the application.
//
// Other values are ignored, so that a later version of the specification does not make
// the catalog refuse offerings it can serve. Classes of both scopes are served alike.
// Instances and bindings whose class cannot be found are let through: the controller
// reports those.
package platformfeatures

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
const PluginName = "PlatformFeatureCheck"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the PlatformFeatureCheck admission plugin.
type Plugin struct {
	initializer.CatalogHandler
}

var (
	_ admission.ValidationInterface  = &Plugin{}
	_ initializer.WantsCatalogReader = &Plugin{}
)

// New returns the plugin; it handles the creation of instances and bindings.
func New() *Plugin {
	return &Plugin{CatalogHandler: initializer.NewCatalogHandler(PluginName, admission.Create)}
}

// Validate refuses a new instance of a class that requires a feature the catalog does not
// serve, and a new binding to an instance of such a class.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" {
		return nil
	}
	switch obj := a.GetObject().(type) {
	case *sc.ServiceInstance:
		return p.validateInstance(ctx, a, obj)
	case *sc.ServiceBinding:
		return p.validateBinding(ctx, a, obj)
	}
	return nil
}

// validateInstance checks the class the instance names, in either scope.
func (p *Plugin) validateInstance(ctx context.Context, a admission.Attributes, instance *sc.ServiceInstance) error {
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	ref := catalog.PlanReference(instance.Spec.PlanReference)
	class, err := p.Reader.ClassOf(ctx, a.GetNamespace(), ref)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: reading the class: %w", PluginName, err))
	}
	why := refusal(class)
	if why == "" {
		return nil
	}
	return apierrors.NewInvalid(sc.Kind("ServiceInstance"), instance.Name, field.ErrorList{
		field.Forbidden(field.NewPath("spec", catalog.NamingOf(ref).ClassFieldIn(catalog.ScopeOf(ref))), why),
	})
}

// validateBinding checks the class of the binding's instance: the one the controller
// resolved, else the one the instance names.
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
	class, err := p.Reader.InstanceClass(ctx, instance)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: reading the class: %w", PluginName, err))
	}
	why := refusal(class)
	if why == "" {
		return nil
	}
	return apierrors.NewInvalid(sc.Kind("ServiceBinding"), binding.Name, field.ErrorList{
		field.Forbidden(field.NewPath("spec", "instanceRef", "name"), fmt.Sprintf("the instance %q cannot be bound: %s", instance.Name, why)),
	})
}

// refusal says which features the class requires that the catalog does not serve, or ""
// when there are none (or no class).
func refusal(class *catalog.Class) string {
	if class == nil {
		return ""
	}
	return catalog.UnservedFeatures(class.Spec.ExternalName, class.Spec.Requires)
}
