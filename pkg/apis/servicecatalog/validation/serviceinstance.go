package validation

import (
	"fmt"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// ValidateServiceInstance checks a new instance.
func ValidateServiceInstance(instance *sc.ServiceInstance) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&instance.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateServiceInstanceSpec(&instance.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateServiceInstanceUpdate checks a change to an instance's metadata or spec.
func ValidateServiceInstanceUpdate(newInstance, oldInstance *sc.ServiceInstance) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newInstance.ObjectMeta, &oldInstance.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	allErrs = append(allErrs, ValidateServiceInstanceSpec(&newInstance.Spec, specPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newInstance.Spec.ExternalID, oldInstance.Spec.ExternalID, specPath.Child("externalID"))...)
	newRef, oldRef := catalog.PlanReference(newInstance.Spec.PlanReference), catalog.PlanReference(oldInstance.Spec.PlanReference)
	for _, n := range catalog.Namings() {
		allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(n.Class(newRef), n.Class(oldRef), specPath.Child(n.ClassField()))...)
	}
	allErrs = append(allErrs, validateCounterUpdate(newInstance.Spec.UpdateRequests, oldInstance.Spec.UpdateRequests, specPath.Child("updateRequests"))...)
	return allErrs
}

// ValidateServiceInstanceStatusUpdate checks a change to an instance's status.
func ValidateServiceInstanceStatusUpdate(newInstance, oldInstance *sc.ServiceInstance) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newInstance.ObjectMeta, &oldInstance.ObjectMeta, field.NewPath("metadata"))
	statusPath := field.NewPath("status")
	status := &newInstance.Status
	allErrs = append(allErrs, validateConditions(status.Conditions, statusPath.Child("conditions"))...)
	allErrs = append(allErrs, validateEnum(status.CurrentOperation, statusPath.Child("currentOperation"),
		sc.ServiceInstanceOperationProvision, sc.ServiceInstanceOperationUpdate, sc.ServiceInstanceOperationDeprovision)...)
	allErrs = append(allErrs, validateEnum(status.ProvisionStatus, statusPath.Child("provisionStatus"),
		sc.ServiceInstanceProvisionStatusProvisioned, sc.ServiceInstanceProvisionStatusNotProvisioned)...)
	allErrs = append(allErrs, validateEnum(status.DeprovisionStatus, statusPath.Child("deprovisionStatus"),
		sc.ServiceInstanceDeprovisionStatusNotRequired, sc.ServiceInstanceDeprovisionStatusRequired,
		sc.ServiceInstanceDeprovisionStatusSucceeded, sc.ServiceInstanceDeprovisionStatusFailed)...)
	if status.AsyncOpInProgress && status.CurrentOperation == "" {
		allErrs = append(allErrs, field.Forbidden(statusPath.Child("asyncOpInProgress"), "requires a currentOperation"))
	}
	allErrs = append(allErrs, validateOperationStatus(&status.OperationStatus, statusPath)...)
	allErrs = append(allErrs, validateMaxLength(status.DashboardURL, MaxDashboardURLLength, statusPath.Child("dashboardURL"))...)
	return allErrs
}

// ValidateServiceInstanceSpec checks what an instance asks of the broker.
func ValidateServiceInstanceSpec(spec *sc.ServiceInstanceSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validatePlanReference(&spec.PlanReference, fldPath)
	allErrs = append(allErrs, validateParameters(spec.Parameters, fldPath.Child("parameters"))...)
	allErrs = append(allErrs, validateParametersFrom(spec.ParametersFrom, fldPath.Child("parametersFrom"))...)
	allErrs = append(allErrs, validateExternalID(spec.ExternalID, fldPath.Child("externalID"))...)
	allErrs = append(allErrs, validateNonNegative(spec.UpdateRequests, fldPath.Child("updateRequests"))...)
	allErrs = append(allErrs, validateMaxLength(spec.MaintenanceInfoVersion, maxExternalIDLength, fldPath.Child("maintenanceInfoVersion"))...)
	return allErrs
}

// validatePlanReference checks that the class is named exactly one way (see
// catalog.Namings) and the plan is named the same way.
func validatePlanReference(planRef *sc.PlanReference, fldPath *field.Path) field.ErrorList {
	ref := catalog.PlanReference(*planRef)
	var used []catalog.Naming
	for _, n := range catalog.Namings() {
		if n.Class(ref) != "" {
			used = append(used, n)
		}
	}
	if len(used) != 1 {
		msg := "exactly one of clusterServiceClassExternalName, clusterServiceClassExternalID and clusterServiceClassName must be set"
		if len(used) == 0 {
			return field.ErrorList{field.Required(fldPath.Child(catalog.ByExternalName.ClassField()), msg)}
		}
		return field.ErrorList{field.Forbidden(fldPath.Child(used[1].ClassField()), msg)}
	}
	naming := used[0]
	var allErrs field.ErrorList
	if naming.Plan(ref) == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child(naming.PlanField()),
			fmt.Sprintf("the plan must be named the same way as the class (%s)", naming.ClassField())))
	}
	for _, other := range catalog.Namings() {
		if other != naming && other.Plan(ref) != "" {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(other.PlanField()),
				fmt.Sprintf("the plan must be named the same way as the class: use %s", naming.PlanField())))
		}
	}
	if naming == catalog.ByName {
		allErrs = append(allErrs, validateDNSSubdomainName(ref.ClusterServiceClassName, fldPath.Child(naming.ClassField()))...)
		if ref.ClusterServicePlanName != "" {
			allErrs = append(allErrs, validateDNSSubdomainName(ref.ClusterServicePlanName, fldPath.Child(naming.PlanField()))...)
		}
	}
	return allErrs
}

// validateEnum checks that a status field holds one of its values, or nothing.
func validateEnum[T ~string](value T, fldPath *field.Path, allowed ...T) field.ErrorList {
	if value == "" {
		return nil
	}
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return field.ErrorList{field.NotSupported(fldPath, value, allowed)}
}
