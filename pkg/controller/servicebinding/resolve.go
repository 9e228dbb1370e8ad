package servicebinding

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// resolved are the objects a binding's request is built from: the instance and the
// class, plan and broker the instance resolved to.
type resolved struct {
	instance *v1beta1.ServiceInstance
	class    *catalog.Class
	plan     *catalog.Plan
	broker   *catalog.Broker
	// known are the ids the broker knows the instance by.
	known *v1beta1.ServiceInstancePropertiesState
}

// resolveError says why a binding's instance, or what the instance uses, cannot be used.
type resolveError struct {
	reason, message string
}

func (e *resolveError) Error() string { return e.message }

// resolve finds the binding's instance and the class, plan and broker the instance
// resolved to. The class and plan may be missing when only the broker ids are needed
// (unbind); then they are nil.
func (c *Controller) resolve(binding *v1beta1.ServiceBinding) (*resolved, error) {
	name := binding.Spec.InstanceRef.Name
	instance, err := c.cfg.Instances.Lister().ServiceInstances(binding.InstanceNamespace()).Get(name)
	if apierrors.IsNotFound(err) {
		return nil, &resolveError{conditions.ReferencesNonexistentInstance,
			fmt.Sprintf("The instance %q does not exist.", name)}
	}
	if err != nil {
		return nil, err
	}
	r := &resolved{instance: instance}
	r.known = instance.Status.ExternalProperties
	if r.known == nil {
		r.known = instance.Status.InProgressProperties
	}
	refs := indexes.Resolved(instance)
	if r.class, err = catalogEntry(refs.Scope, instance.Namespace, refs.ClassName, c.cfg.Catalog.Class); err != nil {
		return nil, err
	}
	if r.plan, err = catalogEntry(refs.Scope, instance.Namespace, refs.PlanName, c.cfg.Catalog.Plan); err != nil {
		return nil, err
	}
	if refs.BrokerName != "" {
		r.broker, err = c.cfg.Catalog.Broker(refs.Scope, instance.Namespace, refs.BrokerName)
		if apierrors.IsNotFound(err) {
			return nil, &resolveError{conditions.ReferencesNonexistentBroker,
				fmt.Sprintf("The broker %q of the instance %q does not exist.", refs.BrokerName, name)}
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// catalogEntry returns the class or plan called name that an instance of namespace
// resolved to in scope s, with get; nil when it resolved none or the cache has none.
func catalogEntry[V any](s catalog.Scope, namespace, name string, get func(catalog.Scope, string, string) (*V, error)) (*V, error) {
	if name == "" {
		return nil, nil
	}
	entry, err := get(s, namespace, name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return entry, err
}

// instanceNotReady says why the instance cannot be bound now, or "" when it can. An
// instance can be bound when the broker provisioned it, no operation on it is in flight,
// it is not being deleted, and the broker did not say, after a failed update or
// deprovision, that it cannot be used (instance_usable false). A failed update alone
// does not keep bindings away: the broker keeps the instance as it was.
func instanceNotReady(r *resolved) string {
	i := r.instance
	switch {
	case i.DeletionTimestamp != nil:
		return fmt.Sprintf("The instance %q is being deleted.", i.Name)
	case i.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned:
		return fmt.Sprintf("The instance %q is not provisioned yet.", i.Name)
	case i.Status.OrphanMitigationInProgress || i.Status.CurrentOperation != "" || i.Status.AsyncOpInProgress:
		return fmt.Sprintf("An operation on the instance %q is in progress.", i.Name)
	case i.Status.InstanceUsable != nil && !*i.Status.InstanceUsable:
		return fmt.Sprintf("The broker said the instance %q cannot be used after its last failed operation; an update that succeeds makes it usable again.", i.Name)
	case r.known == nil || r.known.ClusterServicePlanExternalID == "" || r.known.ClusterServiceClassExternalID == "" || r.broker == nil:
		return fmt.Sprintf("The instance %q has no plan at its broker yet.", i.Name)
	}
	return ""
}

// missingCatalogObject says which catalog object of a Ready instance the cache lacks, as
// an error with its reason, or nil.
func missingCatalogObject(r *resolved) error {
	switch {
	case r.class == nil:
		return &resolveError{conditions.ReferencesNonexistentServiceClass,
			fmt.Sprintf("The class of the instance %q does not exist.", r.instance.Name)}
	case r.plan == nil:
		return &resolveError{conditions.ReferencesNonexistentServicePlan,
			fmt.Sprintf("The plan of the instance %q does not exist.", r.instance.Name)}
	}
	return nil
}

// asyncBindings tells whether bind and unbind may be asynchronous: the credentials of an
// asynchronous binding can only be fetched with GET binding, which needs a
// bindings_retrievable offering and API 2.14, as binding last_operation does.
func (c *Controller) asyncBindings(r *resolved) bool {
	if r.class == nil || !r.class.Spec.BindingsRetrievable || r.broker == nil {
		return false
	}
	v := c.cfg.BrokerClients.APIVersion(r.broker)
	return v.Supports(osb.FeatureAsyncBindings) && v.Supports(osb.FeatureGetBinding)
}

// serviceType is the servicebinding.io "type" of the class's bindings: the first tag
// that, lowercased, is a DNS label, else the class's external name lowercased if it is
// one, else the class's object name.
func serviceType(class *catalog.Class) string {
	for _, tag := range class.Spec.Tags {
		if t := strings.ToLower(strings.TrimSpace(tag)); len(validation.IsDNS1123Label(t)) == 0 {
			return t
		}
	}
	if t := strings.ToLower(class.Spec.ExternalName); len(validation.IsDNS1123Label(t)) == 0 {
		return t
	}
	return class.Name
}

// brokerBindingID is the binding_id at the broker of the credentials in the binding's
// Secret: spec.externalID until a rotation binds under a new one.
func brokerBindingID(binding *v1beta1.ServiceBinding) string {
	if binding.Status.BindingID != "" {
		return binding.Status.BindingID
	}
	return binding.Spec.ExternalID
}
