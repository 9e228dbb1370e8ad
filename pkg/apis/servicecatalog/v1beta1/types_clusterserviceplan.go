package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServicePlan is one plan of an offering in a broker's catalog, such as
// "postgresql/small". The controller creates and updates it from the broker's catalog.
type ClusterServicePlan struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec is the plan as the broker describes it.
	// +optional
	Spec ClusterServicePlanSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status says whether the plan is still in the broker's catalog.
	// +optional
	Status ClusterServicePlanStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServicePlanList is a list of ClusterServicePlans.
type ClusterServicePlanList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the plans.
	Items []ClusterServicePlan `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ClusterServicePlanSpec describes a plan of a cluster-wide broker.
type ClusterServicePlanSpec struct {
	CommonServicePlanSpec `json:",inline" protobuf:"bytes,1,opt,name=commonServicePlanSpec"`

	// clusterServiceBrokerName is the name of the ClusterServiceBroker offering this plan.
	// It cannot change.
	ClusterServiceBrokerName string `json:"clusterServiceBrokerName" protobuf:"bytes,2,opt,name=clusterServiceBrokerName"`
	// clusterServiceClassRef names the ClusterServiceClass this plan belongs to. It cannot
	// change.
	ClusterServiceClassRef ClusterObjectReference `json:"clusterServiceClassRef" protobuf:"bytes,3,opt,name=clusterServiceClassRef"`
}

// CommonServicePlanSpec holds the plan fields shared by every broker scope.
type CommonServicePlanSpec struct {
	// externalName is the plan's name in the broker's catalog, unique within its offering.
	ExternalName string `json:"externalName" protobuf:"bytes,1,opt,name=externalName"`
	// externalID is the plan's id in the broker's catalog.
	ExternalID string `json:"externalID" protobuf:"bytes,2,opt,name=externalID"`
	// description is the broker's short description of the plan.
	// +optional
	Description string `json:"description,omitempty" protobuf:"bytes,3,opt,name=description"`
	// free says whether the plan costs nothing.
	// +optional
	Free bool `json:"free,omitempty" protobuf:"varint,4,opt,name=free"`
	// bindable overrides the class's bindable for this plan when set.
	// +optional
	Bindable *bool `json:"bindable,omitempty" protobuf:"varint,5,opt,name=bindable"`
	// planUpdatable overrides the class's planUpdatable for this plan when set.
	// +optional
	PlanUpdatable *bool `json:"planUpdatable,omitempty" protobuf:"varint,6,opt,name=planUpdatable"`
	// bindingRotatable says whether bindings of this plan can be rotated.
	// +optional
	BindingRotatable bool `json:"bindingRotatable,omitempty" protobuf:"varint,7,opt,name=bindingRotatable"`
	// maintenanceInfo is the plan's current maintenance version.
	// +optional
	MaintenanceInfo *MaintenanceInfo `json:"maintenanceInfo,omitempty" protobuf:"bytes,8,opt,name=maintenanceInfo"`
	// maximumPollingDuration is how long the controller polls an asynchronous operation on
	// this plan before it counts the operation as failed.
	// +optional
	MaximumPollingDuration *metav1.Duration `json:"maximumPollingDuration,omitempty" protobuf:"bytes,9,opt,name=maximumPollingDuration"`
	// externalMetadata is the broker's opaque metadata for the plan, such as bullets and
	// costs.
	// +optional
	ExternalMetadata *runtime.RawExtension `json:"externalMetadata,omitempty" protobuf:"bytes,10,opt,name=externalMetadata"`
	// instanceCreateParameterSchema is the JSON schema of the parameters accepted when an
	// instance of this plan is created.
	// +optional
	InstanceCreateParameterSchema *runtime.RawExtension `json:"instanceCreateParameterSchema,omitempty" protobuf:"bytes,11,opt,name=instanceCreateParameterSchema"`
	// instanceUpdateParameterSchema is the JSON schema of the parameters accepted when an
	// instance of this plan is updated.
	// +optional
	InstanceUpdateParameterSchema *runtime.RawExtension `json:"instanceUpdateParameterSchema,omitempty" protobuf:"bytes,12,opt,name=instanceUpdateParameterSchema"`
	// serviceBindingCreateParameterSchema is the JSON schema of the parameters accepted when
	// a binding to an instance of this plan is created.
	// +optional
	ServiceBindingCreateParameterSchema *runtime.RawExtension `json:"serviceBindingCreateParameterSchema,omitempty" protobuf:"bytes,13,opt,name=serviceBindingCreateParameterSchema"`
}

// MaintenanceInfo is a plan's maintenance version.
type MaintenanceInfo struct {
	// version is a semantic version string.
	Version string `json:"version" protobuf:"bytes,1,opt,name=version"`
	// description says what the maintenance changes.
	// +optional
	Description string `json:"description,omitempty" protobuf:"bytes,2,opt,name=description"`
}

// ClusterServicePlanStatus reports the state of a plan.
type ClusterServicePlanStatus struct {
	CommonServiceClassStatus `json:",inline" protobuf:"bytes,1,opt,name=commonServiceClassStatus"`
}
