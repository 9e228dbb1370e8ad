package validation

import (
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// The classes and plans of both scopes share every rule but the names of the fields that
// name their broker and, for plans, their class (see entryRef). Each rule is written
// once, for all four kinds.

// ValidateClusterServiceClassSpec checks an offering of a cluster-wide broker.
func ValidateClusterServiceClassSpec(spec *sc.ClusterServiceClassSpec, fldPath *field.Path) field.ErrorList {
	return clusterClassEntry(spec).validate(fldPath)
}

// ValidateServiceClassSpec checks an offering of a namespaced broker.
func ValidateServiceClassSpec(spec *sc.ServiceClassSpec, fldPath *field.Path) field.ErrorList {
	return classEntry(spec).validate(fldPath)
}

// ValidateClusterServicePlanSpec checks a plan of a cluster-wide broker.
func ValidateClusterServicePlanSpec(spec *sc.ClusterServicePlanSpec, fldPath *field.Path) field.ErrorList {
	return clusterPlanEntry(spec).validate(fldPath)
}

// ValidateServicePlanSpec checks a plan of a namespaced broker.
func ValidateServicePlanSpec(spec *sc.ServicePlanSpec, fldPath *field.Path) field.ErrorList {
	return planEntry(spec).validate(fldPath)
}

// entry is a class or plan spec of either scope as validation sees it: the errors of what
// every class or plan carries, and what cannot change: its id at the broker and the names
// of the objects it belongs to, by their field below spec.
type entry struct {
	common     func(*field.Path) field.ErrorList
	externalID string
	refs       []entryRef
}

// entryRef names the broker or class a class or plan belongs to.
type entryRef struct {
	field []string
	name  string
}

func clusterClassEntry(s *sc.ClusterServiceClassSpec) entry {
	return entry{classCommon(&s.CommonServiceClassSpec), s.ExternalID, []entryRef{{[]string{"clusterServiceBrokerName"}, s.ClusterServiceBrokerName}}}
}

func classEntry(s *sc.ServiceClassSpec) entry {
	return entry{classCommon(&s.CommonServiceClassSpec), s.ExternalID, []entryRef{{[]string{"serviceBrokerName"}, s.ServiceBrokerName}}}
}

func clusterPlanEntry(s *sc.ClusterServicePlanSpec) entry {
	return entry{planCommon(&s.CommonServicePlanSpec), s.ExternalID, []entryRef{
		{[]string{"clusterServiceBrokerName"}, s.ClusterServiceBrokerName}, {[]string{"clusterServiceClassRef", "name"}, s.ClusterServiceClassRef.Name},
	}}
}

func planEntry(s *sc.ServicePlanSpec) entry {
	return entry{planCommon(&s.CommonServicePlanSpec), s.ExternalID, []entryRef{
		{[]string{"serviceBrokerName"}, s.ServiceBrokerName}, {[]string{"serviceClassRef", "name"}, s.ServiceClassRef.Name},
	}}
}

// validate checks the spec: what every class or plan carries, and the names of the
// broker and class it belongs to.
func (e entry) validate(fldPath *field.Path) field.ErrorList {
	allErrs := e.common(fldPath)
	for _, r := range e.refs {
		allErrs = append(allErrs, validateDNSSubdomainName(r.name, fldPath.Child(r.field[0], r.field[1:]...))...)
	}
	return allErrs
}

// validateEntryUpdate checks a change to a class or plan: its metadata, its new spec and
// that neither its id nor what it belongs to changed.
func validateEntryUpdate(meta, oldMeta *metav1.ObjectMeta, e, old entry) field.ErrorList {
	allErrs := validateObjectUpdate(meta, oldMeta, e.validate(specPath))
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(e.externalID, old.externalID, specPath.Child("externalID"))...)
	for i, r := range e.refs {
		allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(r.name, old.refs[i].name, specPath.Child(r.field[0], r.field[1:]...))...)
	}
	return allErrs
}

// classCommon checks what every offering carries.
func classCommon(spec *sc.CommonServiceClassSpec) func(*field.Path) field.ErrorList {
	return func(fldPath *field.Path) field.ErrorList {
		allErrs := validateCatalogEntry(spec.ExternalName, spec.ExternalID, fldPath)
		return append(allErrs, validateJSONObject(spec.ExternalMetadata, fldPath.Child("externalMetadata"))...)
	}
}

// planCommon checks what every plan carries.
func planCommon(spec *sc.CommonServicePlanSpec) func(*field.Path) field.ErrorList {
	return func(fldPath *field.Path) field.ErrorList { return validateCommonServicePlanSpec(spec, fldPath) }
}

// validateCommonServicePlanSpec checks what every plan carries.
func validateCommonServicePlanSpec(spec *sc.CommonServicePlanSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateCatalogEntry(spec.ExternalName, spec.ExternalID, fldPath)
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
