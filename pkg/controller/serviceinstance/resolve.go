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

// resolved are the catalog objects an instance's spec names.
type resolved struct {
	class  *v1beta1.ClusterServiceClass
	plan   *v1beta1.ClusterServicePlan
	broker *v1beta1.ClusterServiceBroker
}

// resolveError says why an instance's class, plan or broker cannot be used.
type resolveError struct {
	reason, message string
}

func (e *resolveError) Error() string { return e.message }

// resolve finds the class, plan and broker the spec names. For a new provision, a class or
// plan the broker no longer offers is refused; an existing instance keeps using them.
func (c *Controller) resolve(instance *v1beta1.ServiceInstance, provisioning bool) (*resolved, error) {
	spec := &instance.Spec
	ref := catalog.PlanReference(spec.PlanReference)
	class, err := c.findClass(ref)
	if err != nil {
		return nil, err
	}
	plan, err := c.findPlan(class, ref)
	if err != nil {
		return nil, err
	}
	broker, err := c.cfg.Brokers.Lister().Get(class.Spec.ClusterServiceBrokerName)
	if apierrors.IsNotFound(err) {
		return nil, &resolveError{conditions.ReferencesNonexistentBroker,
			fmt.Sprintf("The broker %q of class %q does not exist.", class.Spec.ClusterServiceBrokerName, class.Name)}
	}
	if err != nil {
		return nil, err
	}
	if provisioning && broker.DeletionTimestamp != nil {
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

// findClass finds the class ref names, in whichever of the three namings it uses.
func (c *Controller) findClass(ref catalog.PlanReference) (*v1beta1.ClusterServiceClass, error) {
	n := catalog.NamingOf(ref)
	value := n.Class(ref)
	if n == catalog.ByName {
		class, err := c.cfg.Classes.Lister().Get(value)
		if apierrors.IsNotFound(err) {
			return nil, &resolveError{conditions.ReferencesNonexistentServiceClass, fmt.Sprintf("No ClusterServiceClass is named %q.", value)}
		}
		return class, err
	}
	index := indexes.ByExternalName
	if n == catalog.ByExternalID {
		index = indexes.ByExternalID
	}
	objs, err := c.cfg.Classes.Informer().GetIndexer().ByIndex(index, value)
	if err != nil {
		return nil, err
	}
	switch len(objs) {
	case 0:
		return nil, &resolveError{conditions.ReferencesNonexistentServiceClass,
			fmt.Sprintf("No broker offers a class with %s %q; check `kubectl get clusterserviceclasses`.", n, value)}
	case 1:
		return objs[0].(*v1beta1.ClusterServiceClass), nil
	}
	var names []string
	for _, obj := range objs {
		class := obj.(*v1beta1.ClusterServiceClass)
		names = append(names, fmt.Sprintf("%s (broker %s)", class.Name, class.Spec.ClusterServiceBrokerName))
	}
	sort.Strings(names)
	return nil, &resolveError{conditions.ReferencesNonexistentServiceClass,
		fmt.Sprintf("Several classes have %s %q: %s; name one by clusterServiceClassName.", n, value, strings.Join(names, ", "))}
}

// findPlan finds the plan of class that ref names.
func (c *Controller) findPlan(class *v1beta1.ClusterServiceClass, ref catalog.PlanReference) (*v1beta1.ClusterServicePlan, error) {
	n := catalog.NamingOf(ref)
	if n == catalog.ByName {
		plan, err := c.cfg.Plans.Lister().Get(ref.ClusterServicePlanName)
		if apierrors.IsNotFound(err) || (err == nil && plan.Spec.ClusterServiceClassRef.Name != class.Name) {
			return nil, &resolveError{conditions.ReferencesNonexistentServicePlan,
				fmt.Sprintf("Class %q has no ClusterServicePlan named %q.", class.Name, ref.ClusterServicePlanName)}
		}
		return plan, err
	}
	objs, err := c.cfg.Plans.Informer().GetIndexer().ByIndex(indexes.ByClass, class.Name)
	if err != nil {
		return nil, err
	}
	var available []string
	for _, obj := range objs {
		plan := obj.(*v1beta1.ClusterServicePlan)
		if n.NamesPlan(ref, catalog.Names{Name: plan.Name, ExternalName: plan.Spec.ExternalName, ExternalID: plan.Spec.ExternalID}) {
			return plan, nil
		}
		available = append(available, plan.Spec.ExternalName)
	}
	sort.Strings(available)
	return nil, &resolveError{conditions.ReferencesNonexistentServicePlan,
		fmt.Sprintf("Class %q (%s) has no plan %q; its plans are: %s.", class.Name, class.Spec.ExternalName, n.Plan(ref), strings.Join(available, ", "))}
}
