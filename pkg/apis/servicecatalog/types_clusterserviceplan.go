package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServicePlan is one plan of an offering in a broker's catalog, such as
// "postgresql/small". The controller creates and updates it from the broker's catalog.
type ClusterServicePlan struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec is the plan as the broker describes it.
	Spec ClusterServicePlanSpec
	// Status says whether the plan is still in the broker's catalog.
	Status ClusterServicePlanStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServicePlanList is a list of ClusterServicePlans.
type ClusterServicePlanList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the plans.
	Items []ClusterServicePlan
}

// ClusterServicePlanSpec describes a plan of a cluster-wide broker.
type ClusterServicePlanSpec struct {
	CommonServicePlanSpec

	// ClusterServiceBrokerName is the name of the ClusterServiceBroker offering this plan.
	// It cannot change.
	ClusterServiceBrokerName string
	// ClusterServiceClassRef names the ClusterServiceClass this plan belongs to. It cannot
	// change.
	ClusterServiceClassRef ClusterObjectReference
}

// CommonServicePlanSpec holds the plan fields shared by every broker scope.
type CommonServicePlanSpec struct {
	// ExternalName is the plan's name in the broker's catalog, unique within its offering.
	ExternalName string
	// ExternalID is the plan's id in the broker's catalog.
	ExternalID string
	// Description is the broker's short description of the plan.
	Description string
	// Free says whether the plan costs nothing.
	Free bool
	// Bindable overrides the class's bindable for this plan when set.
	Bindable *bool
	// PlanUpdatable overrides the class's planUpdatable for this plan when set.
	PlanUpdatable *bool
	// BindingRotatable says whether bindings of this plan can be rotated.
	BindingRotatable bool
	// MaintenanceInfo is the plan's current maintenance version.
	MaintenanceInfo *MaintenanceInfo
	// MaximumPollingDuration is how long the controller polls an asynchronous operation on
	// this plan before it counts the operation as failed.
	MaximumPollingDuration *metav1.Duration
	// ExternalMetadata is the broker's opaque metadata for the plan, such as bullets and
	// costs.
	ExternalMetadata *runtime.RawExtension
	// InstanceCreateParameterSchema is the JSON schema of the parameters accepted when an
	// instance of this plan is created.
	InstanceCreateParameterSchema *runtime.RawExtension
	// InstanceUpdateParameterSchema is the JSON schema of the parameters accepted when an
	// instance of this plan is updated.
	InstanceUpdateParameterSchema *runtime.RawExtension
	// ServiceBindingCreateParameterSchema is the JSON schema of the parameters accepted when
	// a binding to an instance of this plan is created.
	ServiceBindingCreateParameterSchema *runtime.RawExtension
}

// MaintenanceInfo is a plan's maintenance version.
type MaintenanceInfo struct {
	// Version is a semantic version string.
	Version string
	// Description says what the maintenance changes.
	Description string
}

// ClusterServicePlanStatus reports the state of a plan.
type ClusterServicePlanStatus struct {
	CommonServiceClassStatus
}
