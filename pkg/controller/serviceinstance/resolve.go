package serviceinstance

import (
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
)

// resolved are the catalog objects an instance's spec names, of either scope.
type resolved struct {
	class  *catalog.Class
	plan   *catalog.Plan
	broker *catalog.Broker
}

// resolveError says why an instance's class, plan or broker cannot be used.
type resolveError struct {
	reason, message string
}

func (e *resolveError) Error() string { return e.message }

// resolve finds the class, plan and broker the spec names: cluster-scoped ones, or those
// of the instance's namespace. For a new provision, a class or plan the broker no longer
// offers is refused; an existing instance keeps using them.
func (c *Controller) resolve(instance *v1beta1.ServiceInstance, provisioning bool) (*resolved, error) {
	ref := catalog.PlanReference(instance.Spec.PlanReference)
	class, err := c.findClass(instance.Namespace, ref)
	if err != nil {
		return nil, err
	}
	plan, err := c.findPlan(class, ref)
	if err != nil {
		return nil, err
	}
	broker, err := c.cfg.Catalog.Broker(class.Scope, class.Namespace, class.BrokerName)
	if apierrors.IsNotFound(err) {
		return nil, &resolveError{conditions.ReferencesNonexistentBroker,
			fmt.Sprintf("The broker %q of class %q does not exist.", class.BrokerName, class.Name)}
	}
	if err != nil {
		return nil, err
	}
	if provisioning && broker.Object.GetDeletionTimestamp() != nil {
		return nil, &resolveError{conditions.BrokerBeingDeleted, fmt.Sprintf(
			"The broker %q of class %q is being deleted; new instances of its plans are refused. Delete this instance to let the broker go.", broker.Name, class.Name)}
	}
	changingPlan := instance.Status.ExternalProperties != nil && instance.Status.ExternalProperties.ClusterServicePlanExternalID != plan.Spec.ExternalID
	if provisioning && class.Status.RemovedFromBrokerCatalog {
		return nil, &resolveError{conditions.ReferencesRemovedServiceClass,
			fmt.Sprintf("The broker no longer offers class %q (%s); new instances of it are refused.", class.Name, class.Spec.ExternalName)}
	}
	if (provisioning || changingPlan) && plan.Status.RemovedFromBrokerCatalog {
		return nil, &resolveError{conditions.ReferencesRemovedServicePlan,
			fmt.Sprintf("The broker no longer offers plan %q (%s); new instances of it are refused.", plan.Name, plan.Spec.ExternalName)}
	}
	return &resolved{class: class, plan: plan, broker: broker}, nil
}

// findClass finds the class ref names, in whichever of the three namings and of the two
// scopes it uses: a namespaced class only in the instance's namespace.
func (c *Controller) findClass(namespace string, ref catalog.PlanReference) (*catalog.Class, error) {
	s, n := catalog.ScopeOf(ref), catalog.NamingOf(ref)
	value := n.Class(ref)
	if n == catalog.ByName {
		class, err := c.cfg.Catalog.Class(s, namespace, value)
		if apierrors.IsNotFound(err) {
			return nil, &resolveError{conditions.ReferencesNonexistentServiceClass, fmt.Sprintf("No %s is named %q%s.", s.ClassKind(), value, where(s, namespace))}
		}
		return class, err
	}
	index := indexes.ByExternalName
	if n == catalog.ByExternalID {
		index = indexes.ByExternalID
	}
	classes, err := c.cfg.Catalog.Classes(s, namespace, index, value)
	if err != nil {
		return nil, err
	}
	switch len(classes) {
	case 0:
		return nil, &resolveError{conditions.ReferencesNonexistentServiceClass,
			fmt.Sprintf("No broker offers a class with %s %q%s; check `kubectl get %s`.", n, value, where(s, namespace), listCommand(s, namespace))}
	case 1:
		return classes[0], nil
	}
	var names []string
	for _, class := range classes {
		names = append(names, fmt.Sprintf("%s (broker %s)", class.Name, class.BrokerName))
	}
	sort.Strings(names)
	return nil, &resolveError{conditions.ReferencesNonexistentServiceClass,
		fmt.Sprintf("Several classes have %s %q: %s; name one by %s.", n, value, strings.Join(names, ", "), catalog.ByName.ClassFieldIn(s))}
}

// findPlan finds the plan of class that ref names.
func (c *Controller) findPlan(class *catalog.Class, ref catalog.PlanReference) (*catalog.Plan, error) {
	n := catalog.NamingOf(ref)
	if n == catalog.ByName {
		name := n.Plan(ref)
		plan, err := c.cfg.Catalog.Plan(class.Scope, class.Namespace, name)
		if apierrors.IsNotFound(err) || (err == nil && plan.ClassName != class.Name) {
			return nil, &resolveError{conditions.ReferencesNonexistentServicePlan,
				fmt.Sprintf("Class %q has no %s named %q.", class.Name, class.Scope.PlanKind(), name)}
		}
		return plan, err
	}
	plans, err := c.cfg.Catalog.Plans(class.Scope, class.Namespace, indexes.ByClass, class.Name)
	if err != nil {
		return nil, err
	}
	var available []string
	for _, plan := range plans {
		if n.NamesPlan(ref, catalog.Names{Name: plan.Name, ExternalName: plan.Spec.ExternalName, ExternalID: plan.Spec.ExternalID}) {
			return plan, nil
		}
		available = append(available, plan.Spec.ExternalName)
	}
	sort.Strings(available)
	return nil, &resolveError{conditions.ReferencesNonexistentServicePlan,
		fmt.Sprintf("Class %q (%s) has no plan %q; its plans are: %s.", class.Name, class.Spec.ExternalName, n.Plan(ref), strings.Join(available, ", "))}
}

// where says where a namespaced class was looked for; nothing for a cluster class.
func where(s catalog.Scope, namespace string) string {
	if s == catalog.ClusterScope {
		return ""
	}
	return " in namespace " + namespace
}

// listCommand is the kubectl get that lists the classes an instance may name.
func listCommand(s catalog.Scope, namespace string) string {
	if s == catalog.ClusterScope {
		return "clusterserviceclasses"
	}
	return "serviceclasses -n " + namespace
}

// statusPlan returns the plan the instance was last resolved to, of either scope.
func (c *Controller) statusPlan(instance *v1beta1.ServiceInstance) (*catalog.Plan, error) {
	refs := indexes.Resolved(instance)
	return c.cfg.Catalog.Plan(refs.Scope, instance.Namespace, refs.PlanName)
}

// statusBroker returns the broker the instance was last resolved to, of either scope.
func (c *Controller) statusBroker(instance *v1beta1.ServiceInstance) (*catalog.Broker, error) {
	refs := indexes.Resolved(instance)
	return c.cfg.Catalog.Broker(refs.Scope, instance.Namespace, refs.BrokerName)
}
