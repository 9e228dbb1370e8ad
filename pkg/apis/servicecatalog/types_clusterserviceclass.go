package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceClass is one offering of a broker's catalog, such as "postgresql". The
// controller creates and updates it from the broker's catalog; users read it to choose
// what to provision.
type ClusterServiceClass struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec is the offering as the broker describes it.
	Spec ClusterServiceClassSpec
	// Status says whether the offering is still in the broker's catalog.
	Status ClusterServiceClassStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ClusterServiceClassList is a list of ClusterServiceClasses.
type ClusterServiceClassList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the classes.
	Items []ClusterServiceClass
}

// ClusterServiceClassSpec describes an offering of a cluster-wide broker.
type ClusterServiceClassSpec struct {
	CommonServiceClassSpec

	// ClusterServiceBrokerName is the name of the ClusterServiceBroker offering this class.
	// It cannot change.
	ClusterServiceBrokerName string
}

// CommonServiceClassSpec holds the offering fields shared by every broker scope.
type CommonServiceClassSpec struct {
	// ExternalName is the offering's name in the broker's catalog. Instances usually name
	// their class by it.
	ExternalName string
	// ExternalID is the offering's id in the broker's catalog, the only property the OSB
	// API guarantees never changes.
	ExternalID string
	// Description is the broker's short description of the offering.
	Description string
	// Bindable says whether instances of this offering can be bound by default; a plan may
	// override it.
	Bindable bool
	// PlanUpdatable says whether an instance may change to another plan of this offering
	// by default; a plan may override it.
	PlanUpdatable bool
	// InstancesRetrievable says whether the broker serves GET for instances of this offering.
	InstancesRetrievable bool
	// BindingsRetrievable says whether the broker serves GET for bindings of this offering;
	// asynchronous binding requires it.
	BindingsRetrievable bool
	// AllowContextUpdates says whether the broker accepts updates that change only the
	// request context, such as annotations.
	AllowContextUpdates bool
	// Tags are the broker's keywords for the offering.
	Tags []string
	// Requires lists the platform permissions the offering asks for (syslog_drain,
	// route_forwarding, volume_mount).
	Requires []string
	// ExternalMetadata is the broker's opaque metadata for the offering, such as
	// displayName, imageUrl and documentationUrl.
	ExternalMetadata *runtime.RawExtension
}

// ClusterServiceClassStatus reports the state of a class.
type ClusterServiceClassStatus struct {
	CommonServiceClassStatus
}

// CommonServiceClassStatus reports the catalog state shared by classes and plans.
type CommonServiceClassStatus struct {
	// RemovedFromBrokerCatalog is true once the broker no longer lists the offering. Existing
	// instances keep working for update and deprovision, new ones are refused, and the
	// object is deleted when nothing uses it.
	RemovedFromBrokerCatalog bool
	// LastCatalogRetrievalTime is the time of the catalog fetch that last wrote this object.
	LastCatalogRetrievalTime *metav1.Time
	// CatalogDigest is "sha256:" and the hex SHA-256 of the broker's catalog entry as
	// that fetch returned it, in canonical JSON.
	CatalogDigest string
}
