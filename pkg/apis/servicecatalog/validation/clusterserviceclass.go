package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// ValidateClusterServiceClass checks a new class.
func ValidateClusterServiceClass(class *sc.ClusterServiceClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&class.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateClusterServiceClassSpec(&class.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateClusterServiceClassUpdate checks a change to a class's metadata or spec.
func ValidateClusterServiceClassUpdate(newClass, oldClass *sc.ClusterServiceClass) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newClass.ObjectMeta, &oldClass.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	allErrs = append(allErrs, ValidateClusterServiceClassSpec(&newClass.Spec, specPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newClass.Spec.ExternalID, oldClass.Spec.ExternalID, specPath.Child("externalID"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newClass.Spec.ClusterServiceBrokerName, oldClass.Spec.ClusterServiceBrokerName, specPath.Child("clusterServiceBrokerName"))...)
	return allErrs
}

// ValidateClusterServiceClassStatusUpdate checks a change to a class's status.
func ValidateClusterServiceClassStatusUpdate(newClass, oldClass *sc.ClusterServiceClass) field.ErrorList {
	return apimachineryvalidation.ValidateObjectMetaUpdate(&newClass.ObjectMeta, &oldClass.ObjectMeta, field.NewPath("metadata"))
}

// ValidateClusterServiceClassSpec checks an offering of a cluster-wide broker.
func ValidateClusterServiceClassSpec(spec *sc.ClusterServiceClassSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateCatalogEntry(spec.ExternalName, spec.ExternalID, fldPath)
	allErrs = append(allErrs, validateDNSSubdomainName(spec.ClusterServiceBrokerName, fldPath.Child("clusterServiceBrokerName"))...)
	allErrs = append(allErrs, validateJSONObject(spec.ExternalMetadata, fldPath.Child("externalMetadata"))...)
	return allErrs
}

// validateCatalogEntry checks the names every offering and plan carries. OSB names are
// compared case-sensitively and may hold any character, so only presence and length are
// checked.
func validateCatalogEntry(externalName, externalID string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if externalName == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("externalName"), ""))
	} else if len(externalName) > maxExternalIDLength {
		allErrs = append(allErrs, field.TooLong(fldPath.Child("externalName"), "", maxExternalIDLength))
	}
	if externalID == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("externalID"), ""))
	} else if len(externalID) > maxExternalIDLength {
		allErrs = append(allErrs, field.TooLong(fldPath.Child("externalID"), "", maxExternalIDLength))
	}
	return allErrs
}
