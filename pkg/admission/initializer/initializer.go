// Package initializer hands the catalog's shared informers to the admission plugins that
// read catalog objects, and defines the indexes those plugins look objects up by.
package initializer

import (
	"k8s.io/apiserver/pkg/admission"

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

// pluginInitializer gives the informer factory to the plugins that want it.
type pluginInitializer struct {
	informers informers.SharedInformerFactory
}

var _ admission.PluginInitializer = pluginInitializer{}

// New returns an initializer that gives f to every plugin implementing
// WantsInformerFactory. The server starts f once it runs.
func New(f informers.SharedInformerFactory) admission.PluginInitializer {
	return pluginInitializer{informers: f}
}

// Initialize gives the factory to plugin if it wants it.
func (i pluginInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsInformerFactory); ok {
		wants.SetInformerFactory(i.informers)
	}
}
