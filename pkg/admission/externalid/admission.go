// Package externalid holds the ExternalIDUniqueness admission plugin: it refuses a new
// instance or binding whose spec.externalID another instance or binding already uses.
//
// The external ID is the instance_id (binding_id) the broker knows the object by. Were
// IDs not unique, a user could copy another tenant's instance ID into an instance of their
// own and, by deleting it, deprovision the other tenant's instance at the broker.
//
// The check reads the informer cache, so two creates racing with the same ID within the
// cache's lag can both pass; it guards against reuse, not against a concurrent race.
package externalid

import (
	"context"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/admission/initializer"
	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
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
//
// It runs in the validation phase, after the strategy has set a fresh UUID where the user
// gave no ID, so every new object is checked; a generated UUID never collides. Checking
// there rather than in the mutating phase means no later mutating plugin or webhook can
// set a used ID after the check.
type Plugin struct {
	*admission.Handler
	instances cache.SharedIndexInformer
	bindings  cache.SharedIndexInformer
	initErr   error
}

var (
	_ admission.ValidationInterface    = &Plugin{}
	_ initializer.WantsInformerFactory = &Plugin{}
)

// New returns the plugin; it handles instance and binding creation.
func New() *Plugin {
	return &Plugin{Handler: admission.NewHandler(admission.Create)}
}

// SetInformerFactory takes the instance and binding informers and indexes them by
// external ID.
func (p *Plugin) SetInformerFactory(f informers.SharedInformerFactory) {
	p.instances = f.Servicecatalog().V1beta1().ServiceInstances().Informer()
	p.bindings = f.Servicecatalog().V1beta1().ServiceBindings().Informer()
	p.initErr = initializer.AddIndexes(p.instances, initializer.ByExternalID)
	if p.initErr == nil {
		p.initErr = initializer.AddIndexes(p.bindings, initializer.ByExternalID)
	}
	instancesSynced, bindingsSynced := p.instances.HasSynced, p.bindings.HasSynced
	p.SetReadyFunc(func() bool { return instancesSynced() && bindingsSynced() })
}

// ValidateInitialization fails until the plugin has its informers.
func (p *Plugin) ValidateInitialization() error {
	if p.instances == nil || p.bindings == nil {
		return fmt.Errorf("%s: missing the instance and binding informers", PluginName)
	}
	return p.initErr
}

// Validate refuses an external ID that another object of the same kind uses, in any
// namespace. The error does not say which object uses it.
func (p *Plugin) Validate(ctx context.Context, a admission.Attributes, _ admission.ObjectInterfaces) error {
	if a.GetSubresource() != "" {
		return nil
	}
	var kind, id string
	var informer cache.SharedIndexInformer
	switch obj := a.GetObject().(type) {
	case *sc.ServiceInstance:
		kind, id, informer = "ServiceInstance", obj.Spec.ExternalID, p.instances
	case *sc.ServiceBinding:
		kind, id, informer = "ServiceBinding", obj.Spec.ExternalID, p.bindings
	default:
		return nil
	}
	if id == "" {
		return nil
	}
	if !p.WaitForReady() {
		return admission.NewForbidden(a, fmt.Errorf("%s is not yet ready to handle requests", PluginName))
	}
	objs, err := informer.GetIndexer().ByIndex(initializer.ByExternalID, id)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	for _, obj := range objs {
		m, err := meta.Accessor(obj)
		if err != nil {
			return apierrors.NewInternalError(err)
		}
		// The same object exists already: storage answers AlreadyExists.
		if m.GetNamespace() == a.GetNamespace() && m.GetName() == a.GetName() {
			continue
		}
		return apierrors.NewInvalid(sc.Kind(kind), a.GetName(), field.ErrorList{
			field.Invalid(field.NewPath("spec", "externalID"), id, "is already used by another "+kind),
		})
	}
	return nil
}
