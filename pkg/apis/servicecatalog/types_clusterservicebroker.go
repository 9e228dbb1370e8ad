package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceBroker registers an Open Service Broker with the catalog. The controller
// fetches the broker's catalog and publishes each offering as a ClusterServiceClass and
// each plan as a ClusterServicePlan, visible to the whole cluster.
type ClusterServiceBroker struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec says where the broker is and how to talk to it.
	Spec ClusterServiceBrokerSpec
	// Status reports the last catalog fetch and the broker's health.
	Status ClusterServiceBrokerStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceBrokerList is a list of ClusterServiceBrokers.
type ClusterServiceBrokerList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the brokers.
	Items []ClusterServiceBroker
}

// ClusterServiceBrokerSpec says where a cluster-wide broker is and how to talk to it.
type ClusterServiceBrokerSpec struct {
	CommonServiceBrokerSpec

	// AuthInfo says how the catalog authenticates to the broker. Without it, requests carry
	// no credentials.
	AuthInfo *ClusterServiceBrokerAuthInfo
	// NamespaceSelector limits the namespaces whose instances may use this broker's classes.
	NamespaceSelector *metav1.LabelSelector
}

// CommonServiceBrokerSpec holds the broker settings shared by every broker scope.
type CommonServiceBrokerSpec struct {
	// URL is the broker's base URL, an absolute http or https URL. The catalog calls
	// <url>/v2/catalog, <url>/v2/service_instances/... and so on.
	URL string
	// InsecureSkipTLSVerify disables verification of the broker's TLS certificate. It
	// cannot be combined with caBundle. Use it only for tests.
	InsecureSkipTLSVerify bool
	// CABundle is a PEM-encoded bundle of certificate authorities used to verify the
	// broker's TLS certificate instead of the system roots.
	CABundle []byte
	// RelistBehavior says when the catalog is fetched again: "Duration" (the default)
	// fetches it every relistDuration; "Manual" fetches it only when relistRequests grows.
	RelistBehavior ServiceBrokerRelistBehavior
	// RelistDuration is the period between catalog fetches when relistBehavior is
	// "Duration". When unset, the controller's default period applies.
	RelistDuration *metav1.Duration
	// RelistRequests is a counter a user increments to make the controller fetch the catalog
	// now. It may never decrease.
	RelistRequests int64
	// CatalogRestrictions filter which of the broker's offerings and plans are published.
	CatalogRestrictions *CatalogRestrictions
	// OSBAPIVersion is the Open Service Broker API version sent to this broker, from
	// "2.13" to "2.17". When unset, the controller's default (2.17) is used. Set it when
	// the broker answers 412 Precondition Failed to the default.
	OSBAPIVersion string
}

// ServiceBrokerRelistBehavior says when a broker's catalog is fetched again.
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
	// ServiceClass predicates select the offerings to publish. Supported properties:
	// name, spec.externalName, spec.externalID.
	ServiceClass []string
	// ServicePlan predicates select the plans to publish. Supported properties: name,
	// spec.externalName, spec.externalID, spec.free, spec.clusterServiceClass.name, and
	// for a ServiceBroker also spec.serviceClass.name.
	ServicePlan []string
}

// ClusterServiceBrokerAuthInfo says how the catalog authenticates to a broker. Exactly one
// method must be set.
type ClusterServiceBrokerAuthInfo struct {
	// Basic authenticates with HTTP basic auth, taking "username" and "password" from a
	// Secret.
	Basic *ClusterBasicAuthConfig
	// Bearer authenticates with a bearer token, taking "token" from a Secret.
	Bearer *ClusterBearerTokenAuthConfig
}

// ClusterBasicAuthConfig points at the Secret holding a broker's basic auth credentials.
type ClusterBasicAuthConfig struct {
	// SecretRef names the Secret, with keys "username" and "password".
	SecretRef *ObjectReference
}

// ClusterBearerTokenAuthConfig points at the Secret holding a broker's bearer token.
type ClusterBearerTokenAuthConfig struct {
	// SecretRef names the Secret, with key "token" (the bare token, without "Bearer").
	SecretRef *ObjectReference
}

// ClusterServiceBrokerStatus reports the state of a cluster-wide broker.
type ClusterServiceBrokerStatus struct {
	CommonServiceBrokerStatus
	// Abandoned lists the instances and bindings of this broker let go without it.
	Abandoned []AbandonedResource
}

// AbandonedResource is an instance or binding let go without its broker.
type AbandonedResource struct {
	// Kind is ServiceInstance or ServiceBinding.
	Kind string
	// Namespace was the object's namespace.
	Namespace string
	// Name was the object's name.
	Name string
	// InstanceID is the instance's id at the broker.
	InstanceID string
	// BindingID is the binding's id at the broker, for a binding.
	BindingID string
	// User is who asked for it.
	User string
	// Time is when they asked.
	Time metav1.Time
	// Reason is what they gave as the reason.
	Reason string
}

// CommonServiceBrokerStatus reports the catalog fetches of a broker.
type CommonServiceBrokerStatus struct {
	// Conditions describe the broker's state. Ready is True once the catalog was fetched
	// and published; its reason and message say what went wrong otherwise.
	Conditions []metav1.Condition
	// ObservedGeneration is the generation of the spec the controller last acted on.
	ObservedGeneration int64
	// ObservedRelistRequests is the relistRequests value of the last catalog fetch.
	ObservedRelistRequests int64
	// LastCatalogRetrievalTime is when the catalog was last fetched successfully.
	LastCatalogRetrievalTime *metav1.Time
	// ServiceClassCount is the number of offerings published from the last catalog.
	ServiceClassCount int32
	// ServicePlanCount is the number of plans published from the last catalog.
	ServicePlanCount int32
	// SkippedOfferings lists the offerings of the last catalog that were not published
	// because they are malformed, with the reason.
	SkippedOfferings []SkippedOffering
	// Attempts records failed catalog fetches and when the next one is due.
	Attempts OperationAttempts
}

// SkippedOffering names an offering of a broker's catalog that was not published.
type SkippedOffering struct {
	// Name is the offering's name as the broker gave it.
	Name string
	// ID is the offering's id as the broker gave it.
	ID string
	// Message says what is wrong with it.
	Message string
}
