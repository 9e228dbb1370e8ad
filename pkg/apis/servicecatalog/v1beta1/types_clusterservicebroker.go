package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceBroker registers an Open Service Broker with the catalog. The controller
// fetches the broker's catalog and publishes each offering as a ClusterServiceClass and
// each plan as a ClusterServicePlan, visible to the whole cluster.
type ClusterServiceBroker struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec says where the broker is and how to talk to it.
	// +optional
	Spec ClusterServiceBrokerSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status reports the last catalog fetch and the broker's health.
	// +optional
	Status ClusterServiceBrokerStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceBrokerList is a list of ClusterServiceBrokers.
type ClusterServiceBrokerList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the brokers.
	Items []ClusterServiceBroker `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ClusterServiceBrokerSpec says where a cluster-wide broker is and how to talk to it.
type ClusterServiceBrokerSpec struct {
	CommonServiceBrokerSpec `json:",inline" protobuf:"bytes,1,opt,name=commonServiceBrokerSpec"`

	// authInfo says how the catalog authenticates to the broker. Without it, requests carry
	// no credentials.
	// +optional
	AuthInfo *ClusterServiceBrokerAuthInfo `json:"authInfo,omitempty" protobuf:"bytes,2,opt,name=authInfo"`
	// namespaceSelector limits the namespaces whose instances may use this broker's classes
	// to those whose labels it matches; unset, every namespace may. An instance in another
	// namespace is refused when it is created. Instances that exist keep working.
	// +optional
	NamespaceSelector *metav1.LabelSelector `json:"namespaceSelector,omitempty" protobuf:"bytes,3,opt,name=namespaceSelector"`
}

// CommonServiceBrokerSpec holds the broker settings shared by every broker scope.
type CommonServiceBrokerSpec struct {
	// url is the broker's base URL, an absolute http or https URL. The catalog calls
	// <url>/v2/catalog, <url>/v2/service_instances/... and so on.
	URL string `json:"url" protobuf:"bytes,1,opt,name=url"`
	// insecureSkipTLSVerify disables verification of the broker's TLS certificate. It
	// cannot be combined with caBundle. Use it only for tests.
	// +optional
	InsecureSkipTLSVerify bool `json:"insecureSkipTLSVerify,omitempty" protobuf:"varint,2,opt,name=insecureSkipTLSVerify"`
	// caBundle is a PEM-encoded bundle of certificate authorities used to verify the
	// broker's TLS certificate instead of the system roots.
	// +optional
	CABundle []byte `json:"caBundle,omitempty" protobuf:"bytes,3,opt,name=caBundle"`
	// relistBehavior says when the catalog is fetched again: "Duration" (the default)
	// fetches it every relistDuration; "Manual" fetches it only when relistRequests grows.
	// +optional
	RelistBehavior ServiceBrokerRelistBehavior `json:"relistBehavior,omitempty" protobuf:"bytes,4,opt,name=relistBehavior,casttype=ServiceBrokerRelistBehavior"`
	// relistDuration is the period between catalog fetches when relistBehavior is
	// "Duration". When unset, the controller's default period applies.
	// +optional
	RelistDuration *metav1.Duration `json:"relistDuration,omitempty" protobuf:"bytes,5,opt,name=relistDuration"`
	// relistRequests is a counter a user increments to make the controller fetch the catalog
	// now. It may never decrease.
	// +optional
	RelistRequests int64 `json:"relistRequests,omitempty" protobuf:"varint,6,opt,name=relistRequests"`
	// catalogRestrictions filter which of the broker's offerings and plans are published.
	// +optional
	CatalogRestrictions *CatalogRestrictions `json:"catalogRestrictions,omitempty" protobuf:"bytes,7,opt,name=catalogRestrictions"`
	// osbAPIVersion is the Open Service Broker API version sent to this broker, from
	// "2.13" to "2.17". When unset, the controller's default (2.17) is used. Set it when
	// the broker answers 412 Precondition Failed to the default.
	// +optional
	OSBAPIVersion string `json:"osbAPIVersion,omitempty" protobuf:"bytes,8,opt,name=osbAPIVersion"`
}

// ServiceBrokerRelistBehavior says when a broker's catalog is fetched again.
// +enum
type ServiceBrokerRelistBehavior string

const (
	// ServiceBrokerRelistBehaviorDuration fetches the catalog every relistDuration.
	ServiceBrokerRelistBehaviorDuration ServiceBrokerRelistBehavior = "Duration"
	// ServiceBrokerRelistBehaviorManual fetches the catalog only when relistRequests grows.
	ServiceBrokerRelistBehaviorManual ServiceBrokerRelistBehavior = "Manual"
)

// CatalogRestrictions filter the offerings and plans of a broker's catalog. Each entry is
// a predicate such as "spec.externalName in (mysql, postgresql)" or "spec.free==true";
// entries of one list must all hold.
type CatalogRestrictions struct {
	// serviceClass predicates select the offerings to publish. Supported properties:
	// name, spec.externalName, spec.externalID.
	// +optional
	// +listType=atomic
	ServiceClass []string `json:"serviceClass,omitempty" protobuf:"bytes,1,rep,name=serviceClass"`
	// servicePlan predicates select the plans to publish. Supported properties: name,
	// spec.externalName, spec.externalID, spec.free, spec.clusterServiceClass.name, and
	// for a ServiceBroker also spec.serviceClass.name.
	// +optional
	// +listType=atomic
	ServicePlan []string `json:"servicePlan,omitempty" protobuf:"bytes,2,rep,name=servicePlan"`
}

// ClusterServiceBrokerAuthInfo says how the catalog authenticates to a broker. Exactly one
// method must be set.
type ClusterServiceBrokerAuthInfo struct {
	// basic authenticates with HTTP basic auth, taking "username" and "password" from a
	// Secret.
	// +optional
	Basic *ClusterBasicAuthConfig `json:"basic,omitempty" protobuf:"bytes,1,opt,name=basic"`
	// bearer authenticates with a bearer token, taking "token" from a Secret.
	// +optional
	Bearer *ClusterBearerTokenAuthConfig `json:"bearer,omitempty" protobuf:"bytes,2,opt,name=bearer"`
}

// ClusterBasicAuthConfig points at the Secret holding a broker's basic auth credentials.
type ClusterBasicAuthConfig struct {
	// secretRef names the Secret, with keys "username" and "password".
	SecretRef *ObjectReference `json:"secretRef,omitempty" protobuf:"bytes,1,opt,name=secretRef"`
}

// ClusterBearerTokenAuthConfig points at the Secret holding a broker's bearer token.
type ClusterBearerTokenAuthConfig struct {
	// secretRef names the Secret, with key "token" (the bare token, without "Bearer").
	SecretRef *ObjectReference `json:"secretRef,omitempty" protobuf:"bytes,1,opt,name=secretRef"`
}

// ClusterServiceBrokerStatus reports the state of a cluster-wide broker.
type ClusterServiceBrokerStatus struct {
	CommonServiceBrokerStatus `json:",inline" protobuf:"bytes,1,opt,name=commonServiceBrokerStatus"`
	// abandoned lists, newest first, the instances and bindings of this broker that users
	// let go without the broker (their abandon subresource): the broker may still hold
	// them. The newest 100 are kept.
	// +optional
	// +listType=atomic
	Abandoned []AbandonedResource `json:"abandoned,omitempty" protobuf:"bytes,2,rep,name=abandoned"`
}

// AbandonedResource is an instance or binding let go without its broker.
type AbandonedResource struct {
	// kind is ServiceInstance or ServiceBinding.
	Kind string `json:"kind" protobuf:"bytes,1,opt,name=kind"`
	// namespace was the object's namespace.
	Namespace string `json:"namespace" protobuf:"bytes,2,opt,name=namespace"`
	// name was the object's name.
	Name string `json:"name" protobuf:"bytes,3,opt,name=name"`
	// instanceID is the instance's id at the broker.
	InstanceID string `json:"instanceID" protobuf:"bytes,4,opt,name=instanceID"`
	// bindingID is the binding's id at the broker, for a binding.
	// +optional
	BindingID string `json:"bindingID,omitempty" protobuf:"bytes,5,opt,name=bindingID"`
	// user is who asked for it.
	User string `json:"user" protobuf:"bytes,6,opt,name=user"`
	// time is when they asked.
	Time metav1.Time `json:"time" protobuf:"bytes,7,opt,name=time"`
	// reason is what they gave as the reason, if anything.
	// +optional
	Reason string `json:"reason,omitempty" protobuf:"bytes,8,opt,name=reason"`
}

// CommonServiceBrokerStatus reports the catalog fetches of a broker.
type CommonServiceBrokerStatus struct {
	// conditions describe the broker's state. Ready is True once the catalog was fetched
	// and published; its reason and message say what went wrong otherwise.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" protobuf:"bytes,1,rep,name=conditions"`
	// observedGeneration is the generation of the spec the controller last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,2,opt,name=observedGeneration"`
	// observedRelistRequests is the relistRequests value of the last catalog fetch.
	// +optional
	ObservedRelistRequests int64 `json:"observedRelistRequests,omitempty" protobuf:"varint,3,opt,name=observedRelistRequests"`
	// lastCatalogRetrievalTime is when the catalog was last fetched successfully.
	// +optional
	LastCatalogRetrievalTime *metav1.Time `json:"lastCatalogRetrievalTime,omitempty" protobuf:"bytes,4,opt,name=lastCatalogRetrievalTime"`
	// serviceClassCount is the number of offerings published from the last catalog.
	// +optional
	ServiceClassCount int32 `json:"serviceClassCount,omitempty" protobuf:"varint,5,opt,name=serviceClassCount"`
	// servicePlanCount is the number of plans published from the last catalog.
	// +optional
	ServicePlanCount int32 `json:"servicePlanCount,omitempty" protobuf:"varint,6,opt,name=servicePlanCount"`
	// skippedOfferings lists the offerings of the last catalog that were not published
	// because they are malformed, with the reason.
	// +optional
	// +listType=atomic
	SkippedOfferings []SkippedOffering `json:"skippedOfferings,omitempty" protobuf:"bytes,7,rep,name=skippedOfferings"`
	// attempts records failed catalog fetches and when the next one is due.
	// +optional
	Attempts OperationAttempts `json:"attempts,omitempty" protobuf:"bytes,8,opt,name=attempts"`
}

// SkippedOffering names an offering of a broker's catalog that was not published.
type SkippedOffering struct {
	// name is the offering's name as the broker gave it.
	// +optional
	Name string `json:"name,omitempty" protobuf:"bytes,1,opt,name=name"`
	// id is the offering's id as the broker gave it.
	// +optional
	ID string `json:"id,omitempty" protobuf:"bytes,2,opt,name=id"`
	// message says what is wrong with it.
	Message string `json:"message" protobuf:"bytes,3,opt,name=message"`
}
