package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceClass is one offering of a namespaced broker's catalog. The controller creates
// and updates it in the broker's namespace; only instances of that namespace can use it.
type ServiceClass struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec is the offering as the broker describes it.
	Spec ServiceClassSpec
	// Status says whether the offering is still in the broker's catalog.
	Status ServiceClassStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceClassList is a list of ServiceClasses.
type ServiceClassList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the classes.
	Items []ServiceClass
}

// ServiceClassSpec describes an offering of a namespaced broker.
type ServiceClassSpec struct {
	CommonServiceClassSpec

	// ServiceBrokerName is the name of the ServiceBroker, in the same namespace, offering
	// this class. It cannot change.
	ServiceBrokerName string
}

// ServiceClassStatus reports the state of a namespaced class.
type ServiceClassStatus struct {
	CommonServiceClassStatus
}
