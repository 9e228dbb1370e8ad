// Package externalid holds the ExternalIDUniqueness admission plugin: it refuses a new
// instance or binding whose spec.externalID another instance or binding already uses.
//
// The external ID is the instance_id (binding_id) the broker knows the object by. Were
// IDs not unique, a user could copy another tenant's instance ID into an instance of their
// own and, by deleting it, deprovision the other tenant's instance at the broker.
//
// Only IDs a user chose are checked: when the spec gives none, the server sets a fresh
// UUID, which no other object has. The plugin therefore runs in the mutating phase, before
// the server sets it, and looks the ID up in the API server's watch cache, so that a
// reused ID is refused before anything is written. Storage enforces the rule itself
// (pkg/registry/servicecatalog/internal/idclaim): of two creates racing with one ID
// within the cache's lag, or setting it in a later mutating webhook, only one is stored.
package externalid

import (
	"context"
	"fmt"
	"io"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// PluginName is the name of the plugin in --enable-admission-plugins.
const PluginName = "ExternalIDUniqueness"

// Register registers the plugin.
func Register(plugins *admission.Plugins) {
	plugins.Register(PluginName, func(io.Reader) (admission.Interface, error) {
		return New(), nil
	})
}

// Plugin is the ExternalIDUniqueness admission plugin.
type Plugin struct {
	*admission.Handler
	reader *initializer.CatalogReader
}

var (
	_ admission.MutationInterface    = &Plugin{}
	_ initializer.WantsCatalogReader = &Plugin{}
)

// New returns the plugin; it handles instance and binding creation.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create)}
}

// SetCatalogReader takes the reader IDs are looked up with.
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

// Admit refuses an external ID the user chose that another object of the same kind uses,
// in any namespace. It changes nothing. The error does not say which object uses the ID.
func (p *Plugin) Admit(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" {
		return nil
	}
	var kind, id string
	var withID func(context.Context, string) ([]types.NamespacedName, error)
	switch obj := a.GetObject().(type) {
	case *sc.ServiceInstance:
		kind, id, withID = "ServiceInstance", obj.Spec.ExternalID, p.reader.ServiceInstancesWithExternalID
	case *sc.ServiceBinding:
		kind, id, withID = "ServiceBinding", obj.Spec.ExternalID, p.reader.ServiceBindingsWithExternalID
	default:
		return nil
	}
	if id == "" {
		return nil // the server sets a fresh UUID
	}
	users, err := withID(ctx, id)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: looking up spec.externalID: %w", PluginName, err))
	}
	// The object being created may be listed: storage answers AlreadyExists for it.
	self := types.NamespacedName{Namespace: a.GetNamespace(), Name: a.GetName()}
	if slices.ContainsFunc(users, func(u types.NamespacedName) bool { return u != self }) {
		return apierrors.NewInvalid(sc.Kind(kind), a.GetName(), field.ErrorList{
			field.Invalid(field.NewPath("spec", "externalID"), id, "is already used by another "+kind),
		})
	}
	return nil
}
