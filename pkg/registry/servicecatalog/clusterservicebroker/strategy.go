// Package clusterservicebroker holds the rules for writing ClusterServiceBrokers.
package clusterservicebroker

import (
	"context"
	"fmt"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/registry/generic"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/validation"
	"github.com/kube-service-catalog/catalog/pkg/registry/servicecatalog/internal/registry"
)

// strategy governs creates, updates and deletes of brokers.
type strategy struct {
	registry.Defaults
}

// statusStrategy governs writes to the status subresource of brokers.
type statusStrategy struct {
	strategy
}

// NewStrategy returns the strategy for brokers.
func NewStrategy(typer runtime.ObjectTyper) registry.Strategy {
	return strategy{registry.NewDefaults(typer, false)}
}

// NewStatusStrategy returns the strategy for the status subresource of brokers.
func NewStatusStrategy(typer runtime.ObjectTyper) registry.StatusStrategy {
	return statusStrategy{strategy{registry.NewDefaults(typer, false)}}
}

// PrepareForCreate clears the status, starts the generation and adds the finalizer.
func (strategy) PrepareForCreate(_ context.Context, obj runtime.Object) {
	broker := obj.(*sc.ClusterServiceBroker)
	broker.Status = sc.ClusterServiceBrokerStatus{}
	broker.Generation = 1
	registry.AddFinalizer(&broker.ObjectMeta)
}

// PrepareForUpdate keeps the status and bumps the generation when the spec changes. A
// request without relistRequests keeps the stored value, so that replacing a broker from
// its original manifest does not count as a decrease.
func (strategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newBroker, oldBroker := obj.(*sc.ClusterServiceBroker), old.(*sc.ClusterServiceBroker)
	newBroker.Status = oldBroker.Status
	if newBroker.Spec.RelistRequests == 0 {
		newBroker.Spec.RelistRequests = oldBroker.Spec.RelistRequests
	}
	if !apiequality.Semantic.DeepEqual(newBroker.Spec, oldBroker.Spec) {
		newBroker.Generation = oldBroker.Generation + 1
	}
}

// Validate checks a new broker.
func (strategy) Validate(_ context.Context, obj runtime.Object) field.ErrorList {
	return validation.ValidateClusterServiceBroker(obj.(*sc.ClusterServiceBroker))
}

// ValidateUpdate checks a change to a broker.
func (strategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateClusterServiceBrokerUpdate(obj.(*sc.ClusterServiceBroker), old.(*sc.ClusterServiceBroker))
}

// GetResetFields returns the fields a status write cannot set.
func (statusStrategy) GetResetFields() map[fieldpath.APIVersion]*fieldpath.Set {
	return registry.StatusResetFields()
}

// PrepareForUpdate keeps everything but the status.
func (statusStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	newBroker, oldBroker := obj.(*sc.ClusterServiceBroker), old.(*sc.ClusterServiceBroker)
	newBroker.Spec = oldBroker.Spec
	metav1.ResetObjectMetaForStatus(&newBroker.ObjectMeta, &oldBroker.ObjectMeta)
}

// ValidateUpdate checks a change to a broker's status.
func (statusStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return validation.ValidateClusterServiceBrokerStatusUpdate(obj.(*sc.ClusterServiceBroker), old.(*sc.ClusterServiceBroker))
}

// GetAttrs returns the labels and selectable fields of a broker.
func GetAttrs(obj runtime.Object) (labels.Set, fields.Set, error) {
	broker, ok := obj.(*sc.ClusterServiceBroker)
	if !ok {
		return nil, nil, fmt.Errorf("not a ClusterServiceBroker: %T", obj)
	}
	return broker.Labels, generic.ObjectMetaFieldsSet(&broker.ObjectMeta, false), nil
}
