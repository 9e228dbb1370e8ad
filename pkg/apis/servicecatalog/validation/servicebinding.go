package validation

import (
	"strings"

	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/jsonpath"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
)

// ValidateServiceBinding checks a new binding.
func ValidateServiceBinding(binding *sc.ServiceBinding) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMeta(&binding.ObjectMeta, true, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	allErrs = append(allErrs, ValidateServiceBindingSpec(&binding.Spec, binding.Namespace, field.NewPath("spec"))...)
	return allErrs
}

// ValidateServiceBindingUpdate checks a change to a binding's metadata or spec. A binding's
// spec cannot change: the broker has no way to update a binding, so a different binding
// is a new one.
func ValidateServiceBindingUpdate(newBinding, oldBinding *sc.ServiceBinding) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newBinding.ObjectMeta, &oldBinding.ObjectMeta, field.NewPath("metadata"))
	specPath := field.NewPath("spec")
	allErrs = append(allErrs, ValidateServiceBindingSpec(&newBinding.Spec, newBinding.Namespace, specPath)...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newBinding.Spec.InstanceRef, oldBinding.Spec.InstanceRef, specPath.Child("instanceRef"))...)
	allErrs = append(allErrs, apimachineryvalidation.ValidateImmutableField(newBinding.Spec.ExternalID, oldBinding.Spec.ExternalID, specPath.Child("externalID"))...)
	newSpec, oldSpec := newBinding.Spec, oldBinding.Spec
	newSpec.UserInfo, oldSpec.UserInfo = nil, nil
	newSpec.InstanceRef, oldSpec.InstanceRef = oldBinding.Spec.InstanceRef, oldBinding.Spec.InstanceRef
	newSpec.ExternalID = oldSpec.ExternalID
	if newBinding.Spec.RotationRequests < oldBinding.Spec.RotationRequests {
		allErrs = append(allErrs, field.Invalid(specPath.Child("rotationRequests"), newBinding.Spec.RotationRequests, "must not decrease"))
	}
	newSpec.RotationRequests, newSpec.RotateWhenStale = oldSpec.RotationRequests, oldSpec.RotateWhenStale
	if !helper.Semantic.DeepEqual(newSpec, oldSpec) {
		allErrs = append(allErrs, field.Forbidden(specPath, "a binding's spec cannot change but for rotationRequests and rotateWhenStale; delete the binding and create a new one"))
	}
	return allErrs
}

// ValidateServiceBindingStatusUpdate checks a change to a binding's status.
func ValidateServiceBindingStatusUpdate(newBinding, oldBinding *sc.ServiceBinding) field.ErrorList {
	allErrs := apimachineryvalidation.ValidateObjectMetaUpdate(&newBinding.ObjectMeta, &oldBinding.ObjectMeta, field.NewPath("metadata"))
	statusPath := field.NewPath("status")
	status := &newBinding.Status
	allErrs = append(allErrs, validateConditions(status.Conditions, statusPath.Child("conditions"))...)
	allErrs = append(allErrs, validateOperationStatus(&status.OperationStatus, statusPath)...)
	allErrs = append(allErrs, validateEnum(status.CurrentOperation, statusPath.Child("currentOperation"),
		sc.ServiceBindingOperationBind, sc.ServiceBindingOperationUnbind)...)
	allErrs = append(allErrs, validateEnum(status.UnbindStatus, statusPath.Child("unbindStatus"),
		sc.ServiceBindingUnbindStatusNotRequired, sc.ServiceBindingUnbindStatusRequired,
		sc.ServiceBindingUnbindStatusSucceeded, sc.ServiceBindingUnbindStatusFailed)...)
	if status.Binding != nil {
		allErrs = append(allErrs, validateDNSSubdomainName(status.Binding.Name, statusPath.Child("binding", "name"))...)
	}
	return allErrs
}

