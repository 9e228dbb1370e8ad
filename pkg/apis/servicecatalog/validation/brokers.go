package validation

import (
	"encoding/pem"
	"net/url"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// SupportedOSBAPIVersions are the Open Service Broker API versions the catalog speaks.
var SupportedOSBAPIVersions = []string{"2.13", "2.14", "2.15", "2.16", "2.17"}

// Properties catalog restrictions may test.
var (
	classRestrictionProperties = sets.New("name", "spec.externalName", "spec.externalID")
	planRestrictionProperties  = sets.New("name", "spec.externalName", "spec.externalID", "spec.free", "spec.clusterServiceClass.name")
	// A namespaced broker's plans name their class in spec.serviceClassRef; its plan
	// restrictions may say spec.serviceClass.name, as the historic manifests do.
	namespacedPlanRestrictionProperties = planRestrictionProperties.Union(sets.New("spec.serviceClass.name"))
)

// The brokers of both scopes share every rule but where their credentials are: a
// cluster-wide broker names the Secret's namespace, a namespaced broker's Secret is in its
// own namespace.

// ValidateClusterServiceBrokerSpec checks the settings of a cluster-wide broker.
func ValidateClusterServiceBrokerSpec(spec *sc.ClusterServiceBrokerSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateCommonServiceBrokerSpec(&spec.CommonServiceBrokerSpec, planRestrictionProperties, fldPath)
	if spec.NamespaceSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.NamespaceSelector, metav1validation.LabelSelectorValidationOptions{}, fldPath.Child("namespaceSelector"))...)
	}
	if spec.AuthInfo != nil {
		allErrs = append(allErrs, validateBrokerAuth(spec.AuthInfo, false, fldPath.Child("authInfo"))...)
	}
	return allErrs
}

// ValidateServiceBrokerSpec checks the settings of a namespaced broker.
func ValidateServiceBrokerSpec(spec *sc.ServiceBrokerSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateCommonServiceBrokerSpec(&spec.CommonServiceBrokerSpec, namespacedPlanRestrictionProperties, fldPath)
	if spec.AuthInfo != nil {
		allErrs = append(allErrs, validateBrokerAuth(localAuth(spec.AuthInfo), true, fldPath.Child("authInfo"))...)
	}
	return allErrs
}

// validateBrokerUpdate checks a change to a broker: its metadata, its new spec, whose
// errors are specErrs, and that relistRequests did not decrease.
func validateBrokerUpdate(meta, oldMeta *metav1.ObjectMeta, specErrs field.ErrorList, relistRequests, oldRelistRequests int64) field.ErrorList {
	return validateObjectUpdate(meta, oldMeta, specErrs, validateCounterUpdate(relistRequests, oldRelistRequests, specPath.Child("relistRequests")))
}

// validateBrokerStatus checks the status every broker has.
func validateBrokerStatus(status *sc.CommonServiceBrokerStatus) field.ErrorList {
	return validateConditions(status.Conditions, field.NewPath("status", "conditions"))
}

// validateCommonServiceBrokerSpec checks the settings every broker has; its plan
// restrictions may test planProperties.
func validateCommonServiceBrokerSpec(spec *sc.CommonServiceBrokerSpec, planProperties sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := validateBrokerURL(spec.URL, fldPath.Child("url"))

	if spec.InsecureSkipTLSVerify && len(spec.CABundle) > 0 {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("caBundle"), "may not be set together with insecureSkipTLSVerify"))
	}
	if len(spec.CABundle) > MaxCABundleBytes {
		allErrs = append(allErrs, field.TooLong(fldPath.Child("caBundle"), "", MaxCABundleBytes))
	} else if len(spec.CABundle) > 0 {
		if block, _ := pem.Decode(spec.CABundle); block == nil || block.Type != "CERTIFICATE" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("caBundle"), "<bytes omitted>", "must hold PEM-encoded certificates"))
		}
	}

	switch spec.RelistBehavior {
	case sc.ServiceBrokerRelistBehaviorDuration:
		if spec.RelistDuration != nil && spec.RelistDuration.Duration <= 0 {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("relistDuration"), spec.RelistDuration.Duration.String(), "must be greater than zero"))
		}
	case sc.ServiceBrokerRelistBehaviorManual:
		if spec.RelistDuration != nil {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("relistDuration"), `may only be set when relistBehavior is "Duration"`))
		}
	case "":
		allErrs = append(allErrs, field.Required(fldPath.Child("relistBehavior"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("relistBehavior"), spec.RelistBehavior,
			[]sc.ServiceBrokerRelistBehavior{sc.ServiceBrokerRelistBehaviorDuration, sc.ServiceBrokerRelistBehaviorManual}))
	}
	allErrs = append(allErrs, validateNonNegative(spec.RelistRequests, fldPath.Child("relistRequests"))...)

	if spec.OSBAPIVersion != "" && !sets.New(SupportedOSBAPIVersions...).Has(spec.OSBAPIVersion) {
		allErrs = append(allErrs, field.NotSupported(fldPath.Child("osbAPIVersion"), spec.OSBAPIVersion, SupportedOSBAPIVersions))
	}

	if r := spec.CatalogRestrictions; r != nil {
		allErrs = append(allErrs, validateRestrictions(r.ServiceClass, classRestrictionProperties, fldPath.Child("catalogRestrictions", "serviceClass"))...)
		allErrs = append(allErrs, validateRestrictions(r.ServicePlan, planProperties, fldPath.Child("catalogRestrictions", "servicePlan"))...)
	}
	return allErrs
}

