package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBroker registers an Open Service Broker for one namespace. The controller fetches
// the broker's catalog and publishes each offering as a ServiceClass and each plan as a
// ServicePlan in the broker's namespace, where only instances of that namespace can use
// them.
type ServiceBroker struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says where the broker is and how to talk to it.
	// +optional
	Spec ServiceBrokerSpec `json:"spec,omitempty"`
	// status reports the last catalog fetch and the broker's health.
	// +optional
	Status ServiceBrokerStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBrokerList is a list of ServiceBrokers.
type ServiceBrokerList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the brokers.
	Items []ServiceBroker `json:"items"`
}

// ServiceBrokerSpec says where a namespaced broker is and how to talk to it.
type ServiceBrokerSpec struct {
	CommonServiceBrokerSpec `json:",inline"`

	// authInfo says how the catalog authenticates to the broker, with a Secret of the
	// broker's namespace. Without it, requests carry no credentials.
	// +optional
	AuthInfo *ServiceBrokerAuthInfo `json:"authInfo,omitempty"`
}

// ServiceBrokerAuthInfo says how the catalog authenticates to a namespaced broker. Exactly
// one method must be set.
type ServiceBrokerAuthInfo struct {
	// basic authenticates with HTTP basic auth, taking "username" and "password" from a
	// Secret of the broker's namespace.
	// +optional
	Basic *BasicAuthConfig `json:"basic,omitempty"`
	// bearer authenticates with a bearer token, taking "token" from a Secret of the
	// broker's namespace.
	// +optional
	Bearer *BearerTokenAuthConfig `json:"bearer,omitempty"`
}

// BasicAuthConfig points at the Secret, in the broker's namespace, holding its basic auth
// credentials.
type BasicAuthConfig struct {
	// secretRef names the Secret, with keys "username" and "password".
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`
}

// BearerTokenAuthConfig points at the Secret, in the broker's namespace, holding its
// bearer token.
type BearerTokenAuthConfig struct {
	// secretRef names the Secret, with key "token" (the bare token, without "Bearer").
	SecretRef *LocalObjectReference `json:"secretRef,omitempty"`
}

// ServiceBrokerStatus reports the state of a namespaced broker.
type ServiceBrokerStatus struct {
	CommonServiceBrokerStatus `json:",inline"`
	// abandoned lists, newest first, the instances and bindings of this broker that users
	// let go without the broker (their abandon subresource): the broker may still hold
	// them. The newest 100 are kept.
	// +optional
	// +listType=atomic
	Abandoned []AbandonedResource `json:"abandoned,omitempty"`
}
