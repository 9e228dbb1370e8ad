// Package serviceinstance holds the rules for writing ServiceInstances.
package serviceinstance

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
	"k8s.io/utils/ptr"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/validation"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/jsondigest"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// strategy governs creates, updates and deletes of instances.
type strategy struct {
	registry.Defaults
}

// statusStrategy governs writes to the status subresource of instances.
type statusStrategy struct {
	strategy
}

var _ rest.RESTGracefulDeleteStrategy = strategy{}

// NewStrategy returns the strategy for instances.
func NewStrategy(typer runtime.ObjectTyper) registry.Strategy {
	return strategy{registry.NewDefaults(typer, true)}
}

// NewStatusStrategy returns the strategy for the status subresource of instances.
func NewStatusStrategy(typer runtime.ObjectTyper) registry.StatusStrategy {
	return statusStrategy{strategy{registry.NewDefaults(typer, true)}}
}

// GetResetFields returns the fields a write to the main resource cannot set.
func (strategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return registry.MainResetFields("userInfo")
}

// PrepareForCreate resets the status, starts the generation, adds the finalizer, picks
// the broker instance_id when none is given and records who asked.
func (strategy) PrepareForCreate(ctx context.Context, obj runtime.Object) {
	instance := obj.(*sc.ServiceInstance)
	// The controller may ask the broker for the instance at any moment from now on, so
	// deleting it must ask the broker to deprovision until the controller knows better.
	instance.Status = sc.ServiceInstanceStatus{DeprovisionStatus: sc.ServiceInstanceDeprovisionStatusRequired}
	instance.Generation = 1
	registry.AddFinalizer(&instance.ObjectMeta)
	if instance.Spec.ExternalID == "" {
		instance.Spec.ExternalID = uuid.NewString()
	}
	instance.Spec.UserInfo = registry.UserInfoFromContext(ctx)
}

// PrepareForUpdate keeps the status and the server-set fields. When the spec changes it
// bumps the generation and records who changed it.
func (strategy) PrepareForUpdate(ctx context.Context, obj, old runtime.Object) {
	newInstance, oldInstance := obj.(*sc.ServiceInstance), old.(*sc.ServiceInstance)
	newInstance.Status = oldInstance.Status
	// A client replacing the object from its original manifest omits what the server set.
	if newInstance.Spec.ExternalID == "" {
		newInstance.Spec.ExternalID = oldInstance.Spec.ExternalID
	}
	if newInstance.Spec.UpdateRequests == 0 {
		newInstance.Spec.UpdateRequests = oldInstance.Spec.UpdateRequests
	}
	newInstance.Spec.UserInfo = oldInstance.Spec.UserInfo
	if specChanged(&newInstance.Spec, &oldInstance.Spec) {
		newInstance.Generation = oldInstance.Generation + 1
		newInstance.Spec.UserInfo = registry.UserInfoFromContext(ctx)
	}
}

// specChanged tells whether an update changes the spec, as helper.Semantic compares
// specs. Parameters, the usual change, are first compared by their digests, which tell
// most changed parameters apart without decoding either copy.
func specChanged(newSpec, oldSpec *sc.ServiceInstanceSpec) bool {
	if newSpec.Parameters != nil && oldSpec.Parameters != nil && jsondigest.Differ(newSpec.Parameters.Raw, oldSpec.Parameters.Raw) {
		return true
	}
	return !helper.Semantic.DeepEqual(*newSpec, *oldSpec)
}

// CheckGracefulDelete records who deletes the instance, so that the deprovision request
// carries their identity. Instances are deleted at once; the finalizer holds them until
// the broker has deprovisioned.
func (strategy) CheckGracefulDelete(ctx context.Context, obj runtime.Object, _ *metav1.DeleteOptions) bool {
	if instance, ok := obj.(*sc.ServiceInstance); ok {
		if user := registry.UserInfoFromContext(ctx); user != nil {
			instance.Spec.UserInfo = user
		}
	}
	return false
}

