package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +genclient
// +genclient:method=Retry,verb=create,subresource=retry,input=Intervention,result=k8s.io/apimachinery/pkg/apis/meta/v1.Status
// +genclient:method=Abandon,verb=create,subresource=abandon,input=Intervention,result=k8s.io/apimachinery/pkg/apis/meta/v1.Status
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBinding asks the broker for credentials to a ServiceInstance in the same namespace
// and writes them to a Secret. Deleting it unbinds at the broker and removes the Secret.
type ServiceBinding struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec says which instance to bind and how to write the Secret.
	// +optional
	Spec ServiceBindingSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status reports the binding's state at the broker and the Secret.
	// +optional
	Status ServiceBindingStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceBindingList is a list of ServiceBindings.
type ServiceBindingList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the bindings.
	Items []ServiceBinding `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// ServiceBindingSpec says which instance to bind and how to write the credentials Secret.
type ServiceBindingSpec struct {
	// instanceRef names the ServiceInstance to bind to: in the binding's namespace, or in
	// the namespace it names. It cannot change.
	InstanceRef ServiceInstanceReference `json:"instanceRef" protobuf:"bytes,1,opt,name=instanceRef"`
	// parameters are sent to the broker with the bind request. They must be a JSON
	// object. Do not put secrets here: use parametersFrom.
	// +optional
	Parameters *runtime.RawExtension `json:"parameters,omitempty" protobuf:"bytes,2,opt,name=parameters"`
	// parametersFrom are sources of parameters read from Secrets in the binding's
	// namespace. Their top-level keys are merged with parameters; a key given twice is an
	// error.
	// +optional
	// +listType=atomic
	ParametersFrom []ParametersFromSource `json:"parametersFrom,omitempty" protobuf:"bytes,3,rep,name=parametersFrom"`
	// secretName is the name of the Secret, in the binding's namespace, that receives the
	// credentials. It defaults to the binding's name. An existing Secret the binding does
	// not own is never overwritten.
	// +optional
	SecretName string `json:"secretName,omitempty" protobuf:"bytes,4,opt,name=secretName"`
	// secretTransforms change the credentials before they are written to the Secret. They
	// are applied in order; each entry sets exactly one transform.
	// +optional
	// +listType=atomic
	SecretTransforms []SecretTransform `json:"secretTransforms,omitempty" protobuf:"bytes,5,rep,name=secretTransforms"`
	// externalID is the binding_id sent to the broker. The server sets a new UUID when it
	// is empty on create; it cannot change. A rotation binds under a new id
	// (status.bindingID).
	// +optional
	ExternalID string `json:"externalID,omitempty" protobuf:"bytes,6,opt,name=externalID"`
	// rotationRequests, when bumped, asks for new credentials: the controller binds again
	// under a new binding_id (with predecessor_binding_id where the plan is
	// binding_rotatable and the broker speaks OSB 2.17), writes the new credentials into
	// the same Secret, and unbinds the old binding after the overlap window.
	// +optional
	RotationRequests int64 `json:"rotationRequests,omitempty" protobuf:"varint,7,opt,name=rotationRequests"`
	// rotateWhenStale rotates the credentials on its own when they are stale: the
	// instance's plan or parameters changed since they were handed out (the Stale
	// condition). It may change.
	// +optional
	RotateWhenStale bool `json:"rotateWhenStale,omitempty" protobuf:"varint,8,opt,name=rotateWhenStale"`
	// userInfo is the user who last created, changed or deleted this binding, set by the
	// server; values sent by clients are replaced.
	// +optional
	UserInfo *UserInfo `json:"userInfo,omitempty" protobuf:"bytes,9,opt,name=userInfo"`
}

// SecretTransform changes the credentials before they are written to the Secret. Exactly
// one field must be set.
type SecretTransform struct {
	// renameKey renames a credential key. Nothing happens if the key is absent.
	// +optional
	RenameKey *RenameKeyTransform `json:"renameKey,omitempty" protobuf:"bytes,1,opt,name=renameKey"`
	// addKey adds a key with a fixed value or a value taken from the credentials.
	// +optional
	AddKey *AddKeyTransform `json:"addKey,omitempty" protobuf:"bytes,2,opt,name=addKey"`
	// addKeysFrom adds every key of another Secret in the binding's namespace.
	// +optional
	AddKeysFrom *AddKeysFromTransform `json:"addKeysFrom,omitempty" protobuf:"bytes,3,opt,name=addKeysFrom"`
	// removeKey removes a credential key.
	// +optional
	RemoveKey *RemoveKeyTransform `json:"removeKey,omitempty" protobuf:"bytes,4,opt,name=removeKey"`
}

// RenameKeyTransform renames a credential key.
type RenameKeyTransform struct {
	// from is the key to rename.
	From string `json:"from" protobuf:"bytes,1,opt,name=from"`
	// to is its new name.
	To string `json:"to" protobuf:"bytes,2,opt,name=to"`
}

// AddKeyTransform adds a key to the credentials. Exactly one of value, stringValue and
// jsonPathExpression must be set.
type AddKeyTransform struct {
	// key is the key to add.
	Key string `json:"key" protobuf:"bytes,1,opt,name=key"`
	// value is the value to store, as bytes (base64 in YAML and JSON).
	// +optional
	Value []byte `json:"value,omitempty" protobuf:"bytes,2,opt,name=value"`
	// stringValue is the value to store, as a string.
	// +optional
	StringValue *string `json:"stringValue,omitempty" protobuf:"bytes,3,opt,name=stringValue"`
	// jsonPathExpression is a JSONPath expression, such as "{.host}:{.port}", evaluated
	// against the broker's credentials object; its result is stored.
	// +optional
	JSONPathExpression *string `json:"jsonPathExpression,omitempty" protobuf:"bytes,4,opt,name=jsonPathExpression"`
}

// AddKeysFromTransform merges the keys of another Secret into the credentials.
type AddKeysFromTransform struct {
	// secretRef names the Secret. Its namespace, if given, must be the binding's namespace.
	// +optional
	SecretRef *ObjectReference `json:"secretRef,omitempty" protobuf:"bytes,1,opt,name=secretRef"`
}

// RemoveKeyTransform removes a credential key.
type RemoveKeyTransform struct {
	// key is the key to remove.
	Key string `json:"key" protobuf:"bytes,1,opt,name=key"`
}

// ServiceBindingOperation is an operation the controller performs on a broker binding.
// +enum
type ServiceBindingOperation string

const (
	// ServiceBindingOperationBind creates the binding at the broker.
	ServiceBindingOperationBind ServiceBindingOperation = "Bind"
	// ServiceBindingOperationUnbind deletes the binding at the broker.
	ServiceBindingOperationUnbind ServiceBindingOperation = "Unbind"
)

// ServiceBindingUnbindStatus says whether the binding must be unbound at the broker.
// +enum
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
	// conditions describe the binding. Ready is True when the Secret holds the broker's
	// credentials; its reason and message say what is happening otherwise.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" protobuf:"bytes,1,rep,name=conditions"`
	// observedGeneration is the generation of the spec the controller last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,2,opt,name=observedGeneration"`
	// currentOperation is the broker operation in progress, if any.
	// +optional
	CurrentOperation ServiceBindingOperation `json:"currentOperation,omitempty" protobuf:"bytes,3,opt,name=currentOperation,casttype=ServiceBindingOperation"`
	OperationStatus  `json:",inline" protobuf:"bytes,4,opt,name=operationStatus"`
	// inProgressProperties are the parameters of the request in flight.
	// +optional
	InProgressProperties *PropertiesState `json:"inProgressProperties,omitempty" protobuf:"bytes,5,opt,name=inProgressProperties"`
	// externalProperties are the parameters the broker last acknowledged.
	// +optional
	ExternalProperties *PropertiesState `json:"externalProperties,omitempty" protobuf:"bytes,6,opt,name=externalProperties"`
	// unbindStatus says whether deleting the binding needs a broker call.
	// +optional
	UnbindStatus ServiceBindingUnbindStatus `json:"unbindStatus,omitempty" protobuf:"bytes,7,opt,name=unbindStatus,casttype=ServiceBindingUnbindStatus"`
	// binding names the Secret holding the credentials, as the servicebinding.io
	// Provisioned Service duck type expects.
	// +optional
	Binding *LocalObjectReference `json:"binding,omitempty" protobuf:"bytes,8,opt,name=binding"`
	// credentials describes the credentials the broker handed out, beyond what the Secret
	// holds.
	// +optional
	Credentials *BindingCredentialsStatus `json:"credentials,omitempty" protobuf:"bytes,9,opt,name=credentials"`
	// bindingID is the binding_id at the broker of the credentials in the Secret:
	// spec.externalID until the first rotation.
	// +optional
	BindingID string `json:"bindingID,omitempty" protobuf:"bytes,10,opt,name=bindingID"`
	// credentialsIssuedAt is when the broker handed out the credentials in the Secret.
	// +optional
	CredentialsIssuedAt *metav1.Time `json:"credentialsIssuedAt,omitempty" protobuf:"bytes,11,opt,name=credentialsIssuedAt"`
	// rotation is the rotation in progress: the binding_id the new credentials are asked
	// under, recorded before the bind is sent.
	// +optional
	Rotation *BindingRotation `json:"rotation,omitempty" protobuf:"bytes,12,opt,name=rotation"`
	// observedRotationRequests is the spec.rotationRequests the controller last acted on.
	// +optional
	ObservedRotationRequests int64 `json:"observedRotationRequests,omitempty" protobuf:"varint,13,opt,name=observedRotationRequests"`
	// predecessors are the bindings at the broker whose credentials a rotation replaced,
	// still valid until they are unbound, after the overlap window.
	// +optional
	// +listType=atomic
	Predecessors []PredecessorBinding `json:"predecessors,omitempty" protobuf:"bytes,14,rep,name=predecessors"`
	// issuedFor is the instance's plan and parameters when the broker handed out the
	// credentials in the Secret; when the instance's differ, the Stale condition says so.
	// +optional
	IssuedFor *IssuedFor `json:"issuedFor,omitempty" protobuf:"bytes,15,opt,name=issuedFor"`
}

