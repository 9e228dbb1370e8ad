package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBinding asks the broker for credentials to a ServiceInstance in the same namespace
// and writes them to a Secret. Deleting it unbinds at the broker and removes the Secret.
type ServiceBinding struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec says which instance to bind and how to write the Secret.
	Spec ServiceBindingSpec
	// Status reports the binding's state at the broker and the Secret.
	Status ServiceBindingStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBindingList is a list of ServiceBindings.
type ServiceBindingList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the bindings.
	Items []ServiceBinding
}

// ServiceBindingSpec says which instance to bind and how to write the credentials Secret.
type ServiceBindingSpec struct {
	// InstanceRef names the ServiceInstance to bind to: in the binding's namespace, or in
	// the namespace it names. It cannot change.
	InstanceRef ServiceInstanceReference
	// Parameters are sent to the broker with the bind request. They must be a JSON
	// object. Do not put secrets here: use parametersFrom.
	Parameters *runtime.RawExtension
	// ParametersFrom are sources of parameters read from Secrets in the binding's
	// namespace. Their top-level keys are merged with parameters; a key given twice is an
	// error.
	ParametersFrom []ParametersFromSource
	// SecretName is the name of the Secret, in the binding's namespace, that receives the
	// credentials. It defaults to the binding's name. An existing Secret the binding does
	// not own is never overwritten.
	SecretName string
	// SecretTransforms change the credentials before they are written to the Secret. They
	// are applied in order; each entry sets exactly one transform.
	SecretTransforms []SecretTransform
	// ExternalID is the binding_id sent to the broker. The server sets a new UUID when it
	// is empty on create; it cannot change.
	ExternalID string
	// RotationRequests, when bumped, asks for new credentials.
	RotationRequests int64
	// RotateWhenStale rotates stale credentials on their own.
	RotateWhenStale bool
	// UserInfo is the user who last created, changed or deleted this binding, set by the
	// server; values sent by clients are replaced.
	UserInfo *UserInfo
}

// SecretTransform changes the credentials before they are written to the Secret. Exactly
// one field must be set.
type SecretTransform struct {
	// RenameKey renames a credential key. Nothing happens if the key is absent.
	RenameKey *RenameKeyTransform
	// AddKey adds a key with a fixed value or a value taken from the credentials.
	AddKey *AddKeyTransform
	// AddKeysFrom adds every key of another Secret in the binding's namespace.
	AddKeysFrom *AddKeysFromTransform
	// RemoveKey removes a credential key.
	RemoveKey *RemoveKeyTransform
}

// RenameKeyTransform renames a credential key.
type RenameKeyTransform struct {
	// From is the key to rename.
	From string
	// To is its new name.
	To string
}

// AddKeyTransform adds a key to the credentials. Exactly one of value, stringValue and
// jsonPathExpression must be set.
type AddKeyTransform struct {
	// Key is the key to add.
	Key string
	// Value is the value to store, as bytes (base64 in YAML and JSON).
	Value []byte
	// StringValue is the value to store, as a string.
	StringValue *string
	// JSONPathExpression is a JSONPath expression, such as "{.host}:{.port}", evaluated
	// against the broker's credentials object; its result is stored.
	JSONPathExpression *string
}

// AddKeysFromTransform merges the keys of another Secret into the credentials.
type AddKeysFromTransform struct {
	// SecretRef names the Secret. Its namespace, if given, must be the binding's namespace.
	SecretRef *ObjectReference
}

// RemoveKeyTransform removes a credential key.
type RemoveKeyTransform struct {
	// Key is the key to remove.
	Key string
}

// ServiceBindingOperation is an operation the controller performs on a broker binding.
type ServiceBindingOperation string

const (
	// ServiceBindingOperationBind creates the binding at the broker.
	ServiceBindingOperationBind ServiceBindingOperation = "Bind"
	// ServiceBindingOperationUnbind deletes the binding at the broker.
	ServiceBindingOperationUnbind ServiceBindingOperation = "Unbind"
)

// ServiceBindingUnbindStatus says whether the binding must be unbound at the broker.
type ServiceBindingUnbindStatus string

