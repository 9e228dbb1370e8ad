package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBroker registers an Open Service Broker for one namespace. The controller fetches
// the broker's catalog and publishes each offering as a ServiceClass and each plan as a
// ServicePlan in the broker's namespace, where only instances of that namespace can use
// them.
type ServiceBroker struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec says where the broker is and how to talk to it.
	Spec ServiceBrokerSpec
	// Status reports the last catalog fetch and the broker's health.
	Status ServiceBrokerStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBrokerList is a list of ServiceBrokers.
type ServiceBrokerList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the brokers.
	Items []ServiceBroker
}

// ServiceBrokerSpec says where a namespaced broker is and how to talk to it.
type ServiceBrokerSpec struct {
	CommonServiceBrokerSpec

	// AuthInfo says how the catalog authenticates to the broker, with a Secret of the
	// broker's namespace. Without it, requests carry no credentials.
	AuthInfo *ServiceBrokerAuthInfo
}

// ServiceBrokerAuthInfo says how the catalog authenticates to a namespaced broker. Exactly
// one method must be set.
type ServiceBrokerAuthInfo struct {
	// Basic authenticates with HTTP basic auth, taking "username" and "password" from a
	// Secret of the broker's namespace.
	Basic *BasicAuthConfig
	// Bearer authenticates with a bearer token, taking "token" from a Secret of the
	// broker's namespace.
	Bearer *BearerTokenAuthConfig
}

// BasicAuthConfig points at the Secret, in the broker's namespace, holding its basic auth
// credentials.
type BasicAuthConfig struct {
	// SecretRef names the Secret, with keys "username" and "password".
	SecretRef *LocalObjectReference
}

// BearerTokenAuthConfig points at the Secret, in the broker's namespace, holding its
// bearer token.
type BearerTokenAuthConfig struct {
	// SecretRef names the Secret, with key "token" (the bare token, without "Bearer").
	SecretRef *LocalObjectReference
}

// ServiceBrokerStatus reports the state of a namespaced broker.
type ServiceBrokerStatus struct {
	CommonServiceBrokerStatus
	// Abandoned lists, newest first, the instances and bindings of this broker that users
	// let go without the broker (their abandon subresource): the broker may still hold
	// them. The newest 100 are kept.
	Abandoned []AbandonedResource
}
