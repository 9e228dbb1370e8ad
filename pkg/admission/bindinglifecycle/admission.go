// Package bindinglifecycle holds the ServiceBindingsLifecycle admission plugin: it refuses
// a new binding to an instance that is being deleted, which the broker is about to
// deprovision.
package bindinglifecycle

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apiserver/pkg/admission"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "ServiceBindingsLifecycle"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the ServiceBindingsLifecycle admission plugin. A binding to an instance that
// does not exist is let through: the controller waits for the instance.
type Plugin struct {
	*admission.Handler
	reader *initializer.CatalogReader
}

var (
	_ admission.ValidationInterface  = &Plugin{}
	_ initializer.WantsCatalogReader = &Plugin{}
)

// New returns the plugin; it handles binding creation.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create)}
}

// SetCatalogReader takes the reader the instance is read with.
func (p *Plugin) SetCatalogReader(reader *initializer.CatalogReader) {
	p.reader = reader
}

// ValidateInitialization fails until the plugin has its reader.
func (p *Plugin) ValidateInitialization() error {
	if p.reader == nil {
		return fmt.Errorf("%s: missing the catalog reader", PluginName)
	}
	return nil
}

// Validate refuses a binding whose instance is being deleted. The instance is read from
// the API server's watch cache, as an informer would have it.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != sc.Resource("servicebindings") || a.GetSubresource() != "" {
		return nil
	}
	binding, ok := a.GetObject().(*sc.ServiceBinding)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: unexpected object %T", PluginName, a.GetObject()))
	}
	name := binding.Spec.InstanceRef.Name
	instance, err := p.reader.ServiceInstance(ctx, binding.InstanceNamespace(), name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: reading instance %s: %w", PluginName, name, err))
	}
	if instance.DeletionTimestamp != nil {
		return admission.NewForbidden(a, fmt.Errorf("instance %s is being deleted", name))
	}
	return nil
}
