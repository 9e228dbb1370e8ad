package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +genclient
// +genclient:nonNamespaced
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceClass is one offering of a broker's catalog, such as "postgresql". The
// controller creates and updates it from the broker's catalog; users read it to choose
// what to provision.
type ClusterServiceClass struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec is the offering as the broker describes it.
	// +optional
	Spec ClusterServiceClassSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status says whether the offering is still in the broker's catalog.
	// +optional
	Status ClusterServiceClassStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceClassList is a list of ClusterServiceClasses.
type ClusterServiceClassList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the classes.
	Items []ClusterServiceClass `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ClusterServiceClassSpec describes an offering of a cluster-wide broker.
type ClusterServiceClassSpec struct {
	CommonServiceClassSpec `json:",inline" protobuf:"bytes,1,opt,name=commonServiceClassSpec"`

	// clusterServiceBrokerName is the name of the ClusterServiceBroker offering this class.
	// It cannot change.
	ClusterServiceBrokerName string `json:"clusterServiceBrokerName" protobuf:"bytes,2,opt,name=clusterServiceBrokerName"`
}

// CommonServiceClassSpec holds the offering fields shared by every broker scope.
type CommonServiceClassSpec struct {
	// externalName is the offering's name in the broker's catalog. Instances usually name
	// their class by it.
	ExternalName string `json:"externalName" protobuf:"bytes,1,opt,name=externalName"`
	// externalID is the offering's id in the broker's catalog, the only property the OSB
	// API guarantees never changes.
	ExternalID string `json:"externalID" protobuf:"bytes,2,opt,name=externalID"`
	// description is the broker's short description of the offering.
	// +optional
	Description string `json:"description,omitempty" protobuf:"bytes,3,opt,name=description"`
	// bindable says whether instances of this offering can be bound by default; a plan may
	// override it.
	// +optional
	Bindable bool `json:"bindable,omitempty" protobuf:"varint,4,opt,name=bindable"`
	// planUpdatable says whether an instance may change to another plan of this offering
	// by default; a plan may override it.
	// +optional
	PlanUpdatable bool `json:"planUpdatable,omitempty" protobuf:"varint,5,opt,name=planUpdatable"`
	// instancesRetrievable says whether the broker serves GET for instances of this offering.
	// +optional
	InstancesRetrievable bool `json:"instancesRetrievable,omitempty" protobuf:"varint,6,opt,name=instancesRetrievable"`
	// bindingsRetrievable says whether the broker serves GET for bindings of this offering;
	// asynchronous binding requires it.
	// +optional
	BindingsRetrievable bool `json:"bindingsRetrievable,omitempty" protobuf:"varint,7,opt,name=bindingsRetrievable"`
	// allowContextUpdates says whether the broker accepts updates that change only the
	// request context, such as annotations.
	// +optional
	AllowContextUpdates bool `json:"allowContextUpdates,omitempty" protobuf:"varint,8,opt,name=allowContextUpdates"`
	// tags are the broker's keywords for the offering.
	// +optional
	// +listType=atomic
	Tags []string `json:"tags,omitempty" protobuf:"bytes,9,rep,name=tags"`
	// requires lists the platform permissions the offering asks for (syslog_drain,
	// route_forwarding, volume_mount).
	// +optional
	// +listType=atomic
	Requires []string `json:"requires,omitempty" protobuf:"bytes,10,rep,name=requires"`
	// externalMetadata is the broker's opaque metadata for the offering, such as
	// displayName, imageUrl and documentationUrl.
	// +optional
	ExternalMetadata *runtime.RawExtension `json:"externalMetadata,omitempty" protobuf:"bytes,11,opt,name=externalMetadata"`
}

// ClusterServiceClassStatus reports the state of a class.
type ClusterServiceClassStatus struct {
	CommonServiceClassStatus `json:",inline" protobuf:"bytes,1,opt,name=commonServiceClassStatus"`
}

// CommonServiceClassStatus reports the catalog state shared by classes and plans.
type CommonServiceClassStatus struct {
	// removedFromBrokerCatalog is true once the broker no longer lists the offering. Existing
	// instances keep working for update and deprovision, new ones are refused, and the
	// object is deleted when nothing uses it.
	// +optional
	RemovedFromBrokerCatalog bool `json:"removedFromBrokerCatalog,omitempty" protobuf:"varint,1,opt,name=removedFromBrokerCatalog"`
	// lastCatalogRetrievalTime is the time of the catalog fetch that last wrote this object.
	// +optional
	LastCatalogRetrievalTime *metav1.Time `json:"lastCatalogRetrievalTime,omitempty" protobuf:"bytes,2,opt,name=lastCatalogRetrievalTime"`
	// catalogDigest is "sha256:" and the hex SHA-256 of the broker's catalog entry (the
	// offering without its plans and its dashboard_client credentials, or the plan) as that
	// fetch returned it, in canonical JSON.
	// It changes exactly when the broker's entry changes; instances and bindings record the
	// digest of the plan they were made with.
	// +optional
	CatalogDigest string `json:"catalogDigest,omitempty" protobuf:"bytes,3,opt,name=catalogDigest"`
}
