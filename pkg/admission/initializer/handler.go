package initializer

import (
	"fmt"
	"slices"

	"k8s.io/apiserver/pkg/admission"
)

// CatalogHandler is the admission.Handler of a plugin that reads classes and plans.
// Embedded, it takes the reader, has it watch classes and plans, makes the plugin ready
// once they have synced, and fails initialization until it has the reader.
type CatalogHandler struct {
	*admission.Handler
	// Reader reads the catalog; the initializer sets it.
	Reader  *CatalogReader
	plugin  string
	initErr error
	synced  []func() bool
}

var _ WantsCatalogReader = &CatalogHandler{}

// NewCatalogHandler returns the handler of the plugin called plugin, for ops.
func NewCatalogHandler(plugin string, ops ...admission.Operation) CatalogHandler {
	return CatalogHandler{Handler: admission.NewHandler(ops...), plugin: plugin}
}

// SetCatalogReader takes the reader and has it watch classes and plans.
func (h *CatalogHandler) SetCatalogReader(reader *CatalogReader) {
	h.Reader = reader
	synced, err := reader.WatchClassesAndPlans()
	if err != nil {
		h.initErr = err
		return
	}
	h.WaitFor(synced)
}

// WaitFor makes the plugin ready only once synced reports true too.
func (h *CatalogHandler) WaitFor(synced func() bool) {
	h.synced = append(h.synced, synced)
	all := slices.Clone(h.synced)
	h.SetReadyFunc(func() bool {
		for _, s := range all {
			if !s() {
				return false
			}
		}
		return true
	})
}

// ValidateInitialization fails until the plugin has its reader.
func (h *CatalogHandler) ValidateInitialization() error {
	if h.Reader == nil {
		return fmt.Errorf("%s: missing the catalog reader", h.plugin)
	}
	return h.initErr
}
