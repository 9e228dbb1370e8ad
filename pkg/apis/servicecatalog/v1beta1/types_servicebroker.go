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
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec says where the broker is and how to talk to it.
	// +optional
	Spec ServiceBrokerSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status reports the last catalog fetch and the broker's health.
	// +optional
	Status ServiceBrokerStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBrokerList is a list of ServiceBrokers.
type ServiceBrokerList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the brokers.
	Items []ServiceBroker `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ServiceBrokerSpec says where a namespaced broker is and how to talk to it.
type ServiceBrokerSpec struct {
	CommonServiceBrokerSpec `json:",inline" protobuf:"bytes,1,opt,name=commonServiceBrokerSpec"`

	// authInfo says how the catalog authenticates to the broker, with a Secret of the
	// broker's namespace. Without it, requests carry no credentials.
	// +optional
	AuthInfo *ServiceBrokerAuthInfo `json:"authInfo,omitempty" protobuf:"bytes,2,opt,name=authInfo"`
}

// ServiceBrokerAuthInfo says how the catalog authenticates to a namespaced broker. Exactly
// one method must be set.
type ServiceBrokerAuthInfo struct {
	// basic authenticates with HTTP basic auth, taking "username" and "password" from a
	// Secret of the broker's namespace.
	// +optional
	Basic *BasicAuthConfig `json:"basic,omitempty" protobuf:"bytes,1,opt,name=basic"`
	// bearer authenticates with a bearer token, taking "token" from a Secret of the
	// broker's namespace.
	// +optional
	Bearer *BearerTokenAuthConfig `json:"bearer,omitempty" protobuf:"bytes,2,opt,name=bearer"`
}

// BasicAuthConfig points at the Secret, in the broker's namespace, holding its basic auth
// credentials.
type BasicAuthConfig struct {
	// secretRef names the Secret, with keys "username" and "password".
	SecretRef *LocalObjectReference `json:"secretRef,omitempty" protobuf:"bytes,1,opt,name=secretRef"`
}

// BearerTokenAuthConfig points at the Secret, in the broker's namespace, holding its
// bearer token.
type BearerTokenAuthConfig struct {
	// secretRef names the Secret, with key "token" (the bare token, without "Bearer").
	SecretRef *LocalObjectReference `json:"secretRef,omitempty" protobuf:"bytes,1,opt,name=secretRef"`
}

// ServiceBrokerStatus reports the state of a namespaced broker.
type ServiceBrokerStatus struct {
	CommonServiceBrokerStatus `json:",inline" protobuf:"bytes,1,opt,name=commonServiceBrokerStatus"`
	// abandoned lists, newest first, the instances and bindings of this broker that users
	// let go without the broker (their abandon subresource): the broker may still hold
	// them. The newest 100 are kept.
	// +optional
	// +listType=atomic
	Abandoned []AbandonedResource `json:"abandoned,omitempty" protobuf:"bytes,2,rep,name=abandoned"`
}
