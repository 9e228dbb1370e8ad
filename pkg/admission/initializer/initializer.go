// Package initializer hands every admission plugin that reads catalog objects the one
// CatalogReader they all share, and defines the indexes of the reader's informers.
package initializer

import (
	"k8s.io/apiserver/pkg/admission"
)

// WantsCatalogReader is implemented by admission plugins that read catalog objects.
// ValidateInitialization must fail until SetCatalogReader ran.
type WantsCatalogReader interface {
	// SetCatalogReader gives the plugin the reader. A plugin that reads classes or plans
	// calls the reader's WatchClassesAndPlans here, before the informers start.
	SetCatalogReader(*CatalogReader)
	admission.InitializationValidator
}

// pluginInitializer gives the reader to the plugins that want it.
type pluginInitializer struct {
	reader *CatalogReader
}

var _ admission.PluginInitializer = pluginInitializer{}

// New returns an initializer that gives reader to every plugin implementing
// WantsCatalogReader.
func New(reader *CatalogReader) admission.PluginInitializer {
	return pluginInitializer{reader: reader}
}

// Initialize gives the reader to plugin if it wants it.
func (i pluginInitializer) Initialize(plugin admission.Interface) {
	if wants, ok := plugin.(WantsCatalogReader); ok {
		wants.SetCatalogReader(i.reader)
	}
}
