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
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the offering as the broker describes it.
	// +optional
	Spec ServiceClassSpec `json:"spec,omitempty"`
	// status says whether the offering is still in the broker's catalog.
	// +optional
	Status ServiceClassStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceClassList is a list of ServiceClasses.
type ServiceClassList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the classes.
	Items []ServiceClass `json:"items"`
}

// ServiceClassSpec describes an offering of a namespaced broker.
type ServiceClassSpec struct {
	CommonServiceClassSpec `json:",inline"`

	// serviceBrokerName is the name of the ServiceBroker, in the same namespace, offering
	// this class. It cannot change.
	ServiceBrokerName string `json:"serviceBrokerName"`
}

// ServiceClassStatus reports the state of a namespaced class.
type ServiceClassStatus struct {
	CommonServiceClassStatus `json:",inline"`
}
