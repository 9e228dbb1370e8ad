// Package brokervisibility holds the ClusterServiceBrokerVisibility admission plugin: a
// new instance may use a class only in the namespaces its broker's namespaceSelector
// matches.
package brokervisibility

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"
	genericinitializer "k8s.io/apiserver/pkg/admission/initializer"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "ClusterServiceBrokerVisibility"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the ClusterServiceBrokerVisibility admission plugin. An instance whose class
// or broker cannot be found is let through: the controller checks again before it
// provisions.
type Plugin struct {
	initializer.CatalogHandler
	namespaces corelisters.NamespaceLister
}

var (
	_ admission.ValidationInterface                       = &Plugin{}
	_ initializer.WantsCatalogReader                      = &Plugin{}
	_ genericinitializer.WantsExternalKubeInformerFactory = &Plugin{}
)

// New returns the plugin; it handles instance creation.
func New() *Plugin {
	return &Plugin{CatalogHandler: initializer.NewCatalogHandler(PluginName, admission.Create)}
}

// SetCatalogReader takes the reader of classes, plans and brokers.
func (p *Plugin) SetCatalogReader(reader *initializer.CatalogReader) {
	p.CatalogHandler.SetCatalogReader(reader)
	p.WaitFor(reader.WatchBrokers())
}

// SetExternalKubeInformerFactory takes the namespace informer.
func (p *Plugin) SetExternalKubeInformerFactory(f informers.SharedInformerFactory) {
	namespaces := f.Core().V1().Namespaces()
	p.namespaces = namespaces.Lister()
	p.WaitFor(namespaces.Informer().HasSynced)
}

// ValidateInitialization fails until the plugin has its reader and namespace lister.
func (p *Plugin) ValidateInitialization() error {
	if p.namespaces == nil {
		return fmt.Errorf("%s: missing the namespace informer", PluginName)
	}
	return p.CatalogHandler.ValidateInitialization()
}

// Validate refuses a new instance of a class whose broker does not offer it in the
// instance's namespace.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetResource().GroupResource() != sc.Resource("serviceinstances") || a.GetSubresource() != "" {
		return nil
	}
	instance, ok := a.GetObject().(*sc.ServiceInstance)
	if !ok {
		return apierrors.NewBadRequest(fmt.Sprintf("%s: unexpected object %T", PluginName, a.GetObject()))
	}
	ref := catalog.PlanReference(instance.Spec.PlanReference)
	n := catalog.NamingOf(ref)
	if catalog.ScopeOf(ref) != catalog.ClusterScope {
		return nil // a ServiceBroker offers its classes in its own namespace only
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	class, err := p.Reader.ClassOf(ctx, a.GetNamespace(), ref)
	if err != nil || class == nil {
		return nil //nolint:nilerr // the controller resolves the class, and checks again
	}
	broker, err := p.Reader.ClusterServiceBroker(ctx, class.BrokerName)
	if err != nil {
		return nil //nolint:nilerr // the controller reports a missing broker
	}
	why, err := catalog.NotOffered(broker, p.namespaces, a.GetNamespace())
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if why == "" {
		return nil
	}
	return apierrors.NewInvalid(sc.Kind("ServiceInstance"), instance.Name, field.ErrorList{
		field.Forbidden(field.NewPath("spec", n.ClassField()), fmt.Sprintf("class %q: %s", n.Class(ref), why)),
	})
}
