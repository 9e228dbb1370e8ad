package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServicePlan is one plan of an offering in a namespaced broker's catalog. The controller
// creates and updates it in the broker's namespace.
type ServicePlan struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec is the plan as the broker describes it.
	// +optional
	Spec ServicePlanSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status says whether the plan is still in the broker's catalog.
	// +optional
	Status ServicePlanStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServicePlanList is a list of ServicePlans.
type ServicePlanList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the plans.
	Items []ServicePlan `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ServicePlanSpec describes a plan of a namespaced broker.
type ServicePlanSpec struct {
	CommonServicePlanSpec `json:",inline" protobuf:"bytes,1,opt,name=commonServicePlanSpec"`

	// serviceBrokerName is the name of the ServiceBroker, in the same namespace, offering
	// this plan. It cannot change.
	ServiceBrokerName string `json:"serviceBrokerName" protobuf:"bytes,2,opt,name=serviceBrokerName"`
	// serviceClassRef names the ServiceClass, in the same namespace, this plan belongs to.
	// It cannot change.
	ServiceClassRef LocalObjectReference `json:"serviceClassRef" protobuf:"bytes,3,opt,name=serviceClassRef"`
}

// ServicePlanStatus reports the state of a namespaced plan.
type ServicePlanStatus struct {
	CommonServiceClassStatus `json:",inline" protobuf:"bytes,1,opt,name=commonServiceClassStatus"`
}