// IssuedFor is what an instance was when a binding's credentials were handed out.
type IssuedFor struct {
	// clusterServicePlanExternalName is the instance's plan.
	// +optional
	ClusterServicePlanExternalName string `json:"clusterServicePlanExternalName,omitempty" protobuf:"bytes,1,opt,name=clusterServicePlanExternalName"`
	// clusterServicePlanExternalID is the instance's plan_id.
	// +optional
	ClusterServicePlanExternalID string `json:"clusterServicePlanExternalID,omitempty" protobuf:"bytes,2,opt,name=clusterServicePlanExternalID"`
	// parameterChecksum is the checksum of the instance's parameters.
	// +optional
	ParameterChecksum string `json:"parameterChecksum,omitempty" protobuf:"bytes,3,opt,name=parameterChecksum"`
}

// BindingRotation is a rotation of a binding's credentials in progress.
type BindingRotation struct {
	// bindingID is the binding_id of the new credentials.
	BindingID string `json:"bindingID" protobuf:"bytes,1,opt,name=bindingID"`
	// reason says why: requested (spec.rotationRequests), renewBefore or expiring.
	Reason string `json:"reason" protobuf:"bytes,2,opt,name=reason"`
	// startTime is when the rotation started.
	StartTime metav1.Time `json:"startTime" protobuf:"bytes,3,opt,name=startTime"`
}