const (
	// ServiceBindingUnbindStatusNotRequired means the broker was never asked to bind.
	ServiceBindingUnbindStatusNotRequired ServiceBindingUnbindStatus = "NotRequired"
	// ServiceBindingUnbindStatusRequired means the broker may hold the binding.
	ServiceBindingUnbindStatusRequired ServiceBindingUnbindStatus = "Required"
	// ServiceBindingUnbindStatusSucceeded means the broker deleted the binding.
	ServiceBindingUnbindStatusSucceeded ServiceBindingUnbindStatus = "Succeeded"
	// ServiceBindingUnbindStatusFailed means unbinding failed for good.
	ServiceBindingUnbindStatusFailed ServiceBindingUnbindStatus = "Failed"
)

// ServiceBindingStatus reports the binding's state at the broker and the Secret.
type ServiceBindingStatus struct {
	// Conditions describe the binding. Ready is True when the Secret holds the broker's
	// credentials; its reason and message say what is happening otherwise.
	Conditions []metav1.Condition
	// ObservedGeneration is the generation of the spec the controller last acted on.
	ObservedGeneration int64
	// CurrentOperation is the broker operation in progress, if any.
	CurrentOperation ServiceBindingOperation
	// OperationStatus follows the operation in progress.
	OperationStatus
	// InProgressProperties are the parameters of the request in flight.
	InProgressProperties *PropertiesState
	// ExternalProperties are the parameters the broker last acknowledged.
	ExternalProperties *PropertiesState
	// UnbindStatus says whether deleting the binding needs a broker call.
	UnbindStatus ServiceBindingUnbindStatus
	// Binding names the Secret holding the credentials, as the servicebinding.io
	// Provisioned Service duck type expects.
	Binding *LocalObjectReference
	// Credentials describes the credentials the broker handed out.
	Credentials *BindingCredentialsStatus
	// BindingID is the binding_id at the broker of the credentials in the Secret.
	BindingID string
	// CredentialsIssuedAt is when the broker handed out the credentials in the Secret.
	CredentialsIssuedAt *metav1.Time
	// Rotation is the rotation in progress.
	Rotation *BindingRotation
	// ObservedRotationRequests is the spec.rotationRequests the controller last acted on.
	ObservedRotationRequests int64
	// Predecessors are the bindings whose credentials a rotation replaced.
	Predecessors []PredecessorBinding
	// IssuedFor is the instance's plan and parameters when the credentials were handed out.
	IssuedFor *IssuedFor
}

// IssuedFor is what an instance was when a binding's credentials were handed out.
type IssuedFor struct {
	// ClusterServicePlanExternalName is the instance's plan.
	ClusterServicePlanExternalName string
	// ClusterServicePlanExternalID is the instance's plan_id.
	ClusterServicePlanExternalID string
	// ParameterChecksum is the checksum of the instance's parameters.
	ParameterChecksum string
}

// BindingRotation is a rotation of a binding's credentials in progress.
type BindingRotation struct {
	// BindingID is the binding_id of the new credentials.
	BindingID string
	// Reason says why.
	Reason string
	// StartTime is when the rotation started.
	StartTime metav1.Time
}

// PredecessorBinding is a binding at the broker whose credentials were rotated.
type PredecessorBinding struct {
	// BindingID is its binding_id at the broker.
	BindingID string
	// UnbindAfter is when the controller unbinds it.
	UnbindAfter metav1.Time
}

// BindingCredentialsStatus describes the credentials of a binding as the broker handed
// them out.
type BindingCredentialsStatus struct {
	// ExpiresAt is when the broker said the credentials expire.
	ExpiresAt *metav1.Time
	// RenewBefore is when the broker said the credentials should be renewed.
	RenewBefore *metav1.Time
	// SyslogDrainURL is where the broker asked for the application's logs to be streamed.
	SyslogDrainURL string
	// RouteServiceURL is where the broker asked for requests to be proxied.
	RouteServiceURL string
	// VolumeMounts are the volumes the broker asked to mount, as it sent them.
	VolumeMounts []runtime.RawExtension
}
