package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// FinalizerServiceCatalog is the finalizer the API server puts on brokers, instances and
// bindings. The controller removes it once the broker no longer holds anything for the
// object (deprovisioned, unbound, or the catalog cleaned up).
const FinalizerServiceCatalog = "servicecatalog.k8s.io/finalizer"

// Condition types used in the status of catalog objects.
const (
	// ConditionReady is True when the object is in the state its spec asks for: a broker
	// whose catalog was fetched, a provisioned instance, a binding whose Secret exists.
	ConditionReady = "Ready"
	// ConditionFailed is True when the controller stopped trying: the broker refused the
	// request in a way that retrying cannot fix. It clears when the spec changes.
	ConditionFailed = "Failed"
	// ConditionOrphanMitigation is True while the controller is removing, at the broker,
	// a resource whose creation failed in a way that may have left it half created.
	ConditionOrphanMitigation = "OrphanMitigation"
)

// UserInfo identifies the user who last created, changed or deleted an object. The API
// server stamps it from the authenticated request; values sent by clients are replaced.
// The controller sends it to the broker as the OSB originating identity.
type UserInfo struct {
	// Username is the name of the user, as the API server authenticated it.
	Username string
	// UID is the unique ID of the user, if the authenticator provides one.
	UID string
	// Groups are the groups the user belongs to.
	Groups []string
	// Extra holds additional information the authenticator provided about the user.
	Extra map[string]ExtraValue
}

// ExtraValue is a list of values for one key of UserInfo.Extra.
type ExtraValue []string

// ObjectReference names an object in a given namespace.
type ObjectReference struct {
	// Namespace of the referenced object.
	Namespace string
	// Name of the referenced object.
	Name string
}

// LocalObjectReference names an object in the same namespace as the referrer.
type LocalObjectReference struct {
	// Name of the referenced object.
	Name string
}

// ServiceInstanceReference names the ServiceInstance a binding binds to.
type ServiceInstanceReference struct {
	// Name of the ServiceInstance.
	Name string
	// Namespace of the ServiceInstance, when it is not the binding's own.
	Namespace string
}

// NamespacedObjectReference names a namespaced object.
type NamespacedObjectReference struct {
	// Namespace of the referenced object.
	Namespace string
	// Name of the referenced object.
	Name string
}

// ClusterObjectReference names a cluster-scoped object.
type ClusterObjectReference struct {
	// Name of the referenced object.
	Name string
}

// SecretKeyReference names one key of a Secret in the referrer's namespace.
type SecretKeyReference struct {
	// Name of the Secret.
	Name string
	// Key within the Secret's data.
	Key string
}

// ParametersFromSource names a source of parameters for a broker request. Exactly one
// source must be set.
type ParametersFromSource struct {
	// SecretKeyRef selects a key of a Secret in the object's namespace. The value must be a
	// JSON object; its top-level keys are merged into the request's parameters, and it is
	// an error if a key is also given inline or by another source. Values from Secrets are
	// never shown in status.
	SecretKeyRef *SecretKeyReference
}

// PropertiesState records a request's parameters without revealing secret values.
type PropertiesState struct {
	// Parameters are the request's parameters, with every value that came from a Secret
	// replaced by "<redacted>".
	Parameters *runtime.RawExtension
	// ParameterChecksum is the SHA-256 (hex) of the full parameters that were sent,
	// secret values included; the controller compares it to detect changes.
	ParameterChecksum string
	// UserInfo is the identity of the user whose change caused the request.
	UserInfo *UserInfo
	// PlanDigest is the catalogDigest of the plan when the request was made.
	PlanDigest string
	// PlanRetrievalTime is the lastCatalogRetrievalTime of the plan when the request was
	// made.
	PlanRetrievalTime *metav1.Time
	// RequestIdentity is the X-Broker-API-Request-Identity of the request that made it.
	RequestIdentity string
}

// OperationAttempts records retries of a failed operation so that a restarted controller
// neither forgets them nor calls the broker again too early.
type OperationAttempts struct {
	// Count is the number of failed attempts of the current operation.
	Count int32
	// NextAttemptTime is the earliest time at which the controller calls the broker again.
	NextAttemptTime *metav1.Time
}

// OperationStatus follows the broker operation in progress on an instance or a binding:
// what the controller needs to resume it after a restart without repeating or hammering it.
type OperationStatus struct {
	// OperationStartTime is when the current operation started.
	OperationStartTime *metav1.Time
	// AsyncOpInProgress is true while the controller polls the broker for the result of an
	// asynchronous operation.
	AsyncOpInProgress bool
	// OperationKey is the operation value the broker returned for the asynchronous
	// operation in progress; the controller sends it back verbatim when polling.
	OperationKey string
	// LastRequestIdentity is the X-Broker-API-Request-Identity of the last request sent to
	// the broker for this object, to find it in the broker's logs.
	LastRequestIdentity string
	// OrphanMitigationInProgress is true while the controller deletes, at the broker, what
	// a failed creation may have left half made.
	OrphanMitigationInProgress bool
	// Attempts records failed attempts of the current operation and when the next one is due.
	Attempts OperationAttempts
	// Abandoned records a request to let the object go without the broker.
	Abandoned *Abandonment
}

// Abandonment records who asked to let an object go without the broker, and why.
type Abandonment struct {
	// User is who asked.
	User string
	// Time is when they asked.
	Time metav1.Time
	// Reason is what they gave as the reason.
	Reason string
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Intervention is the body of a request to the retry or the abandon subresource of an
// instance or a binding.
type Intervention struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	// Reason says why.
	Reason string
}
