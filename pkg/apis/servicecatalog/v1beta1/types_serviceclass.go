package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceClass is one offering of a namespaced broker's catalog. The controller creates
// and updates it in the broker's namespace; only instances of that namespace can use it.
type ServiceClass struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec is the offering as the broker describes it.
	// +optional
	Spec ServiceClassSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status says whether the offering is still in the broker's catalog.
	// +optional
	Status ServiceClassStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceClassList is a list of ServiceClasses.
type ServiceClassList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the classes.
	Items []ServiceClass `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ServiceClassSpec describes an offering of a namespaced broker.
type ServiceClassSpec struct {
	CommonServiceClassSpec `json:",inline" protobuf:"bytes,1,opt,name=commonServiceClassSpec"`

	// serviceBrokerName is the name of the ServiceBroker, in the same namespace, offering
	// this class. It cannot change.
	ServiceBrokerName string `json:"serviceBrokerName" protobuf:"bytes,2,opt,name=serviceBrokerName"`
}

// ServiceClassStatus reports the state of a namespaced class.
type ServiceClassStatus struct {
	CommonServiceClassStatus `json:",inline" protobuf:"bytes,1,opt,name=commonServiceClassStatus"`
}
