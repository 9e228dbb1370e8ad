package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +genclient
// +genclient:method=Retry,verb=create,subresource=retry,input=Intervention,result=k8s.io/apimachinery/pkg/apis/meta/v1.Status
// +genclient:method=Abandon,verb=create,subresource=abandon,input=Intervention,result=k8s.io/apimachinery/pkg/apis/meta/v1.Status
// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceInstance asks a broker to provision an instance of one of its plans, such as a
// database. Changing its plan or parameters updates the instance at the broker; deleting it
// deprovisions the instance.
type ServiceInstance struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`

	// spec says which plan to provision and with which parameters.
	// +optional
	Spec ServiceInstanceSpec `json:"spec,omitempty" protobuf:"bytes,2,opt,name=spec"`
	// status reports what the broker has and what the controller is doing.
	// +optional
	Status ServiceInstanceStatus `json:"status,omitempty" protobuf:"bytes,3,opt,name=status"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceInstanceList is a list of ServiceInstances.
type ServiceInstanceList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty" protobuf:"bytes,1,opt,name=metadata"`
	// items are the instances.
	Items []ServiceInstance `json:"items" protobuf:"bytes,2,rep,name=items"`
}

// PlanReference names the class and the plan of an instance: a ClusterServiceClass and
// ClusterServicePlan (the clusterService... fields) or a ServiceClass and ServicePlan of the
// instance's namespace (the service... fields), never both. The class is named exactly one
// way: by external name, by external ID, or by Kubernetes name; the plan is named the same
// way as the class.
type PlanReference struct {
	// clusterServiceClassExternalName is the offering's name in the broker's catalog, for
	// example "postgresql". It cannot change.
	// +optional
	ClusterServiceClassExternalName string `json:"clusterServiceClassExternalName,omitempty" protobuf:"bytes,1,opt,name=clusterServiceClassExternalName"`
	// clusterServicePlanExternalName is the plan's name in the broker's catalog, for example
	// "small".
	// +optional
	ClusterServicePlanExternalName string `json:"clusterServicePlanExternalName,omitempty" protobuf:"bytes,2,opt,name=clusterServicePlanExternalName"`
	// clusterServiceClassExternalID is the offering's id in the broker's catalog. It cannot
	// change.
	// +optional
	ClusterServiceClassExternalID string `json:"clusterServiceClassExternalID,omitempty" protobuf:"bytes,3,opt,name=clusterServiceClassExternalID"`
	// clusterServicePlanExternalID is the plan's id in the broker's catalog.
	// +optional
	ClusterServicePlanExternalID string `json:"clusterServicePlanExternalID,omitempty" protobuf:"bytes,4,opt,name=clusterServicePlanExternalID"`
	// clusterServiceClassName is the Kubernetes name of the ClusterServiceClass. It cannot
	// change.
	// +optional
	ClusterServiceClassName string `json:"clusterServiceClassName,omitempty" protobuf:"bytes,5,opt,name=clusterServiceClassName"`
	// clusterServicePlanName is the Kubernetes name of the ClusterServicePlan.
	// +optional
	ClusterServicePlanName string `json:"clusterServicePlanName,omitempty" protobuf:"bytes,6,opt,name=clusterServicePlanName"`

	// serviceClassExternalName is the offering's name in the catalog of a ServiceBroker of
	// the instance's namespace. It cannot change. An instance names a ServiceClass or a
	// ClusterServiceClass, never both.
	// +optional
	ServiceClassExternalName string `json:"serviceClassExternalName,omitempty" protobuf:"bytes,7,opt,name=serviceClassExternalName"`
	// servicePlanExternalName is the plan's name in the catalog of a ServiceBroker of the
	// instance's namespace.
	// +optional
	ServicePlanExternalName string `json:"servicePlanExternalName,omitempty" protobuf:"bytes,8,opt,name=servicePlanExternalName"`
	// serviceClassExternalID is the offering's id in the catalog of a ServiceBroker of the
	// instance's namespace. It cannot change.
	// +optional
	ServiceClassExternalID string `json:"serviceClassExternalID,omitempty" protobuf:"bytes,9,opt,name=serviceClassExternalID"`
	// servicePlanExternalID is the plan's id in the catalog of a ServiceBroker of the
	// instance's namespace.
	// +optional
	ServicePlanExternalID string `json:"servicePlanExternalID,omitempty" protobuf:"bytes,10,opt,name=servicePlanExternalID"`
	// serviceClassName is the Kubernetes name of a ServiceClass of the instance's
	// namespace. It cannot change.
	// +optional
	ServiceClassName string `json:"serviceClassName,omitempty" protobuf:"bytes,11,opt,name=serviceClassName"`
	// servicePlanName is the Kubernetes name of a ServicePlan of the instance's namespace.
	// +optional
	ServicePlanName string `json:"servicePlanName,omitempty" protobuf:"bytes,12,opt,name=servicePlanName"`
}

