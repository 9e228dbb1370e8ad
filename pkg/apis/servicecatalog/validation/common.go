// Package validation checks catalog objects before they are stored. Every error names the
// field and the rule it breaks; no error repeats a value that may be secret.
package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

// maxExternalIDLength bounds OSB ids; the OSB API recommends at most 255 characters.
const maxExternalIDLength = 255

// externalIDPattern allows the RFC 3986 unreserved characters, which need no escaping in
// OSB URLs.
var externalIDPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// validateExternalID checks an OSB instance or binding id chosen by a user.
func validateExternalID(id string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case id == "":
		allErrs = append(allErrs, field.Required(fldPath, "the server sets it on create when empty"))
	case len(id) > maxExternalIDLength:
		allErrs = append(allErrs, field.TooLong(fldPath, "", maxExternalIDLength))
	case !externalIDPattern.MatchString(id):
		allErrs = append(allErrs, field.Invalid(fldPath, id, "must contain only letters, digits, '.', '_', '~' and '-'"))
	case id == "." || id == "..":
		// The id is a segment of the broker's URLs (/v2/service_instances/<id>); these two
		// would be resolved as dot-segments and address another resource.
		allErrs = append(allErrs, field.Invalid(fldPath, id, `must not be "." or ".."`))
	}
	return allErrs
}

// validateDNSSubdomainName checks a reference to another object by name.
func validateDNSSubdomainName(name string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if name == "" {
		return append(allErrs, field.Required(fldPath, ""))
	}
	for _, msg := range utilvalidation.IsDNS1123Subdomain(name) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	return allErrs
}

// Limits of what users write. The controller keeps a copy of an object's parameters (with
// secret values redacted) in status for the request in flight and the one the broker
// acknowledged, so parameters are kept well below what etcd holds in one object.
const (
	// MaxParametersBytes bounds spec.parameters, as JSON.
	MaxParametersBytes = 64 * 1024
	// MaxParametersFrom bounds the number of parametersFrom sources.
	MaxParametersFrom = 16
	// MaxSecretTransforms bounds the number of secretTransforms.
	MaxSecretTransforms = 64
	// MaxAddKeyValueBytes bounds the value of an addKey transform.
	MaxAddKeyValueBytes = 64 * 1024
	// MaxJSONPathLength bounds a transform's JSONPath expression.
	MaxJSONPathLength = 1024
	// MaxCABundleBytes bounds a broker's CA bundle.
	MaxCABundleBytes = 256 * 1024
	// MaxBrokerURLLength bounds a broker's URL.
	MaxBrokerURLLength = 2048
	// MaxRestrictions bounds the predicates of each catalog restriction list.
	MaxRestrictions = 64
	// MaxRestrictionLength bounds each predicate of a catalog restriction list.
	MaxRestrictionLength = 1024
)

// validateParameters checks inline parameters: a JSON object of at most
// MaxParametersBytes.
func validateParameters(raw *runtime.RawExtension, fldPath *field.Path) field.ErrorList {
	if raw != nil && len(raw.Raw) > MaxParametersBytes {
		return field.ErrorList{field.TooLong(fldPath, "", MaxParametersBytes)}
	}
	return validateJSONObject(raw, fldPath)
}

// validateMaxItems checks that a list has at most limit entries.
func validateMaxItems(n, limit int, fldPath *field.Path) field.ErrorList {
	if n > limit {
		return field.ErrorList{field.TooMany(fldPath, n, limit)}
	}
	return nil
}

// validateJSONObject checks that raw parameters or schemas hold a JSON object.
func validateJSONObject(raw *runtime.RawExtension, fldPath *field.Path) field.ErrorList {
	if raw == nil {
		return nil
	}
	data := bytes.TrimSpace(raw.Raw)
	if len(data) == 0 {
		if raw.Object != nil {
			return nil
		}
		return field.ErrorList{field.Required(fldPath, "must be a JSON object; omit the field instead of leaving it empty")}
	}
	if data[0] != '{' || !json.Valid(data) {
		return field.ErrorList{field.Invalid(fldPath, "<value omitted>", "must be a JSON object")}
	}
	return nil
}

