// Package servicebinding holds the rules for writing ServiceBindings.
package servicebinding

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/validation"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// strategy governs creates, updates and deletes of bindings.
type strategy struct {
	registry.Defaults
}

// statusStrategy governs writes to the status subresource of bindings.
type statusStrategy struct {
	strategy
}

var _ rest.RESTGracefulDeleteStrategy = strategy{}

// NewStrategy returns the strategy for bindings.
func NewStrategy(typer runtime.ObjectTyper) registry.Strategy {
	return strategy{registry.NewDefaults(typer, true)}
}

// NewStatusStrategy returns the strategy for the status subresource of bindings.
func NewStatusStrategy(typer runtime.ObjectTyper) registry.StatusStrategy {
	return statusStrategy{strategy{registry.NewDefaults(typer, true)}}
}

// GetResetFields returns the fields a write to the main resource cannot set.
func (strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return registry.MainResetFields("userInfo")
}

// PrepareForCreate resets the status, starts the generation, adds the finalizer, picks
// the broker binding_id when none is given, names the Secret and records who asked.
func (strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	binding := obj.(*sc.ServiceBinding)
	// The controller may ask the broker for the binding at any moment from now on, so
	// deleting it must ask the broker to unbind until the controller knows better.
	binding.Status = sc.ServiceBindingStatus{UnbindStatus: sc.ServiceBindingUnbindStatusRequired}
	binding.Generation = 1
	registry.AddFinalizer(&binding.ObjectMeta)
	if binding.Spec.ExternalID == "" {
		binding.Spec.ExternalID = uuid.NewString()
	}
	if binding.Spec.SecretName == "" {
		binding.Spec.SecretName = binding.Name
	}
	binding.Spec.UserInfo = registry.UserInfoFromContext(ctx)
}

// PrepareForUpdate keeps the status and the server-set fields. When the spec changes it
// bumps the generation and records who changed it (validation then refuses the change).
func (strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newBinding, oldBinding := obj.(*sc.ServiceBinding), old.(*sc.ServiceBinding)
	newBinding.Status = oldBinding.Status
	// A client replacing the object from its original manifest omits what the server set.
	if newBinding.Spec.ExternalID == "" {
		newBinding.Spec.ExternalID = oldBinding.Spec.ExternalID
	}
	if newBinding.Spec.SecretName == "" {
		newBinding.Spec.SecretName = oldBinding.Spec.SecretName
	}
	if newBinding.Spec.RotationRequests == 0 {
		newBinding.Spec.RotationRequests = oldBinding.Spec.RotationRequests
	}
	newBinding.Spec.UserInfo = oldBinding.Spec.UserInfo
	if !helper.Semantic.DeepEqual(newBinding.Spec, oldBinding.Spec) {
		newBinding.Generation = oldBinding.Generation + 1
		newBinding.Spec.UserInfo = registry.UserInfoFromContext(ctx)
	}
}

// CheckGracefulDelete records who deletes the binding, so that the unbind request carries
// their identity. Bindings are deleted at once; the finalizer holds them until the broker
// has unbound.
func (strategy) CheckGracefulDelete(ctx context.Context, obj runtime.Object, _ *metav1.DeleteOptions) bool {
	if binding, ok := obj.(*sc.ServiceBinding); ok {
		if user := registry.UserInfoFromContext(ctx); user != nil {
			binding.Spec.UserInfo = user
		}
	}
	return false
}

// Validate checks a new binding.
func (strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateServiceBinding(obj.(*sc.ServiceBinding))
}

// WarningsOnCreate warns about inline parameters that look secret.
func (strategy) WarningsOnCreate(_ context.Context, obj runtime.Object) []string {
	return validation.ParametersWarnings(obj.(*sc.ServiceBinding).Spec.Parameters, field.NewPath("spec", "parameters"))
}

// ValidateUpdate checks a change to a binding.
func (strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateServiceBindingUpdate(obj.(*sc.ServiceBinding), old.(*sc.ServiceBinding))
}

// GetResetFields returns the fields a status write cannot set.
func (statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return registry.StatusResetFields()
}

// PrepareForUpdate keeps everything but the status.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newBinding, oldBinding := obj.(*sc.ServiceBinding), old.(*sc.ServiceBinding)
	newBinding.Spec = oldBinding.Spec
	metav1.ResetObjectMetaForStatus(&newBinding.ObjectMeta, &oldBinding.ObjectMeta)
}

// ValidateUpdate checks a change to a binding's status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateServiceBindingStatusUpdate(obj.(*sc.ServiceBinding), old.(*sc.ServiceBinding))
}

// GetAttrs returns the labels and selectable fields of a binding.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	binding, ok := obj.(*sc.ServiceBinding)
	if !ok {
		return nil, nil, fmt.Errorf("not a ServiceBinding: %T", obj)
	}
	return binding.Labels, generic.AddObjectMetaFieldsSet(fields.Set{
		"spec.externalID":            binding.Spec.ExternalID,
		"spec.instanceRef.name":      binding.Spec.InstanceRef.Name,
		"spec.instanceRef.namespace": binding.InstanceNamespace(),
		"spec.secretName":            binding.Spec.SecretName,
	}, &binding.ObjectMeta, true), nil
}