// ServiceInstanceSpec says which plan to provision and with which parameters.
type ServiceInstanceSpec struct {
	PlanReference `json:",inline" protobuf:"bytes,1,opt,name=planReference"`

	// parameters are sent to the broker on provision and update. They must be a JSON
	// object. Do not put secrets here: use parametersFrom.
	// +optional
	Parameters *runtime.RawExtension `json:"parameters,omitempty" protobuf:"bytes,2,opt,name=parameters"`
	// parametersFrom are sources of parameters read from Secrets in the instance's
	// namespace. Their top-level keys are merged with parameters; a key given twice is an
	// error. To send changed Secret values to the broker, increment updateRequests.
	// +optional
	// +listType=atomic
	ParametersFrom []ParametersFromSource `json:"parametersFrom,omitempty" protobuf:"bytes,3,rep,name=parametersFrom"`
	// externalID is the instance_id sent to the broker. The server sets a new UUID when it
	// is empty on create; it cannot change.
	// +optional
	ExternalID string `json:"externalID,omitempty" protobuf:"bytes,4,opt,name=externalID"`
	// updateRequests is a counter a user increments to make the controller send an update
	// to the broker even though nothing else changed. It may never decrease.
	// +optional
	UpdateRequests int64 `json:"updateRequests,omitempty" protobuf:"varint,5,opt,name=updateRequests"`
	// maintenanceInfoVersion asks for a maintenance upgrade: set it to the version in
	// status.availableMaintenanceInfo (the plan's maintenance_info version in the broker's
	// catalog) and the controller sends the broker an update that applies it. Empty keeps
	// the instance on the maintenance it has.
	// +optional
	MaintenanceInfoVersion string `json:"maintenanceInfoVersion,omitempty" protobuf:"bytes,6,opt,name=maintenanceInfoVersion"`
	// userInfo is the user who last created, changed or deleted this instance, set by the
	// server; values sent by clients are replaced.
	// +optional
	UserInfo *UserInfo `json:"userInfo,omitempty" protobuf:"bytes,7,opt,name=userInfo"`
}

// ServiceInstanceOperation is an operation the controller performs on a broker instance.
// +enum
type ServiceInstanceOperation string

const (
	// ServiceInstanceOperationProvision creates the instance at the broker.
	ServiceInstanceOperationProvision ServiceInstanceOperation = "Provision"
	// ServiceInstanceOperationUpdate changes the plan or parameters at the broker.
	ServiceInstanceOperationUpdate ServiceInstanceOperation = "Update"
	// ServiceInstanceOperationDeprovision deletes the instance at the broker.
	ServiceInstanceOperationDeprovision ServiceInstanceOperation = "Deprovision"
)

// ServiceInstanceProvisionStatus says whether the broker holds the instance.
// +enum
type ServiceInstanceProvisionStatus string

const (
	// ServiceInstanceProvisionStatusProvisioned means the broker provisioned the instance.
	ServiceInstanceProvisionStatusProvisioned ServiceInstanceProvisionStatus = "Provisioned"
	// ServiceInstanceProvisionStatusNotProvisioned means the broker does not hold it.
	ServiceInstanceProvisionStatusNotProvisioned ServiceInstanceProvisionStatus = "NotProvisioned"
)

// ServiceInstanceDeprovisionStatus says whether the instance must be deprovisioned.
// +enum
type ServiceInstanceDeprovisionStatus string

const (
	// ServiceInstanceDeprovisionStatusNotRequired means the broker was never asked to
	// create the instance, so deleting it needs no broker call.
	ServiceInstanceDeprovisionStatusNotRequired ServiceInstanceDeprovisionStatus = "NotRequired"
	// ServiceInstanceDeprovisionStatusRequired means the broker may hold the instance.
	ServiceInstanceDeprovisionStatusRequired ServiceInstanceDeprovisionStatus = "Required"
	// ServiceInstanceDeprovisionStatusSucceeded means the broker deleted the instance.
	ServiceInstanceDeprovisionStatusSucceeded ServiceInstanceDeprovisionStatus = "Succeeded"
	// ServiceInstanceDeprovisionStatusFailed means deprovisioning failed for good.
	ServiceInstanceDeprovisionStatusFailed ServiceInstanceDeprovisionStatus = "Failed"
)