// validateBrokerURL checks that the broker is reached over http(s) at an absolute URL.
// The URL is never echoed back: it could carry a password.
func validateBrokerURL(raw string, fldPath *field.Path) field.ErrorList {
	if raw == "" {
		return field.ErrorList{field.Required(fldPath, "the broker's base URL, such as https://broker.example.com")}
	}
	if len(raw) > MaxBrokerURLLength {
		return field.ErrorList{field.TooLong(fldPath, "", MaxBrokerURLLength)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Invalid(fldPath, "<value omitted>", "must be a valid URL, such as https://broker.example.com:8443/osb")}
	}
	var allErrs field.ErrorList
	if u.Scheme != "http" && u.Scheme != "https" {
		allErrs = append(allErrs, field.Invalid(fldPath, "<value omitted>", "must be an absolute URL with scheme http or https"))
	}
	if u.Host == "" {
		allErrs = append(allErrs, field.Invalid(fldPath, "<value omitted>", "must name a host"))
	}
	if u.User != nil {
		allErrs = append(allErrs, field.Forbidden(fldPath, "must not contain credentials; use authInfo with a Secret"))
	}
	if u.RawQuery != "" || u.Fragment != "" {
		allErrs = append(allErrs, field.Invalid(fldPath, "<value omitted>", "must not have a query or a fragment"))
	}
	return allErrs
}

// validateRestrictions checks that each predicate parses and tests a supported property.
func validateRestrictions(predicates []string, allowed sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := validateMaxItems(len(predicates), MaxRestrictions, fldPath)
	for i, p := range predicates {
		if len(p) > MaxRestrictionLength {
			allErrs = append(allErrs, field.TooLong(fldPath.Index(i), "", MaxRestrictionLength))
			continue
		}
		selector, err := labels.Parse(p)
		if err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), p, err.Error()))
			continue
		}
		requirements, _ := selector.Requirements()
		for _, r := range requirements {
			if !allowed.Has(r.Key()) {
				allErrs = append(allErrs, field.NotSupported(fldPath.Index(i), r.Key(), sets.List(allowed)))
			}
		}
	}
	return allErrs
}

// localAuth returns the authentication of a namespaced broker in the shape of a
// cluster-wide broker's, its Secrets named without a namespace.
func localAuth(auth *sc.ServiceBrokerAuthInfo) *sc.ClusterServiceBrokerAuthInfo {
	out := &sc.ClusterServiceBrokerAuthInfo{}
	if auth.Basic != nil {
		out.Basic = &sc.ClusterBasicAuthConfig{SecretRef: localRef(auth.Basic.SecretRef)}
	}
	if auth.Bearer != nil {
		out.Bearer = &sc.ClusterBearerTokenAuthConfig{SecretRef: localRef(auth.Bearer.SecretRef)}
	}
	return out
}

// localRef returns a reference to an object of the referrer's namespace as one without
// a namespace, or nil.
func localRef(ref *sc.LocalObjectReference) *sc.ObjectReference {
	if ref == nil {
		return nil
	}
	return &sc.ObjectReference{Name: ref.Name}
}

// validateBrokerAuth checks that a broker authenticates exactly one way, with a valid
// reference to its Secret.
func validateBrokerAuth(auth *sc.ClusterServiceBrokerAuthInfo, namespaced bool, fldPath *field.Path) field.ErrorList {
	switch {
	case auth.Basic != nil && auth.Bearer != nil:
		return field.ErrorList{field.Forbidden(fldPath, "exactly one of basic and bearer may be set")}
	case auth.Basic != nil:
		return validateSecretRef(auth.Basic.SecretRef, namespaced, fldPath.Child("basic", "secretRef"))
	case auth.Bearer != nil:
		return validateSecretRef(auth.Bearer.SecretRef, namespaced, fldPath.Child("bearer", "secretRef"))
	}
	return field.ErrorList{field.Required(fldPath, "exactly one of basic and bearer must be set")}
}

// validateSecretRef checks the reference to a broker's Secret. A cluster-wide broker must
// name the Secret's namespace; a namespaced broker's Secret is in its own namespace.
func validateSecretRef(ref *sc.ObjectReference, namespaced bool, fldPath *field.Path) field.ErrorList {
	if ref == nil {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	var allErrs field.ErrorList
	switch {
	case namespaced:
	case ref.Namespace == "":
		allErrs = append(allErrs, field.Required(fldPath.Child("namespace"), "a cluster-wide broker must name the Secret's namespace"))
	default:
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(ref.Namespace, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("namespace"), ref.Namespace, msg))
		}
	}
	return append(allErrs, validateDNSSubdomainName(ref.Name, fldPath.Child("name"))...)
}
