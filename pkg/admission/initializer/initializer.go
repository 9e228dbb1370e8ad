// Package initializer hands the admission plugins that read catalog objects what they read
// them with: shared informers for the small, rarely written kinds (classes and plans), the
// server's own ServiceInstance storage for single instance lookups, and the loopback client
// for lookups by field. Informers of instances and bindings would cost a second decoded
// copy of every write. It also defines the informers' indexes.
package initializer

import (
	"k8s.io/apiserver/pkg/admission"

	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

// WantsInformerFactory is implemented by admission plugins that read catalog objects from
// the shared informers. ValidateInitialization must fail until SetInformerFactory ran.
type WantsInformerFactory interface {
	// SetInformerFactory gives the plugin the factory; the plugin asks it for the
	// informers it reads before the factory starts.
	SetInformerFactory(informers.SharedInformerFactory)
	admission.InitializationValidator
}

// WantsCatalogClient is implemented by admission plugins that look catalog objects up
// through the API server's loopback client. ValidateInitialization must fail until
// SetCatalogClient ran.
type WantsCatalogClient interface {
	// SetCatalogClient gives the plugin the client.
	SetCatalogClient(clientset.Interface)
	admission.InitializationValidator
}

// pluginInitializer gives the informer factory, the client and the instance getter to the
// plugins that want them.
type pluginInitializer struct {
	informers informers.SharedInformerFactory
	client    clientset.Interface
	instances ServiceInstanceGetter
}

var _ admission.PluginInitializer = pluginInitializer{}

// New returns an initializer that gives f to every plugin implementing
// WantsInformerFactory, client to every plugin implementing WantsCatalogClient and
// instances to every plugin implementing WantsServiceInstanceGetter. The server starts f
// once it runs.
func New(f informers.SharedInformerFactory, client clientset.Interface, instances ServiceInstanceGetter) admission.PluginInitializer {
	return pluginInitializer{informers: f, client: client, instances: instances}
}

// Initialize gives the factory, the client and the getter to plugin if it wants them.
func (i pluginInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsInformerFactory); ok {
		wants.SetInformerFactory(i.informers)
	}
	if wants, ok := plugin.(WantsCatalogClient); ok {
		wants.SetCatalogClient(i.client)
	}
	if wants, ok := plugin.(WantsServiceInstanceGetter); ok {
		wants.SetServiceInstanceGetter(i.instances)
	}
}