// Validate checks a new instance.
func (strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateServiceInstance(obj.(*sc.ServiceInstance))
}

// WarningsOnCreate warns about inline parameters that look secret.
func (strategy) WarningsOnCreate(_ context.Context, obj runtime.Object) []string {
	return validation.ParametersWarnings(obj.(*sc.ServiceInstance).Spec.Parameters, field.NewPath("spec", "parameters"))
}

// ValidateUpdate checks a change to an instance.
func (strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateServiceInstanceUpdate(obj.(*sc.ServiceInstance), old.(*sc.ServiceInstance))
}

// WarningsOnUpdate warns about inline parameters that look secret.
func (strategy) WarningsOnUpdate(_ context.Context, obj, _ runtime.Object) []string {
	return validation.ParametersWarnings(obj.(*sc.ServiceInstance).Spec.Parameters, field.NewPath("spec", "parameters"))
}

// GetResetFields returns the fields a status write cannot set.
func (statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return registry.StatusResetFields()
}

// PrepareForUpdate keeps everything but the status.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newInstance, oldInstance := obj.(*sc.ServiceInstance), old.(*sc.ServiceInstance)
	newInstance.Spec = oldInstance.Spec
	metav1.ResetObjectMetaForStatus(&newInstance.ObjectMeta, &oldInstance.ObjectMeta)
}

// ValidateUpdate checks a change to an instance's status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateServiceInstanceStatusUpdate(obj.(*sc.ServiceInstance), old.(*sc.ServiceInstance))
}

// WarningsOnUpdate returns no warnings for status writes.
func (statusStrategy) WarningsOnUpdate(_ context.Context, _, _ runtime.Object) []string {
	return nil
}

// GetAttrs returns the labels and selectable fields of an instance.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	instance, ok := obj.(*sc.ServiceInstance)
	if !ok {
		return nil, nil, fmt.Errorf("not a ServiceInstance: %T", obj)
	}
	spec, status := &instance.Spec, &instance.Status
	// Unresolved references are published as empty, so that "=" selects unresolved
	// instances.
	set := fields.Set{
		"spec.externalID":                      spec.ExternalID,
		"spec.clusterServiceClassExternalName": spec.ClusterServiceClassExternalName,
		"spec.clusterServicePlanExternalName":  spec.ClusterServicePlanExternalName,
		"spec.clusterServiceClassExternalID":   spec.ClusterServiceClassExternalID,
		"spec.clusterServicePlanExternalID":    spec.ClusterServicePlanExternalID,
		"spec.clusterServiceClassName":         spec.ClusterServiceClassName,
		"spec.clusterServicePlanName":          spec.ClusterServicePlanName,
		"spec.serviceClassExternalName":        spec.ServiceClassExternalName,
		"spec.servicePlanExternalName":         spec.ServicePlanExternalName,
		"spec.serviceClassExternalID":          spec.ServiceClassExternalID,
		"spec.servicePlanExternalID":           spec.ServicePlanExternalID,
		"spec.serviceClassName":                spec.ServiceClassName,
		"spec.servicePlanName":                 spec.ServicePlanName,
		"status.clusterServiceClassRef.name":   ptr.Deref(status.ClusterServiceClassRef, sc.ClusterObjectReference{}).Name,
		"status.clusterServicePlanRef.name":    ptr.Deref(status.ClusterServicePlanRef, sc.ClusterObjectReference{}).Name,
		"status.clusterServiceBrokerName":      status.ClusterServiceBrokerName,
		"status.serviceClassRef.name":          ptr.Deref(status.ServiceClassRef, sc.LocalObjectReference{}).Name,
		"status.servicePlanRef.name":           ptr.Deref(status.ServicePlanRef, sc.LocalObjectReference{}).Name,
		"status.serviceBrokerName":             status.ServiceBrokerName,
	}
	return instance.Labels, generic.AddObjectMetaFieldsSet(set, &instance.ObjectMeta, true), nil
}
