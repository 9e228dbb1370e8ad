// Package clusterserviceplan holds the rules for writing ClusterServicePlans.
package clusterserviceplan

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

// strategy governs creates, updates and deletes of plans.
type strategy struct {
	registry.Defaults
}

// statusStrategy governs writes to the status subresource of plans.
type statusStrategy struct {
	strategy
}

// NewStrategy returns the strategy for plans.
func NewStrategy(typer runtime.ObjectTyper) registry.Strategy {
	return strategy{registry.NewDefaults(typer, false)}
}

// NewStatusStrategy returns the strategy for the status subresource of plans.
func NewStatusStrategy(typer runtime.ObjectTyper) registry.StatusStrategy {
	return statusStrategy{strategy{registry.NewDefaults(typer, false)}}
}

// PrepareForCreate clears the status and starts the generation.
func (strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	plan := obj.(*sc.ClusterServicePlan)
	plan.Status = sc.ClusterServicePlanStatus{}
	plan.Generation = 1
}

// PrepareForUpdate keeps the status and bumps the generation when the spec changes.
func (strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newObj, oldObj := obj.(*sc.ClusterServicePlan), old.(*sc.ClusterServicePlan)
	newObj.Status = oldObj.Status
	if !helper.Semantic.DeepEqual(newObj.Spec, oldObj.Spec) {
		newObj.Generation = oldObj.Generation + 1
	}
}

// Validate checks a new plan.
func (strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateClusterServicePlan(obj.(*sc.ClusterServicePlan))
}

// ValidateUpdate checks a change to a plan.
func (strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateClusterServicePlanUpdate(obj.(*sc.ClusterServicePlan), old.(*sc.ClusterServicePlan))
}

// GetResetFields returns the fields a status write cannot set.
func (statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return registry.StatusResetFields()
}

// PrepareForUpdate keeps everything but the status.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newObj, oldObj := obj.(*sc.ClusterServicePlan), old.(*sc.ClusterServicePlan)
	newObj.Spec = oldObj.Spec
	metav1.ResetObjectMetaForStatus(&newObj.ObjectMeta, &oldObj.ObjectMeta)
}

// ValidateUpdate checks a change to a plan's status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateClusterServicePlanStatusUpdate(obj.(*sc.ClusterServicePlan), old.(*sc.ClusterServicePlan))
}

// GetAttrs returns the labels and selectable fields of a plan.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	plan, ok := obj.(*sc.ClusterServicePlan)
	if !ok {
		return nil, nil, fmt.Errorf("not a ClusterServicePlan: %T", obj)
	}
	return plan.Labels, generic.AddObjectMetaFieldsSet(fields.Set{
		"spec.externalName":                plan.Spec.ExternalName,
		"spec.externalID":                  plan.Spec.ExternalID,
		"spec.clusterServiceBrokerName":    plan.Spec.ClusterServiceBrokerName,
		"spec.clusterServiceClassRef.name": plan.Spec.ClusterServiceClassRef.Name,
	}, &plan.ObjectMeta, false), nil
}
