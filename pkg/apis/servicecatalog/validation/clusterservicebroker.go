package validation

import (
	"encoding/pem"
	"net/url"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
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
)

// ValidateClusterServiceBroker checks a new broker.
func ValidateClusterServiceBroker(broker *sc.ClusterServiceBroker) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&broker.ObjectMeta, false, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateClusterServiceBrokerSpec(&broker.Spec, field.NewPath("spec"))...)
	return allErrs
}

// ValidateClusterServiceBrokerUpdate checks a change to a broker's metadata or spec.
func ValidateClusterServiceBrokerUpdate(newBroker, oldBroker *sc.ClusterServiceBroker) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newBroker.ObjectMeta, &oldBroker.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	allErrs = append(allErrs, ValidateClusterServiceBrokerSpec(&newBroker.Spec, specPath)...)
	allErrs = append(allErrs, validateCounterUpdate(newBroker.Spec.RelistRequests, oldBroker.Spec.RelistRequests, specPath.Child("relistRequests"))...)
	return allErrs
}

// ValidateClusterServiceBrokerStatusUpdate checks a change to a broker's status.
func ValidateClusterServiceBrokerStatusUpdate(newBroker, oldBroker *sc.ClusterServiceBroker) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newBroker.ObjectMeta, &oldBroker.ObjectMeta, field.NewPath("metadata"))
	allErrs = append(allErrs, validateConditions(newBroker.Status.Conditions, field.NewPath("status", "conditions"))...)
	return allErrs
}

// ValidateClusterServiceBrokerSpec checks the settings of a cluster-wide broker.
func ValidateClusterServiceBrokerSpec(spec *sc.ClusterServiceBrokerSpec, fldPath *field.Path) field.ErrorList {
	allErrs := validateCommonServiceBrokerSpec(&spec.CommonServiceBrokerSpec, fldPath)
	if spec.NamespaceSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(spec.NamespaceSelector, metav1validation.LabelSelectorValidationOptions{}, fldPath.Child("namespaceSelector"))...)
	}
	if spec.AuthInfo != nil {
		allErrs = append(allErrs, validateClusterServiceBrokerAuthInfo(spec.AuthInfo, fldPath.Child("authInfo"))...)
	}
	return allErrs
}

func validateCommonServiceBrokerSpec(spec *sc.CommonServiceBrokerSpec, fldPath *field.Path) field.ErrorList {
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
		allErrs = append(allErrs, validateRestrictions(r.ServicePlan, planRestrictionProperties, fldPath.Child("catalogRestrictions", "servicePlan"))...)
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
		return field.ErrorList{field.Invalid(fldPath, "<value omitted>", "must be a valid URL")}
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

func validateClusterServiceBrokerAuthInfo(auth *sc.ClusterServiceBrokerAuthInfo, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case auth.Basic != nil && auth.Bearer != nil:
		allErrs = append(allErrs, field.Forbidden(fldPath, "exactly one of basic and bearer may be set"))
	case auth.Basic != nil:
		allErrs = append(allErrs, validateClusterSecretRef(auth.Basic.SecretRef, fldPath.Child("basic", "secretRef"))...)
	case auth.Bearer != nil:
		allErrs = append(allErrs, validateClusterSecretRef(auth.Bearer.SecretRef, fldPath.Child("bearer", "secretRef"))...)
	default:
		allErrs = append(allErrs, field.Required(fldPath, "exactly one of basic and bearer must be set"))
	}
	return allErrs
}

func validateClusterSecretRef(ref *sc.ObjectReference, fldPath *field.Path) field.ErrorList {
	if ref == nil {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	var allErrs field.ErrorList
	if ref.Namespace == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("namespace"), "a cluster-wide broker must name the Secret's namespace"))
	} else {
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(ref.Namespace, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("namespace"), ref.Namespace, msg))
		}
	}
	allErrs = append(allErrs, validateDNSSubdomainName(ref.Name, fldPath.Child("name"))...)
	return allErrs
}