// ValidateServiceBindingSpec checks what a binding asks of the broker and how its Secret
// is written. namespace is the binding's own namespace.
func ValidateServiceBindingSpec(spec *sc.ServiceBindingSpec, namespace string, fldPath *field.Path) field.ErrorList {
	allErrs := validateDNSSubdomainName(spec.InstanceRef.Name, fldPath.Child("instanceRef", "name"))
	if ns := spec.InstanceRef.Namespace; ns != "" {
		for _, msg := range apimachineryvalidation.ValidateNamespaceName(ns, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("instanceRef", "namespace"), ns, msg))
		}
	}
	allErrs = append(allErrs, validateParameters(spec.Parameters, fldPath.Child("parameters"))...)
	allErrs = append(allErrs, validateParametersFrom(spec.ParametersFrom, fldPath.Child("parametersFrom"))...)
	if spec.SecretName != "" {
		allErrs = append(allErrs, validateDNSSubdomainName(spec.SecretName, fldPath.Child("secretName"))...)
	}
	allErrs = append(allErrs, validateMaxItems(len(spec.SecretTransforms), MaxSecretTransforms, fldPath.Child("secretTransforms"))...)
	for i := range spec.SecretTransforms {
		allErrs = append(allErrs, validateSecretTransform(&spec.SecretTransforms[i], namespace, fldPath.Child("secretTransforms").Index(i))...)
	}
	allErrs = append(allErrs, validateExternalID(spec.ExternalID, fldPath.Child("externalID"))...)
	return allErrs
}

func validateSecretTransform(t *sc.SecretTransform, namespace string, fldPath *field.Path) field.ErrorList {
	const rule = "exactly one of renameKey, addKey, addKeysFrom and removeKey must be set"
	var set []string
	for _, f := range []struct {
		name    string
		present bool
	}{{"addKey", t.AddKey != nil}, {"addKeysFrom", t.AddKeysFrom != nil}, {"removeKey", t.RemoveKey != nil}, {"renameKey", t.RenameKey != nil}} {
		if f.present {
			set = append(set, f.name)
		}
	}
	switch {
	case len(set) == 0:
		return field.ErrorList{field.Required(fldPath, rule)}
	case len(set) > 1:
		return field.ErrorList{field.Invalid(fldPath, strings.Join(set, ", "), rule)}
	}

	var allErrs field.ErrorList
	switch {
	case t.RenameKey != nil:
		allErrs = append(allErrs, validateSecretKey(t.RenameKey.From, fldPath.Child("renameKey", "from"))...)
		allErrs = append(allErrs, validateSecretKey(t.RenameKey.To, fldPath.Child("renameKey", "to"))...)
	case t.AddKey != nil:
		p := fldPath.Child("addKey")
		allErrs = append(allErrs, validateSecretKey(t.AddKey.Key, p.Child("key"))...)
		values := 0
		// An empty value counts as unset: JSON drops it ("omitempty"), so a binding stored
		// with value: "" would read back without a value and fail validation on every
		// later update, finalizer removal included. Use stringValue: "" for an empty key.
		if len(t.AddKey.Value) > 0 {
			values++
			allErrs = append(allErrs, validateMaxLength(string(t.AddKey.Value), MaxAddKeyValueBytes, p.Child("value"))...)
		}
		if t.AddKey.StringValue != nil {
			values++
			allErrs = append(allErrs, validateMaxLength(*t.AddKey.StringValue, MaxAddKeyValueBytes, p.Child("stringValue"))...)
		}
		if t.AddKey.JSONPathExpression != nil {
			values++
			if len(*t.AddKey.JSONPathExpression) > MaxJSONPathLength {
				allErrs = append(allErrs, field.TooLong(p.Child("jsonPathExpression"), "", MaxJSONPathLength))
			} else if _, err := jsonpath.Parse("addKey", *t.AddKey.JSONPathExpression); err != nil {
				allErrs = append(allErrs, field.Invalid(p.Child("jsonPathExpression"), *t.AddKey.JSONPathExpression, "must be a JSONPath expression: "+err.Error()))
			}
		}
		if values != 1 {
			allErrs = append(allErrs, field.Invalid(p, values, "exactly one of value, stringValue and jsonPathExpression must be set"))
		}
	case t.AddKeysFrom != nil:
		p := fldPath.Child("addKeysFrom", "secretRef")
		ref := t.AddKeysFrom.SecretRef
		if ref == nil {
			allErrs = append(allErrs, field.Required(p, ""))
			break
		}
		allErrs = append(allErrs, validateDNSSubdomainName(ref.Name, p.Child("name"))...)
		if ref.Namespace != "" && ref.Namespace != namespace {
			allErrs = append(allErrs, field.Forbidden(p.Child("namespace"), "must be the binding's own namespace; a binding cannot copy Secrets from other namespaces"))
		}
	case t.RemoveKey != nil:
		allErrs = append(allErrs, validateSecretKey(t.RemoveKey.Key, fldPath.Child("removeKey", "key"))...)
	}
	return allErrs
}
