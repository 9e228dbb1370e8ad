// Package externalid holds the ExternalIDUniqueness admission plugin: it refuses a new
// instance or binding whose spec.externalID another instance or binding already uses.
//
// The external ID is the instance_id (binding_id) the broker knows the object by. Were
// IDs not unique, a user could copy another tenant's instance ID into an instance of their
// own and, by deleting it, deprovision the other tenant's instance at the broker.
//
// Only IDs a user chose are checked: when the spec gives none, the server sets a fresh
// UUID, which no other object has. The plugin therefore runs in the mutating phase, before
// the server sets it, and looks the ID up in the API server's watch cache; a later
// mutating webhook that set spec.externalID would escape the check. Two creates racing
// with the same ID within the cache's lag can both pass: the check guards against reuse,
// not against a concurrent race.
package externalid

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
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
	client clientset.Interface
}

var (
	_ admission.MutationInterface    = &Plugin{}
	_ initializer.WantsCatalogClient = &Plugin{}
)

// New returns the plugin; it handles instance and binding creation.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create)}
}

// SetCatalogClient takes the client IDs are looked up with.
func (p *Plugin) SetCatalogClient(client clientset.Interface) {
	p.client = client
}

// ValidateInitialization fails until the plugin has its client.
func (p *Plugin) ValidateInitialization() error {
	if p.client == nil {
		return fmt.Errorf("%s: missing the catalog client", PluginName)
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
	var used func(string) (bool, error)
	switch obj := a.GetObject().(type) {
	case *sc.ServiceInstance:
		kind, id = "ServiceInstance", obj.Spec.ExternalID
		used = func(id string) (bool, error) {
			list, err := p.client.ServicecatalogV1beta1().ServiceInstances(metav1.NamespaceAll).List(ctx, byExternalID(id))
			if err != nil {
				return false, err
			}
			for _, i := range list.Items {
				if i.Spec.ExternalID == id && !sameObject(a, i.Namespace, i.Name) {
					return true, nil
				}
			}
			return false, nil
		}
	case *sc.ServiceBinding:
		kind, id = "ServiceBinding", obj.Spec.ExternalID
		used = func(id string) (bool, error) {
			list, err := p.client.ServicecatalogV1beta1().ServiceBindings(metav1.NamespaceAll).List(ctx, byExternalID(id))
			if err != nil {
				return false, err
			}
			for _, b := range list.Items {
				if b.Spec.ExternalID == id && !sameObject(a, b.Namespace, b.Name) {
					return true, nil
				}
			}
			return false, nil
		}
	default:
		return nil
	}
	if id == "" {
		return nil // the server sets a fresh UUID
	}
	taken, err := used(id)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("%s: looking up spec.externalID: %w", PluginName, err))
	}
	if taken {
		return apierrors.NewInvalid(sc.Kind(kind), a.GetName(), field.ErrorList{
			field.Invalid(field.NewPath("spec", "externalID"), id, "is already used by another "+kind),
		})
	}
	return nil
}

// byExternalID lists the objects with an external ID, from the watch cache.
func byExternalID(id string) metav1.ListOptions {
	return metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.externalID", id).String(), ResourceVersion: "0"}
}

// sameObject tells whether a listed object is the one being created: storage answers
// AlreadyExists for it.
func sameObject(a admission.Attributes, namespace, name string) bool {
	return namespace == a.GetNamespace() && name == a.GetName()
}