// validateParametersFrom checks that every entry names a complete source.
func validateParametersFrom(sources []sc.ParametersFromSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateMaxItems(len(sources), MaxParametersFrom, fldPath)
	for i, src := range sources {
		idxPath := fldPath.Index(i)
		if src.SecretKeyRef == nil {
			allErrs = append(allErrs, field.Required(idxPath.Child("secretKeyRef"), "each entry must name a source"))
			continue
		}
		allErrs = append(allErrs, validateDNSSubdomainName(src.SecretKeyRef.Name, idxPath.Child("secretKeyRef", "name"))...)
		allErrs = append(allErrs, validateSecretKey(src.SecretKeyRef.Key, idxPath.Child("secretKeyRef", "key"))...)
	}
	return allErrs
}

// validateSecretKey checks a key of a Secret's data.
func validateSecretKey(key string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if key == "" {
		return append(allErrs, field.Required(fldPath, ""))
	}
	for _, msg := range utilvalidation.IsConfigMapKey(key) {
		allErrs = append(allErrs, field.Invalid(fldPath, key, msg))
	}
	return allErrs
}

// validateCounterUpdate checks that a user-incremented counter never goes down.
func validateCounterUpdate(newValue, oldValue int64, fldPath *field.Path) field.ErrorList {
	if newValue < oldValue {
		return field.ErrorList{field.Invalid(fldPath, newValue, "must not decrease")}
	}
	return nil
}

// validateNonNegative checks a counter.
func validateNonNegative(value int64, fldPath *field.Path) field.ErrorList {
	return apimachineryvalidation.ValidateNonnegativeField(value, fldPath)
}

// validateConditions checks the standard conditions of a status.
func validateConditions(conditions []metav1.Condition, fldPath *field.Path) field.ErrorList {
	return metav1validation.ValidateConditions(conditions, fldPath)
}

// secretLookingKeys are parameter names that usually hold secrets.
var secretLookingKeys = regexp.MustCompile(`(?i)(password|passwd|secret|token|credential|private[-_]?key|api[-_]?key)`)

// ParametersWarnings warns about inline parameters whose names suggest a secret value:
// inline parameters are stored and shown in plain text.
func ParametersWarnings(raw *runtime.RawExtension, fldPath *field.Path) []string {
	if raw == nil || len(raw.Raw) == 0 {
		return nil
	}
	var params map[string]json.RawMessage
	if err := json.Unmarshal(raw.Raw, &params); err != nil {
		return nil
	}
	var warnings []string
	for key := range params {
		if secretLookingKeys.MatchString(key) {
			warnings = append(warnings, fmt.Sprintf("%s: %q looks like a secret; inline parameters are shown in plain text, use parametersFrom with a Secret instead", fldPath.Key(key), key))
		}
	}
	sort.Strings(warnings)
	return warnings
}

// Limits of what brokers hand back, which the controller stores in status.
const (
	// MaxOperationKeyLength is the longest operation value the OSB specification allows.
	MaxOperationKeyLength = 10000
	// MaxDashboardURLLength bounds a dashboard URL; the controller drops longer ones.
	MaxDashboardURLLength = 4096
)

// validateMaxLength checks that value has at most limit bytes.
func validateMaxLength(value string, limit int, fldPath *field.Path) field.ErrorList {
	if len(value) > limit {
		return field.ErrorList{field.TooLong(fldPath, "", limit)}
	}
	return nil
}

// validateOperationStatus checks the operation record instances and bindings share.
func validateOperationStatus(op *sc.OperationStatus, fldPath *field.Path) field.ErrorList {
	allErrs := validateMaxLength(op.OperationKey, MaxOperationKeyLength, fldPath.Child("operationKey"))
	return append(allErrs, validateMaxLength(op.LastRequestIdentity, maxExternalIDLength, fldPath.Child("lastRequestIdentity"))...)
}

// MaxInterventionReasonLength is the longest reason an Intervention may give.
const MaxInterventionReasonLength = 1024

// ValidateIntervention checks the body of a request to a retry or abandon subresource of
// the object named name.
func ValidateIntervention(i *sc.Intervention, name string) field.ErrorList {
	var allErrs field.ErrorList
	if i.Name != "" && i.Name != name {
		allErrs = append(allErrs, field.Invalid(field.NewPath("metadata", "name"), i.Name, "must be the name of the object in the request's path, "+name))
	}
	return append(allErrs, validateMaxLength(i.Reason, MaxInterventionReasonLength, field.NewPath("reason"))...)
}
