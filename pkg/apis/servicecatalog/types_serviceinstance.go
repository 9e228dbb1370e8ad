package servicecatalog

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceInstance asks a broker to provision an instance of one of its plans, such as a
// database. Changing its plan or parameters updates the instance at the broker; deleting it
// deprovisions the instance.
type ServiceInstance struct {
	metav1.TypeMeta
	// metadata is the standard object metadata.
	metav1.ObjectMeta

	// Spec says which plan to provision and with which parameters.
	Spec ServiceInstanceSpec
	// Status reports what the broker has and what the controller is doing.
	Status ServiceInstanceStatus
}

// +k8s:deepcopy-gen:interfaces=k8s.io/apimachinery/pkg/runtime.Object

// ServiceInstanceList is a list of ServiceInstances.
type ServiceInstanceList struct {
	metav1.TypeMeta
	// metadata is the standard list metadata.
	metav1.ListMeta
	// Items are the instances.
	Items []ServiceInstance
}

// PlanReference names the class and the plan of an instance. The class is named exactly
// one way: by external name, by external ID, or by Kubernetes name; the plan is named the
// same way as the class.
type PlanReference struct {
	// ClusterServiceClassExternalName is the offering's name in the broker's catalog, for
	// example "postgresql". It cannot change.
	ClusterServiceClassExternalName string
	// ClusterServicePlanExternalName is the plan's name in the broker's catalog, for example
	// "small".
	ClusterServicePlanExternalName string
	// ClusterServiceClassExternalID is the offering's id in the broker's catalog. It cannot
	// change.
	ClusterServiceClassExternalID string
	// ClusterServicePlanExternalID is the plan's id in the broker's catalog.
	ClusterServicePlanExternalID string
	// ClusterServiceClassName is the Kubernetes name of the ClusterServiceClass. It cannot
	// change.
	ClusterServiceClassName string
	// ClusterServicePlanName is the Kubernetes name of the ClusterServicePlan.
	ClusterServicePlanName string

	// ServiceClassExternalName is the offering's name in the catalog of a ServiceBroker of
	// the instance's namespace. It cannot change.
	ServiceClassExternalName string
	// ServicePlanExternalName is the plan's name in the catalog of a ServiceBroker of the
	// instance's namespace.
	ServicePlanExternalName string
	// ServiceClassExternalID is the offering's id in the catalog of a ServiceBroker of the
	// instance's namespace. It cannot change.
	ServiceClassExternalID string
	// ServicePlanExternalID is the plan's id in the catalog of a ServiceBroker of the
	// instance's namespace.
	ServicePlanExternalID string
	// ServiceClassName is the Kubernetes name of a ServiceClass of the instance's
	// namespace. It cannot change.
	ServiceClassName string
	// ServicePlanName is the Kubernetes name of a ServicePlan of the instance's namespace.
	ServicePlanName string
}

// ServiceInstanceSpec says which plan to provision and with which parameters.
type ServiceInstanceSpec struct {
	PlanReference

	// Parameters are sent to the broker on provision and update. They must be a JSON
	// object. Do not put secrets here: use parametersFrom.
	Parameters *runtime.RawExtension
	// ParametersFrom are sources of parameters read from Secrets in the instance's
	// namespace. Their top-level keys are merged with parameters; a key given twice is an
	// error. To send changed Secret values to the broker, increment updateRequests.
	ParametersFrom []ParametersFromSource
	// ExternalID is the instance_id sent to the broker. The server sets a new UUID when it
	// is empty on create; it cannot change.
	ExternalID string
	// UpdateRequests is a counter a user increments to make the controller send an update
	// to the broker even though nothing else changed. It may never decrease.
	UpdateRequests int64
	// MaintenanceInfoVersion asks for a maintenance upgrade to this version of the plan's
	// maintenance_info; empty keeps the instance on the maintenance it has.
	MaintenanceInfoVersion string
	// UserInfo is the user who last created, changed or deleted this instance, set by the
	// server; values sent by clients are replaced.
	UserInfo *UserInfo
}

// ServiceInstanceOperation is an operation the controller performs on a broker instance.
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
type ServiceInstanceProvisionStatus string

const (
	// ServiceInstanceProvisionStatusProvisioned means the broker provisioned the instance.
	ServiceInstanceProvisionStatusProvisioned ServiceInstanceProvisionStatus = "Provisioned"
	// ServiceInstanceProvisionStatusNotProvisioned means the broker does not hold it.
	ServiceInstanceProvisionStatusNotProvisioned ServiceInstanceProvisionStatus = "NotProvisioned"
)

// ServiceInstanceDeprovisionStatus says whether the instance must be deprovisioned.
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
	// Conditions describe the instance. Ready is True when the broker holds the instance
	// as the current spec asks; its reason and message say what is happening otherwise.
	Conditions []metav1.Condition
	// ObservedGeneration is the generation of the spec the controller last acted on.
	ObservedGeneration int64
	// ClusterServiceClassRef is the class the controller resolved from the spec.
	ClusterServiceClassRef *ClusterObjectReference
	// ClusterServicePlanRef is the plan the controller resolved from the spec.
	ClusterServicePlanRef *ClusterObjectReference
	// ClusterServiceBrokerName is the broker that offers the resolved class.
	ClusterServiceBrokerName string
	// ServiceClassRef is the namespaced class the controller resolved from the spec.
	ServiceClassRef *LocalObjectReference
	// ServicePlanRef is the namespaced plan the controller resolved from the spec.
	ServicePlanRef *LocalObjectReference
	// ServiceBrokerName is the ServiceBroker that offers the resolved namespaced class.
	ServiceBrokerName string
	// CurrentOperation is the broker operation in progress, if any.
	CurrentOperation ServiceInstanceOperation
	// OperationStatus follows the operation in progress.
	OperationStatus
	// InProgressProperties are the plan and parameters of the request in flight.
	InProgressProperties *ServiceInstancePropertiesState
	// ExternalProperties are the plan and parameters the broker last acknowledged.
	ExternalProperties *ServiceInstancePropertiesState
	// ProvisionStatus says whether the broker holds the instance.
	ProvisionStatus ServiceInstanceProvisionStatus
	// DeprovisionStatus says whether deleting the instance needs a broker call.
	DeprovisionStatus ServiceInstanceDeprovisionStatus
	// DashboardURL is the broker's URL of a dashboard for the instance.
	DashboardURL string
	// InstanceUsable is false when the broker said the instance cannot be used.
	InstanceUsable *bool
	// AvailableMaintenanceInfo is the maintenance the plan offers that the instance does
	// not have yet.
	AvailableMaintenanceInfo *MaintenanceInfo
	// SharedWith lists the bindings in other namespaces that bind the instance.
	SharedWith []NamespacedObjectReference
}

// ServiceInstancePropertiesState records the plan and parameters of a request to the broker.
type ServiceInstancePropertiesState struct {
	// ClusterServiceClassExternalID is the service_id sent to the broker.
	ClusterServiceClassExternalID string
	// ClusterServicePlanExternalName is the plan's name in the broker's catalog.
	ClusterServicePlanExternalName string
	// ClusterServicePlanExternalID is the plan_id sent to the broker.
	ClusterServicePlanExternalID string
	// MaintenanceInfoVersion is the maintenance_info version sent to the broker.
	MaintenanceInfoVersion string
	PropertiesState
}
