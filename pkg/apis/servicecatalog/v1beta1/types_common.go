package v1beta1

import (
	"fmt"

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
	// ConditionDeleteBlocked is True on an object being deleted whose delete the broker
	// refused: its message carries the broker's reason, when the next attempt is, and what
	// to do (the retry and abandon subresources).
	ConditionDeleteBlocked = "DeleteBlocked"
	// ConditionBrokerResourceMissing is True when the broker, asked with GET instance or
	// GET binding (offerings that are instances_retrievable or bindings_retrievable),
	// answered that it does not hold a Ready object: the catalog does not silently
	// believe it holds what it once did.
	ConditionBrokerResourceMissing = "BrokerResourceMissing"
	// ConditionStale is True on a binding whose instance's plan or parameters changed
	// since its credentials were handed out: they may not fit the instance any more.
	// Rotating them (spec.rotationRequests, or spec.rotateWhenStale) clears it.
	ConditionStale = "Stale"
)

// UserInfo identifies the user who last created, changed or deleted an object. The API
// server stamps it from the authenticated request; values sent by clients are replaced.
// The controller sends it to the broker as the OSB originating identity.
type UserInfo struct {
	// username is the name of the user, as the API server authenticated it.
	// +optional
	Username string `json:"username,omitempty" protobuf:"bytes,1,opt,name=username"`
	// uid is the unique ID of the user, if the authenticator provides one.
	// +optional
	UID string `json:"uid,omitempty" protobuf:"bytes,2,opt,name=uid"`
	// groups are the groups the user belongs to.
	// +optional
	// +listType=atomic
	Groups []string `json:"groups,omitempty" protobuf:"bytes,3,rep,name=groups"`
	// extra holds additional information the authenticator provided about the user.
	// +optional
	Extra map[string]ExtraValue `json:"extra,omitempty" protobuf:"bytes,4,rep,name=extra"`
}

// ExtraValue is a list of values for one key of UserInfo.Extra.
// +protobuf.nullable=true
// +protobuf.options.(gogoproto.goproto_stringer)=false
type ExtraValue []string

// String formats the values the way fmt prints a list of strings.
func (t ExtraValue) String() string {
	return fmt.Sprintf("%v", []string(t))
}

// ObjectReference names an object in a given namespace.
type ObjectReference struct {
	// namespace of the referenced object.
	// +optional
	Namespace string `json:"namespace,omitempty" protobuf:"bytes,1,opt,name=namespace"`
	// name of the referenced object.
	Name string `json:"name" protobuf:"bytes,2,opt,name=name"`
}

// LocalObjectReference names an object in the same namespace as the referrer.
type LocalObjectReference struct {
	// name of the referenced object.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
}

// ServiceInstanceReference names the ServiceInstance a binding binds to.
type ServiceInstanceReference struct {
	// name of the ServiceInstance.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
	// namespace of the ServiceInstance, when it is not the binding's own. Binding to an
	// instance of another namespace needs permission to "bind" serviceinstances in that
	// namespace (kubectl auth can-i bind serviceinstances -n <namespace>); the
	// credentials Secret is written in the binding's namespace.
	// +optional
	Namespace string `json:"namespace,omitempty" protobuf:"bytes,2,opt,name=namespace"`
}

// NamespacedObjectReference names a namespaced object.
type NamespacedObjectReference struct {
	// namespace of the referenced object.
	Namespace string `json:"namespace" protobuf:"bytes,1,opt,name=namespace"`
	// name of the referenced object.
	Name string `json:"name" protobuf:"bytes,2,opt,name=name"`
}

// ClusterObjectReference names a cluster-scoped object.
type ClusterObjectReference struct {
	// name of the referenced object.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
}

// SecretKeyReference names one key of a Secret in the referrer's namespace.
type SecretKeyReference struct {
	// name of the Secret.
	Name string `json:"name" protobuf:"bytes,1,opt,name=name"`
	// key within the Secret's data.
	Key string `json:"key" protobuf:"bytes,2,opt,name=key"`
}

// ParametersFromSource names a source of parameters for a broker request. Exactly one
// source must be set.
type ParametersFromSource struct {
	// secretKeyRef selects a key of a Secret in the object's namespace. The value must be a
	// JSON object; its top-level keys are merged into the request's parameters, and it is
	// an error if a key is also given inline or by another source. Values from Secrets are
	// never shown in status.
	// +optional
	SecretKeyRef *SecretKeyReference `json:"secretKeyRef,omitempty" protobuf:"bytes,1,opt,name=secretKeyRef"`
}

