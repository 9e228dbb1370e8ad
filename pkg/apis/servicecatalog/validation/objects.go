package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// The brokers, classes and plans of both scopes share the shape of their checks: the
// rules of their metadata, then those of their spec (brokers.go, catalogentries.go), and
// on update the spec fields that cannot change. A cluster-wide object has no namespace; a
// namespaced one must have one.

// specPath is the path of every object's spec.
var specPath = field.NewPath("spec")

// ValidateClusterServiceBroker checks a new cluster-wide broker.
func ValidateClusterServiceBroker(b *sc.ClusterServiceBroker) field.ErrorList {
	return validateNewObject(&b.ObjectMeta, false, ValidateClusterServiceBrokerSpec(&b.Spec, specPath))
}

// ValidateServiceBroker checks a new namespaced broker.
func ValidateServiceBroker(b *sc.ServiceBroker) field.ErrorList {
	return validateNewObject(&b.ObjectMeta, true, ValidateServiceBrokerSpec(&b.Spec, specPath))
}

// ValidateClusterServiceBrokerUpdate checks a change to a cluster-wide broker's metadata
// or spec: relistRequests may not decrease.
func ValidateClusterServiceBrokerUpdate(b, old *sc.ClusterServiceBroker) field.ErrorList {
	return validateBrokerUpdate(&b.ObjectMeta, &old.ObjectMeta, ValidateClusterServiceBrokerSpec(&b.Spec, specPath), b.Spec.RelistRequests, old.Spec.RelistRequests)
}

// ValidateServiceBrokerUpdate checks a change to a namespaced broker's metadata or spec:
// relistRequests may not decrease.
func ValidateServiceBrokerUpdate(b, old *sc.ServiceBroker) field.ErrorList {
	return validateBrokerUpdate(&b.ObjectMeta, &old.ObjectMeta, ValidateServiceBrokerSpec(&b.Spec, specPath), b.Spec.RelistRequests, old.Spec.RelistRequests)
}

// ValidateClusterServiceBrokerStatusUpdate checks a change to a cluster-wide broker's
// status.
func ValidateClusterServiceBrokerStatusUpdate(b, old *sc.ClusterServiceBroker) field.ErrorList {
	return validateObjectUpdate(&b.ObjectMeta, &old.ObjectMeta, validateBrokerStatus(&b.Status.CommonServiceBrokerStatus))
}

// ValidateServiceBrokerStatusUpdate checks a change to a namespaced broker's status.
func ValidateServiceBrokerStatusUpdate(b, old *sc.ServiceBroker) field.ErrorList {
	return validateObjectUpdate(&b.ObjectMeta, &old.ObjectMeta, validateBrokerStatus(&b.Status.CommonServiceBrokerStatus))
}

// ValidateClusterServiceClass checks a new cluster-wide class.
func ValidateClusterServiceClass(c *sc.ClusterServiceClass) field.ErrorList {
	return validateNewObject(&c.ObjectMeta, false, ValidateClusterServiceClassSpec(&c.Spec, specPath))
}

// ValidateServiceClass checks a new namespaced class.
func ValidateServiceClass(c *sc.ServiceClass) field.ErrorList {
	return validateNewObject(&c.ObjectMeta, true, ValidateServiceClassSpec(&c.Spec, specPath))
}

// ValidateClusterServicePlan checks a new cluster-wide plan.
func ValidateClusterServicePlan(p *sc.ClusterServicePlan) field.ErrorList {
	return validateNewObject(&p.ObjectMeta, false, ValidateClusterServicePlanSpec(&p.Spec, specPath))
}

// ValidateServicePlan checks a new namespaced plan.
func ValidateServicePlan(p *sc.ServicePlan) field.ErrorList {
	return validateNewObject(&p.ObjectMeta, true, ValidateServicePlanSpec(&p.Spec, specPath))
}

// ValidateClusterServiceClassUpdate checks a change to a cluster-wide class's metadata or
// spec: its externalID and broker cannot change.
func ValidateClusterServiceClassUpdate(c, old *sc.ClusterServiceClass) field.ErrorList {
	return validateEntryUpdate(&c.ObjectMeta, &old.ObjectMeta, clusterClassEntry(&c.Spec), clusterClassEntry(&old.Spec))
}

// ValidateServiceClassUpdate checks a change to a namespaced class's metadata or spec: its
// externalID and broker cannot change.
func ValidateServiceClassUpdate(c, old *sc.ServiceClass) field.ErrorList {
	return validateEntryUpdate(&c.ObjectMeta, &old.ObjectMeta, classEntry(&c.Spec), classEntry(&old.Spec))
}

// ValidateClusterServicePlanUpdate checks a change to a cluster-wide plan's metadata or
// spec: its externalID, broker and class cannot change.
func ValidateClusterServicePlanUpdate(p, old *sc.ClusterServicePlan) field.ErrorList {
	return validateEntryUpdate(&p.ObjectMeta, &old.ObjectMeta, clusterPlanEntry(&p.Spec), clusterPlanEntry(&old.Spec))
}

// ValidateServicePlanUpdate checks a change to a namespaced plan's metadata or spec: its
// externalID, broker and class cannot change.
func ValidateServicePlanUpdate(p, old *sc.ServicePlan) field.ErrorList {
	return validateEntryUpdate(&p.ObjectMeta, &old.ObjectMeta, planEntry(&p.Spec), planEntry(&old.Spec))
}

// ValidateClusterServiceClassStatusUpdate checks a change to a cluster-wide class's
// status.
func ValidateClusterServiceClassStatusUpdate(c, old *sc.ClusterServiceClass) field.ErrorList {
	return validateObjectUpdate(&c.ObjectMeta, &old.ObjectMeta)
}

// ValidateServiceClassStatusUpdate checks a change to a namespaced class's status.
func ValidateServiceClassStatusUpdate(c, old *sc.ServiceClass) field.ErrorList {
	return validateObjectUpdate(&c.ObjectMeta, &old.ObjectMeta)
}

// ValidateClusterServicePlanStatusUpdate checks a change to a cluster-wide plan's status.
func ValidateClusterServicePlanStatusUpdate(p, old *sc.ClusterServicePlan) field.ErrorList {
	return validateObjectUpdate(&p.ObjectMeta, &old.ObjectMeta)
}

// ValidateServicePlanStatusUpdate checks a change to a namespaced plan's status.
func ValidateServicePlanStatusUpdate(p, old *sc.ServicePlan) field.ErrorList {
	return validateObjectUpdate(&p.ObjectMeta, &old.ObjectMeta)
}

// validateNewObject checks the metadata of a new object (a namespace for the namespaced
// kinds and none for the others, a DNS subdomain name) and adds the errors of its spec.
func validateNewObject(meta *metav1.ObjectMeta, namespaced bool, specErrs field.ErrorList) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(meta, namespaced, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, specErrs...)
}

// validateObjectUpdate checks a change to an object's metadata and adds the errors of its
// new spec and of the fields that cannot change.
func validateObjectUpdate(meta, oldMeta *metav1.ObjectMeta, errs ...field.ErrorList) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(meta, oldMeta, field.NewPath("metadata"))
	for _, e := range errs {
		allErrs = append(allErrs, e...)
	}
	return allErrs
}
