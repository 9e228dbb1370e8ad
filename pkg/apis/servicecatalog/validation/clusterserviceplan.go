package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// ValidateClusterServicePlan checks a new plan.
func ValidateClusterServicePlan(plan *sc.ClusterServicePlan) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&plan.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateClusterServicePlanSpec(&plan.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateClusterServicePlanUpdate checks a change to a plan's metadata or spec.
func ValidateClusterServicePlanUpdate(newPlan, oldPlan *sc.ClusterServicePlan) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newPlan.ObjectMeta, &oldPlan.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	allErrs = append(allErrs, ValidateClusterServicePlanSpec(&newPlan.Spec, specPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newPlan.Spec.ExternalID, oldPlan.Spec.ExternalID, specPath.Child("externalID"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newPlan.Spec.ClusterServiceBrokerName, oldPlan.Spec.ClusterServiceBrokerName, specPath.Child("clusterServiceBrokerName"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newPlan.Spec.ClusterServiceClassRef, oldPlan.Spec.ClusterServiceClassRef, specPath.Child("clusterServiceClassRef"))...)
	return allErrs
}

// ValidateClusterServicePlanStatusUpdate checks a change to a plan's status.
func ValidateClusterServicePlanStatusUpdate(newPlan, oldPlan *sc.ClusterServicePlan) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaUpdate(&newPlan.ObjectMeta, &oldPlan.ObjectMeta, field.NewPath("metadata"))
}

// ValidateClusterServicePlanSpec checks a plan of a cluster-wide broker.
func ValidateClusterServicePlanSpec(spec *sc.ClusterServicePlanSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateCatalogEntry(spec.ExternalName, spec.ExternalID, fldPath)
	allErrs = append(allErrs, validateDNSSubdomainName(spec.ClusterServiceBrokerName, fldPath.Child("clusterServiceBrokerName"))...)
	allErrs = append(allErrs, validateDNSSubdomainName(spec.ClusterServiceClassRef.Name, fldPath.Child("clusterServiceClassRef", "name"))...)
	if spec.MaintenanceInfo != nil && spec.MaintenanceInfo.Version == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("maintenanceInfo", "version"), ""))
	}
	if d := spec.MaximumPollingDuration; d != nil && d.Duration <= 0 {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("maximumPollingDuration"), d.Duration.String(), "must be greater than zero"))
	}
	allErrs = append(allErrs, validateJSONObject(spec.ExternalMetadata, fldPath.Child("externalMetadata"))...)
	allErrs = append(allErrs, validateJSONObject(spec.InstanceCreateParameterSchema, fldPath.Child("instanceCreateParameterSchema"))...)
	allErrs = append(allErrs, validateJSONObject(spec.InstanceUpdateParameterSchema, fldPath.Child("instanceUpdateParameterSchema"))...)
	allErrs = append(allErrs, validateJSONObject(spec.ServiceBindingCreateParameterSchema, fldPath.Child("serviceBindingCreateParameterSchema"))...)
	return allErrs
}