// PropertiesState records a request's parameters without revealing secret values.
type PropertiesState struct {
	// parameters are the request's parameters, with every value that came from a Secret
	// replaced by "<redacted>".
	// +optional
	Parameters *runtime.RawExtension `json:"parameters,omitempty" protobuf:"bytes,1,opt,name=parameters"`
	// parameterChecksum is the SHA-256 (hex) of the full parameters that were sent,
	// secret values included; the controller compares it to detect changes.
	// +optional
	ParameterChecksum string `json:"parameterChecksum,omitempty" protobuf:"bytes,2,opt,name=parameterChecksum"`
	// userInfo is the identity of the user whose change caused the request.
	// +optional
	UserInfo *UserInfo `json:"userInfo,omitempty" protobuf:"bytes,3,opt,name=userInfo"`
	// planDigest is the catalogDigest of the plan when the request was made: which
	// version of the broker's catalog entry the request was made with.
	// +optional
	PlanDigest string `json:"planDigest,omitempty" protobuf:"bytes,4,opt,name=planDigest"`
	// planRetrievalTime is the lastCatalogRetrievalTime of the plan when the request was
	// made: the catalog fetch its entry came from.
	// +optional
	PlanRetrievalTime *metav1.Time `json:"planRetrievalTime,omitempty" protobuf:"bytes,5,opt,name=planRetrievalTime"`
	// requestIdentity is the X-Broker-API-Request-Identity of the request that made it,
	// to find it in the broker's logs.
	// +optional
	RequestIdentity string `json:"requestIdentity,omitempty" protobuf:"bytes,6,opt,name=requestIdentity"`
}

// OperationAttempts records retries of a failed operation so that a restarted controller
// neither forgets them nor calls the broker again too early.
type OperationAttempts struct {
	// count is the number of failed attempts of the current operation.
	// +optional
	Count int32 `json:"count,omitempty" protobuf:"varint,1,opt,name=count"`
	// nextAttemptTime is the earliest time at which the controller calls the broker again.
	// +optional
	NextAttemptTime *metav1.Time `json:"nextAttemptTime,omitempty" protobuf:"bytes,2,opt,name=nextAttemptTime"`
}

// OperationStatus follows the broker operation in progress on an instance or a binding:
// what the controller needs to resume it after a restart without repeating or hammering it.
type OperationStatus struct {
	// operationStartTime is when the current operation started.
	// +optional
	OperationStartTime *metav1.Time `json:"operationStartTime,omitempty" protobuf:"bytes,1,opt,name=operationStartTime"`
	// asyncOpInProgress is true while the controller polls the broker for the result of an
	// asynchronous operation.
	// +optional
	AsyncOpInProgress bool `json:"asyncOpInProgress,omitempty" protobuf:"varint,2,opt,name=asyncOpInProgress"`
	// operationKey is the operation value the broker returned for the asynchronous
	// operation in progress; the controller sends it back verbatim when polling.
	// +optional
	OperationKey string `json:"operationKey,omitempty" protobuf:"bytes,3,opt,name=operationKey"`
	// lastRequestIdentity is the X-Broker-API-Request-Identity of the last request sent to
	// the broker for this object, to find it in the broker's logs.
	// +optional
	LastRequestIdentity string `json:"lastRequestIdentity,omitempty" protobuf:"bytes,4,opt,name=lastRequestIdentity"`
	// orphanMitigationInProgress is true while the controller deletes, at the broker, what
	// a failed creation may have left half made.
	// +optional
	OrphanMitigationInProgress bool `json:"orphanMitigationInProgress,omitempty" protobuf:"varint,5,opt,name=orphanMitigationInProgress"`
	// attempts records failed attempts of the current operation and when the next one is due.
	// +optional
	Attempts OperationAttempts `json:"attempts,omitempty" protobuf:"bytes,6,opt,name=attempts"`
	// abandoned records a request, made through the abandon subresource, to let the
	// object go without the broker: once it is deleted, the controller removes its
	// finalizer without calling the broker again, and the broker may still hold what the
	// object stood for.
	// +optional
	Abandoned *Abandonment `json:"abandoned,omitempty" protobuf:"bytes,7,opt,name=abandoned"`
}

// Abandonment records who asked to let an object go without the broker, and why.
type Abandonment struct {
	// user is who asked, as the API server authenticated them.
	User string `json:"user" protobuf:"bytes,1,opt,name=user"`
	// time is when they asked.
	Time metav1.Time `json:"time" protobuf:"bytes,2,opt,name=time"`
	// reason is what they gave as the reason, if anything.
	// +optional
	Reason string `json:"reason,omitempty" protobuf:"bytes,3,opt,name=reason"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// Intervention is the body of a request to the retry or the abandon subresource of an
// instance or a binding. retry asks the controller to try the object's broker operation
// again now, also one it stopped trying; abandon lets an instance or binding that is
// being deleted go without the broker (kubectl create --raw
// /apis/servicecatalog.k8s.io/v1beta1/namespaces/<namespace>/serviceinstances/<name>/abandon -f intervention.json).
type Intervention struct {
	metav1.TypeMeta `json:",inline"`
	// metadata.name, when set, must be the name of the object in the request's path.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// reason says why, for the record and the event.
	// +optional
	Reason string `json:"reason,omitempty" protobuf:"bytes,2,opt,name=reason"`
}