// PredecessorBinding is a binding at the broker whose credentials were rotated.
type PredecessorBinding struct {
	// bindingID is its binding_id at the broker.
	BindingID string `json:"bindingID" protobuf:"bytes,1,opt,name=bindingID"`
	// unbindAfter is when the controller unbinds it: the end of the overlap window.
	UnbindAfter metav1.Time `json:"unbindAfter" protobuf:"bytes,2,opt,name=unbindAfter"`
}

// BindingCredentialsStatus describes the credentials of a binding as the broker handed
// them out: when they expire, and what the broker asked of the platform besides the
// credentials themselves (the Secret holds those, and the endpoints).
type BindingCredentialsStatus struct {
	// expiresAt is when the broker said the credentials expire.
	// +optional
	ExpiresAt *metav1.Time `json:"expiresAt,omitempty" protobuf:"bytes,1,opt,name=expiresAt"`
	// renewBefore is when the broker said the credentials should be renewed.
	// +optional
	RenewBefore *metav1.Time `json:"renewBefore,omitempty" protobuf:"bytes,2,opt,name=renewBefore"`
	// syslogDrainURL is where the broker asked for the application's logs to be streamed.
	// The catalog does not stream logs; it records the request.
	// +optional
	SyslogDrainURL string `json:"syslogDrainURL,omitempty" protobuf:"bytes,3,opt,name=syslogDrainURL"`
	// routeServiceURL is where the broker asked for requests to the application to be
	// proxied. The catalog does not route requests; it records the request.
	// +optional
	RouteServiceURL string `json:"routeServiceURL,omitempty" protobuf:"bytes,4,opt,name=routeServiceURL"`
	// volumeMounts are the volumes the broker asked to mount into the application, as it
	// sent them. The catalog mounts no volumes; it records the request.
	// +optional
	// +listType=atomic
	VolumeMounts []runtime.RawExtension `json:"volumeMounts,omitempty" protobuf:"bytes,5,rep,name=volumeMounts"`
}
