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
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec says which plan to provision and with which parameters.
	// +optional
	Spec ServiceInstanceSpec `json:"spec,omitempty"`
	// status reports what the broker has and what the controller is doing.
	// +optional
	Status ServiceInstanceStatus `json:"status,omitempty"`
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceInstanceList is a list of ServiceInstances.
type ServiceInstanceList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the instances.
	Items []ServiceInstance `json:"items"`
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
	ClusterServiceClassExternalName string `json:"clusterServiceClassExternalName,omitempty"`
	// clusterServicePlanExternalName is the plan's name in the broker's catalog, for example
	// "small".
	// +optional
	ClusterServicePlanExternalName string `json:"clusterServicePlanExternalName,omitempty"`
	// clusterServiceClassExternalID is the offering's id in the broker's catalog. It cannot
	// change.
	// +optional
	ClusterServiceClassExternalID string `json:"clusterServiceClassExternalID,omitempty"`
	// clusterServicePlanExternalID is the plan's id in the broker's catalog.
	// +optional
	ClusterServicePlanExternalID string `json:"clusterServicePlanExternalID,omitempty"`
	// clusterServiceClassName is the Kubernetes name of the ClusterServiceClass. It cannot
	// change.
	// +optional
	ClusterServiceClassName string `json:"clusterServiceClassName,omitempty"`
	// clusterServicePlanName is the Kubernetes name of the ClusterServicePlan.
	// +optional
	ClusterServicePlanName string `json:"clusterServicePlanName,omitempty"`

	// serviceClassExternalName is the offering's name in the catalog of a ServiceBroker of
	// the instance's namespace. It cannot change. An instance names a ServiceClass or a
	// ClusterServiceClass, never both.
	// +optional
	ServiceClassExternalName string `json:"serviceClassExternalName,omitempty"`
	// servicePlanExternalName is the plan's name in the catalog of a ServiceBroker of the
	// instance's namespace.
	// +optional
	ServicePlanExternalName string `json:"servicePlanExternalName,omitempty"`
	// serviceClassExternalID is the offering's id in the catalog of a ServiceBroker of the
	// instance's namespace. It cannot change.
	// +optional
	ServiceClassExternalID string `json:"serviceClassExternalID,omitempty"`
	// servicePlanExternalID is the plan's id in the catalog of a ServiceBroker of the
	// instance's namespace.
	// +optional
	ServicePlanExternalID string `json:"servicePlanExternalID,omitempty"`
	// serviceClassName is the Kubernetes name of a ServiceClass of the instance's
	// namespace. It cannot change.
	// +optional
	ServiceClassName string `json:"serviceClassName,omitempty"`
	// servicePlanName is the Kubernetes name of a ServicePlan of the instance's namespace.
	// +optional
	ServicePlanName string `json:"servicePlanName,omitempty"`
}