// ServiceInstanceStatus reports what the broker has and what the controller is doing.
type ServiceInstanceStatus struct {
	// conditions describe the instance. Ready is True when the broker holds the instance
	// as the current spec asks; its reason and message say what is happening otherwise.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty" protobuf:"bytes,1,rep,name=conditions"`
	// observedGeneration is the generation of the spec the controller last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty" protobuf:"varint,2,opt,name=observedGeneration"`
	// clusterServiceClassRef is the class the controller resolved from the spec.
	// +optional
	ClusterServiceClassRef *ClusterObjectReference `json:"clusterServiceClassRef,omitempty" protobuf:"bytes,3,opt,name=clusterServiceClassRef"`
	// clusterServicePlanRef is the plan the controller resolved from the spec.
	// +optional
	ClusterServicePlanRef *ClusterObjectReference `json:"clusterServicePlanRef,omitempty" protobuf:"bytes,4,opt,name=clusterServicePlanRef"`
	// clusterServiceBrokerName is the broker that offers the resolved class.
	// +optional
	ClusterServiceBrokerName string `json:"clusterServiceBrokerName,omitempty" protobuf:"bytes,5,opt,name=clusterServiceBrokerName"`
	// serviceClassRef is the namespaced class the controller resolved from the spec.
	// +optional
	ServiceClassRef *LocalObjectReference `json:"serviceClassRef,omitempty" protobuf:"bytes,6,opt,name=serviceClassRef"`
	// servicePlanRef is the namespaced plan the controller resolved from the spec.
	// +optional
	ServicePlanRef *LocalObjectReference `json:"servicePlanRef,omitempty" protobuf:"bytes,7,opt,name=servicePlanRef"`
	// serviceBrokerName is the ServiceBroker, in the instance's namespace, that offers the
	// resolved namespaced class.
	// +optional
	ServiceBrokerName string `json:"serviceBrokerName,omitempty" protobuf:"bytes,8,opt,name=serviceBrokerName"`
	// currentOperation is the broker operation in progress, if any.
	// +optional
	CurrentOperation ServiceInstanceOperation `json:"currentOperation,omitempty" protobuf:"bytes,9,opt,name=currentOperation,casttype=ServiceInstanceOperation"`
	OperationStatus  `json:",inline" protobuf:"bytes,10,opt,name=operationStatus"`
	// inProgressProperties are the plan and parameters of the request in flight.
	// +optional
	InProgressProperties *ServiceInstancePropertiesState `json:"inProgressProperties,omitempty" protobuf:"bytes,11,opt,name=inProgressProperties"`
	// externalProperties are the plan and parameters the broker last acknowledged.
	// +optional
	ExternalProperties *ServiceInstancePropertiesState `json:"externalProperties,omitempty" protobuf:"bytes,12,opt,name=externalProperties"`
	// provisionStatus says whether the broker holds the instance.
	// +optional
	ProvisionStatus ServiceInstanceProvisionStatus `json:"provisionStatus,omitempty" protobuf:"bytes,13,opt,name=provisionStatus,casttype=ServiceInstanceProvisionStatus"`
	// deprovisionStatus says whether deleting the instance needs a broker call.
	// +optional
	DeprovisionStatus ServiceInstanceDeprovisionStatus `json:"deprovisionStatus,omitempty" protobuf:"bytes,14,opt,name=deprovisionStatus,casttype=ServiceInstanceDeprovisionStatus"`
	// dashboardURL is the broker's URL of a dashboard for the instance.
	// +optional
	DashboardURL string `json:"dashboardURL,omitempty" protobuf:"bytes,15,opt,name=dashboardURL"`
	// instanceUsable is false when the broker said, after a failed update or deprovision,
	// that the instance cannot be used: new bindings wait until an update succeeds. It is
	// unset when the broker said nothing, which means usable.
	// +optional
	InstanceUsable *bool `json:"instanceUsable,omitempty" protobuf:"varint,16,opt,name=instanceUsable"`
	// availableMaintenanceInfo is the maintenance the plan offers that the instance does
	// not have yet. Set spec.maintenanceInfoVersion to its version to apply it.
	// +optional
	AvailableMaintenanceInfo *MaintenanceInfo `json:"availableMaintenanceInfo,omitempty" protobuf:"bytes,17,opt,name=availableMaintenanceInfo"`
	// sharedWith lists the bindings in other namespaces that bind the instance, sorted.
	// Deleting the instance waits until they are deleted.
	// +optional
	// +listType=atomic
	SharedWith []NamespacedObjectReference `json:"sharedWith,omitempty" protobuf:"bytes,18,rep,name=sharedWith"`
}

// ServiceInstancePropertiesState records the plan and parameters of a request to the broker.
type ServiceInstancePropertiesState struct {
	// clusterServiceClassExternalID is the service_id sent to the broker (of the class of
	// either scope).
	// +optional
	ClusterServiceClassExternalID string `json:"clusterServiceClassExternalID,omitempty" protobuf:"bytes,1,opt,name=clusterServiceClassExternalID"`
	// clusterServicePlanExternalName is the plan's name in the broker's catalog.
	// +optional
	ClusterServicePlanExternalName string `json:"clusterServicePlanExternalName,omitempty" protobuf:"bytes,2,opt,name=clusterServicePlanExternalName"`
	// clusterServicePlanExternalID is the plan_id sent to the broker.
	// +optional
	ClusterServicePlanExternalID string `json:"clusterServicePlanExternalID,omitempty" protobuf:"bytes,3,opt,name=clusterServicePlanExternalID"`
	// maintenanceInfoVersion is the maintenance_info version sent to the broker.
	// +optional
	MaintenanceInfoVersion string `json:"maintenanceInfoVersion,omitempty" protobuf:"bytes,4,opt,name=maintenanceInfoVersion"`
	PropertiesState        `json:",inline" protobuf:"bytes,5,opt,name=propertiesState"`
}
