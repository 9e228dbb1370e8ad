// Package clusterserviceclass holds the rules for writing ClusterServiceClasses.
package clusterserviceclass

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/helper"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/validation"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// strategy governs creates, updates and deletes of classes.
type strategy struct {
	registry.Defaults
}

// statusStrategy governs writes to the status subresource of classes.
type statusStrategy struct {
	strategy
}

// NewStrategy returns the strategy for classes.
func NewStrategy(typer runtime.ObjectTyper) registry.Strategy {
	return strategy{registry.NewDefaults(typer, false)}
}

// NewStatusStrategy returns the strategy for the status subresource of classes.
func NewStatusStrategy(typer runtime.ObjectTyper) registry.StatusStrategy {
	return statusStrategy{strategy{registry.NewDefaults(typer, false)}}
}

// PrepareForCreate clears the status and starts the generation.
func (strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	class := obj.(*sc.ClusterServiceClass)
	class.Status = sc.ClusterServiceClassStatus{}
	class.Generation = 1
}

// PrepareForUpdate keeps the status and bumps the generation when the spec changes.
func (strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newObj, oldObj := obj.(*sc.ClusterServiceClass), old.(*sc.ClusterServiceClass)
	newObj.Status = oldObj.Status
	if !helper.Semantic.DeepEqual(newObj.Spec, oldObj.Spec) {
		newObj.Generation = oldObj.Generation + 1
	}
}

// Validate checks a new class.
func (strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateClusterServiceClass(obj.(*sc.ClusterServiceClass))
}

// ValidateUpdate checks a change to a class.
func (strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateClusterServiceClassUpdate(obj.(*sc.ClusterServiceClass), old.(*sc.ClusterServiceClass))
}

// GetResetFields returns the fields a status write cannot set.
func (statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return registry.StatusResetFields()
}

// PrepareForUpdate keeps everything but the status.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newObj, oldObj := obj.(*sc.ClusterServiceClass), old.(*sc.ClusterServiceClass)
	newObj.Spec = oldObj.Spec
	metav1.ResetObjectMetaForStatus(&newObj.ObjectMeta, &oldObj.ObjectMeta)
}

// ValidateUpdate checks a change to a class's status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateClusterServiceClassStatusUpdate(obj.(*sc.ClusterServiceClass), old.(*sc.ClusterServiceClass))
}

// GetAttrs returns the labels and selectable fields of a class.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	class, ok := obj.(*sc.ClusterServiceClass)
	if !ok {
		return nil, nil, fmt.Errorf("not a ClusterServiceClass: %T", obj)
	}
	return class.Labels, generic.AddObjectMetaFieldsSet(fields.Set{
		"spec.externalName":             class.Spec.ExternalName,
		"spec.externalID":               class.Spec.ExternalID,
		"spec.clusterServiceBrokerName": class.Spec.ClusterServiceBrokerName,
	}, &class.ObjectMeta, false), nil
}