// ServiceInstanceSpec says which plan to provision and with which parameters.
type ServiceInstanceSpec struct {
	PlanReference `json:",inline"`

	// parameters are sent to the broker on provision and update. They must be a JSON
	// object. Do not put secrets here: use parametersFrom.
	// +optional
	Parameters *runtime.RawExtension `json:"parameters,omitempty"`
	// parametersFrom are sources of parameters read from Secrets in the instance's
	// namespace. Their top-level keys are merged with parameters; a key given twice is an
	// error. To send changed Secret values to the broker, increment updateRequests.
	// +optional
	// +listType=atomic
	ParametersFrom []ParametersFromSource `json:"parametersFrom,omitempty"`
	// externalID is the instance_id sent to the broker. The server sets a new UUID when it
	// is empty on create; it cannot change.
	// +optional
	ExternalID string `json:"externalID,omitempty"`
	// updateRequests is a counter a user increments to make the controller send an update
	// to the broker even though nothing else changed. It may never decrease.
	// +optional
	UpdateRequests int64 `json:"updateRequests,omitempty"`
	// maintenanceInfoVersion asks for a maintenance upgrade: set it to the version in
	// status.availableMaintenanceInfo (the plan's maintenance_info version in the broker's
	// catalog) and the controller sends the broker an update that applies it. Empty keeps
	// the instance on the maintenance it has.
	// +optional
	MaintenanceInfoVersion string `json:"maintenanceInfoVersion,omitempty"`
	// userInfo is the user who last created, changed or deleted this instance, set by the
	// server; values sent by clients are replaced.
	// +optional
	UserInfo *UserInfo `json:"userInfo,omitempty"`
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
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// observedGeneration is the generation of the spec the controller last acted on.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// clusterServiceClassRef is the class the controller resolved from the spec.
	// +optional
	ClusterServiceClassRef *ClusterObjectReference `json:"clusterServiceClassRef,omitempty"`
	// clusterServicePlanRef is the plan the controller resolved from the spec.
	// +optional
	ClusterServicePlanRef *ClusterObjectReference `json:"clusterServicePlanRef,omitempty"`
	// clusterServiceBrokerName is the broker that offers the resolved class.
	// +optional
	ClusterServiceBrokerName string `json:"clusterServiceBrokerName,omitempty"`
	// serviceClassRef is the namespaced class the controller resolved from the spec.
	// +optional
	ServiceClassRef *LocalObjectReference `json:"serviceClassRef,omitempty"`
	// servicePlanRef is the namespaced plan the controller resolved from the spec.
	// +optional
	ServicePlanRef *LocalObjectReference `json:"servicePlanRef,omitempty"`
	// serviceBrokerName is the ServiceBroker, in the instance's namespace, that offers the
	// resolved namespaced class.
	// +optional
	ServiceBrokerName string `json:"serviceBrokerName,omitempty"`
	// currentOperation is the broker operation in progress, if any.
	// +optional
	CurrentOperation ServiceInstanceOperation `json:"currentOperation,omitempty"`
	OperationStatus  `json:",inline"`
	// inProgressProperties are the plan and parameters of the request in flight.
	// +optional
	InProgressProperties *ServiceInstancePropertiesState `json:"inProgressProperties,omitempty"`
	// externalProperties are the plan and parameters the broker last acknowledged.
	// +optional
	ExternalProperties *ServiceInstancePropertiesState `json:"externalProperties,omitempty"`
	// provisionStatus says whether the broker holds the instance.
	// +optional
	ProvisionStatus ServiceInstanceProvisionStatus `json:"provisionStatus,omitempty"`
	// deprovisionStatus says whether deleting the instance needs a broker call.
	// +optional
	DeprovisionStatus ServiceInstanceDeprovisionStatus `json:"deprovisionStatus,omitempty"`
	// dashboardURL is the broker's URL of a dashboard for the instance.
	// +optional
	DashboardURL string `json:"dashboardURL,omitempty"`
	// instanceUsable is false when the broker said, after a failed update or deprovision,
	// that the instance cannot be used: new bindings wait until an update succeeds. It is
	// unset when the broker said nothing, which means usable.
	// +optional
	InstanceUsable *bool `json:"instanceUsable,omitempty"`
	// availableMaintenanceInfo is the maintenance the plan offers that the instance does
	// not have yet. Set spec.maintenanceInfoVersion to its version to apply it.
	// +optional
	AvailableMaintenanceInfo *MaintenanceInfo `json:"availableMaintenanceInfo,omitempty"`
	// sharedWith lists the bindings in other namespaces that bind the instance, sorted.
	// Deleting the instance waits until they are deleted.
	// +optional
	// +listType=atomic
	SharedWith []NamespacedObjectReference `json:"sharedWith,omitempty"`
}

// ServiceInstancePropertiesState records the plan and parameters of a request to the broker.
type ServiceInstancePropertiesState struct {
	// clusterServiceClassExternalID is the service_id sent to the broker (of the class of
	// either scope).
	// +optional
	ClusterServiceClassExternalID string `json:"clusterServiceClassExternalID,omitempty"`
	// clusterServicePlanExternalName is the plan's name in the broker's catalog.
	// +optional
	ClusterServicePlanExternalName string `json:"clusterServicePlanExternalName,omitempty"`
	// clusterServicePlanExternalID is the plan_id sent to the broker.
	// +optional
	ClusterServicePlanExternalID string `json:"clusterServicePlanExternalID,omitempty"`
	// maintenanceInfoVersion is the maintenance_info version sent to the broker.
	// +optional
	MaintenanceInfoVersion string `json:"maintenanceInfoVersion,omitempty"`
	PropertiesState        `json:",inline"`
}
