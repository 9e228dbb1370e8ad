// Package brokercatalog holds the rules for writing brokers and the classes and plans
// they publish, of both scopes: ClusterServiceBrokers, ClusterServiceClasses and
// ClusterServicePlans for the whole cluster, ServiceBrokers, ServiceClasses and
// ServicePlans for one namespace. One strategy serves the six kinds
// (registry.CatalogKind); each is one row below, which says what sets it apart.
package brokercatalog

import (
	"k8s.io/apimachinery/pkg/fields"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/validation"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// The six kinds. Brokers carry the catalog's finalizer, which holds them until the
// controller has let go of what they published, and keep the stored relistRequests when a
// client leaves it out, so that replacing a broker from its original manifest does not
// count as a decrease. Classes and plans are the controller's and can be listed by the
// fields instances name them by.
var (
	// ClusterServiceBrokers are the brokers of the whole cluster.
	ClusterServiceBrokers = &registry.CatalogKind[*sc.ClusterServiceBroker]{ShortName: "csb", Finalizer: true, KeepUnset: relistRequests, Validation: clusterBrokerRules}
	// ServiceBrokers are the brokers of one namespace.
	ServiceBrokers = &registry.CatalogKind[*sc.ServiceBroker]{ShortName: "nsb", Namespaced: true, Finalizer: true, KeepUnset: relistRequests, Validation: brokerRules}
	// ClusterServiceClasses are the offerings of ClusterServiceBrokers.
	ClusterServiceClasses = &registry.CatalogKind[*sc.ClusterServiceClass]{ShortName: "csc", Validation: clusterClassRules, Fields: clusterClassFields}
	// ServiceClasses are the offerings of ServiceBrokers, in their namespace.
	ServiceClasses = &registry.CatalogKind[*sc.ServiceClass]{ShortName: "nsc", Namespaced: true, Validation: classRules, Fields: classFields}
	// ClusterServicePlans are the plans of ClusterServiceClasses.
	ClusterServicePlans = &registry.CatalogKind[*sc.ClusterServicePlan]{ShortName: "csp", Validation: clusterPlanRules, Fields: clusterPlanFields}
	// ServicePlans are the plans of ServiceClasses, in their namespace.
	ServicePlans = &registry.CatalogKind[*sc.ServicePlan]{ShortName: "nsp", Namespaced: true, Validation: planRules, Fields: planFields}
)

// relistRequests is the broker spec field the server keeps.
var relistRequests = []string{"RelistRequests"}

// The validation of each kind.
var (
	clusterBrokerRules = registry.Validate(validation.ValidateClusterServiceBroker, validation.ValidateClusterServiceBrokerUpdate, validation.ValidateClusterServiceBrokerStatusUpdate)
	brokerRules        = registry.Validate(validation.ValidateServiceBroker, validation.ValidateServiceBrokerUpdate, validation.ValidateServiceBrokerStatusUpdate)
	clusterClassRules  = registry.Validate(validation.ValidateClusterServiceClass, validation.ValidateClusterServiceClassUpdate, validation.ValidateClusterServiceClassStatusUpdate)
	classRules         = registry.Validate(validation.ValidateServiceClass, validation.ValidateServiceClassUpdate, validation.ValidateServiceClassStatusUpdate)
	clusterPlanRules   = registry.Validate(validation.ValidateClusterServicePlan, validation.ValidateClusterServicePlanUpdate, validation.ValidateClusterServicePlanStatusUpdate)
	planRules          = registry.Validate(validation.ValidateServicePlan, validation.ValidateServicePlanUpdate, validation.ValidateServicePlanStatusUpdate)
)

// clusterClassFields are the selectable fields of a ClusterServiceClass.
func clusterClassFields(c *sc.ClusterServiceClass) fields.Set {
	return entryFields(c.Spec.ExternalName, c.Spec.ExternalID, "spec.clusterServiceBrokerName", c.Spec.ClusterServiceBrokerName)
}

// classFields are the selectable fields of a ServiceClass.
func classFields(c *sc.ServiceClass) fields.Set {
	return entryFields(c.Spec.ExternalName, c.Spec.ExternalID, "spec.serviceBrokerName", c.Spec.ServiceBrokerName)
}

// clusterPlanFields are the selectable fields of a ClusterServicePlan.
func clusterPlanFields(p *sc.ClusterServicePlan) fields.Set {
	return entryFields(p.Spec.ExternalName, p.Spec.ExternalID, "spec.clusterServiceBrokerName", p.Spec.ClusterServiceBrokerName,
		"spec.clusterServiceClassRef.name", p.Spec.ClusterServiceClassRef.Name)
}

// planFields are the selectable fields of a ServicePlan.
func planFields(p *sc.ServicePlan) fields.Set {
	return entryFields(p.Spec.ExternalName, p.Spec.ExternalID, "spec.serviceBrokerName", p.Spec.ServiceBrokerName,
		"spec.serviceClassRef.name", p.Spec.ServiceClassRef.Name)
}

// entryFields are the selectable fields of a class or plan: its names at the broker and
// the names of what it belongs to, given as field, value pairs.
func entryFields(externalName, externalID string, refs ...string) fields.Set {
	set := fields.Set{"spec.externalName": externalName, "spec.externalID": externalID}
	for i := 0; i+1 < len(refs); i += 2 {
		set[refs[i]] = refs[i+1]
	}
	return set
}
