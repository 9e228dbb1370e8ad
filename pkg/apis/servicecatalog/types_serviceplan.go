package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServicePlan is one plan of an offering in a namespaced broker's catalog. The controller
// creates and updates it in the broker's namespace.
type ServicePlan struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec is the plan as the broker describes it.
	Spec ServicePlanSpec
	// Status says whether the plan is still in the broker's catalog.
	Status ServicePlanStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServicePlanList is a list of ServicePlans.
type ServicePlanList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the plans.
	Items []ServicePlan
}

// ServicePlanSpec describes a plan of a namespaced broker.
type ServicePlanSpec struct {
	CommonServicePlanSpec

	// ServiceBrokerName is the name of the ServiceBroker, in the same namespace, offering
	// this plan. It cannot change.
	ServiceBrokerName string
	// ServiceClassRef names the ServiceClass, in the same namespace, this plan belongs to.
	// It cannot change.
	ServiceClassRef LocalObjectReference
}

// ServicePlanStatus reports the state of a namespaced plan.
type ServicePlanStatus struct {
	CommonServiceClassStatus
}
