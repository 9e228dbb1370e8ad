// Package conditions holds the condition reasons the controllers set, one documented set
// (docs/conditions.md), and helpers to set conditions without needless writes.
package conditions

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// Reasons of broker conditions.
const (
	// FetchedCatalog: the catalog was fetched and published.
	FetchedCatalog = "FetchedCatalog"
	// ErrorFetchingCatalog: the broker could not be reached or answered with an error.
	ErrorFetchingCatalog = "ErrorFetchingCatalog"
	// ErrorGettingAuthCredentials: the Secret named in authInfo is missing or incomplete.
	ErrorGettingAuthCredentials = "ErrorGettingAuthCredentials"
	// BrokerAuthenticationFailed: the broker answered 401 Unauthorized.
	BrokerAuthenticationFailed = "BrokerAuthenticationFailed"
	// BrokerAPIVersionRejected: the broker answered 412 Precondition Failed to the OSB API
	// version; set spec.osbAPIVersion to one it accepts.
	BrokerAPIVersionRejected = "BrokerAPIVersionRejected"
	// ErrorSyncingCatalog: publishing the classes and plans failed.
	ErrorSyncingCatalog = "ErrorSyncingCatalog"
	// DeletionBlockedByInstances: the broker is being deleted but instances of its plans
	// still exist; they must be deleted first.
	DeletionBlockedByInstances = "DeletionBlockedByInstances"
)

// Reasons of instance conditions.
const (
	// ReferencesNonexistentServiceClass: no class matches the spec.
	ReferencesNonexistentServiceClass = "ReferencesNonexistentServiceClass"
	// ReferencesNonexistentServicePlan: no plan of the class matches the spec.
	ReferencesNonexistentServicePlan = "ReferencesNonexistentServicePlan"
	// BrokerHeldInstance: the broker already held the instance when the controller asked
	// for it (an answer was lost), maybe from an earlier request; an update brings it to
	// the spec, and the instance is Ready once the broker accepted that.
	BrokerHeldInstance = "BrokerHeldInstance"
	// UnsupportedPlatformFeature: the class requires a platform feature the service
	// catalog does not serve (route_forwarding, syslog_drain, volume_mount). Nothing is
	// sent to the broker; the instance (or binding) is Failed.
	UnsupportedPlatformFeature = "UnsupportedPlatformFeature"
	// ReferencesNonexistentBroker: the class's broker does not exist.
	ReferencesNonexistentBroker = "ReferencesNonexistentBroker"
	// BrokerBeingDeleted: the class's broker is being deleted; new instances of its plans
	// are refused, as they would keep the broker from going.
	BrokerBeingDeleted = "BrokerBeingDeleted"
	// ReferencesRemovedServiceClass: the broker no longer offers the class.
	ReferencesRemovedServiceClass = "ReferencesRemovedServiceClass"
	// ReferencesRemovedServicePlan: the broker no longer offers the plan.
	ReferencesRemovedServicePlan = "ReferencesRemovedServicePlan"
	// ErrorWithParameters: parametersFrom names a missing Secret or key, a value is not a
	// JSON object, or a parameter is given twice. Nothing is sent to the broker.
	ErrorWithParameters = "ErrorWithParameters"
	// ProvisionRequestInFlight: the provision request is being sent.
	ProvisionRequestInFlight = "ProvisionRequestInFlight"
	// Provisioning: the broker is provisioning asynchronously.
	Provisioning = "Provisioning"
	// ProvisionedSuccessfully: the broker provisioned the instance.
	ProvisionedSuccessfully = "ProvisionedSuccessfully"
	// ProvisionCallFailed: the provision request failed and will be retried.
	ProvisionCallFailed = "ProvisionCallFailed"
	// ProvisionFailed: the broker refused the provision request; it is not retried until
	// the spec changes.
	ProvisionFailed = "ProvisionFailed"
	// UpdateRequestInFlight: the update request is being sent.
	UpdateRequestInFlight = "UpdateRequestInFlight"
	// Updating: the broker is updating asynchronously.
	Updating = "Updating"
	// UpdatedSuccessfully: the broker applied the update.
	UpdatedSuccessfully = "UpdatedSuccessfully"
	// UpdateCallFailed: the update request failed and will be retried.
	UpdateCallFailed = "UpdateCallFailed"
	// UpdateFailed: the broker refused the update; it is not retried until the spec
	// changes. The instance keeps its previous plan and parameters.
	UpdateFailed = "UpdateFailed"
	// MaintenanceNotOffered: spec.maintenanceInfoVersion asks for a maintenance version the
	// plan does not offer in the broker's catalog. Nothing is sent to the broker.
	MaintenanceNotOffered = "MaintenanceNotOffered"
	// BindInProgress: the update waits for the broker to finish an operation on a binding
	// of the instance; one operation at a time on an instance.
	BindInProgress = "BindInProgress"
	// PlanChangeNotAllowed: the current plan cannot be changed to another.
	PlanChangeNotAllowed = "PlanChangeNotAllowed"
	// DeprovisionRequestInFlight: the deprovision request is being sent.
	DeprovisionRequestInFlight = "DeprovisionRequestInFlight"
	// Deprovisioning: the broker is deprovisioning asynchronously.
	Deprovisioning = "Deprovisioning"
	// DeprovisionCallFailed: the deprovision request failed and will be retried.
	DeprovisionCallFailed = "DeprovisionCallFailed"
	// DeprovisionBlockedByExistingBindings: bindings to the instance must be deleted first.
	DeprovisionBlockedByExistingBindings = "DeprovisionBlockedByExistingBindings"
	// OrphanMitigationInProgress: a failed provision may have left something at the
	// broker, which is being deleted.
	OrphanMitigationInProgress = "OrphanMitigationInProgress"
	// OrphanMitigationSuccessful: what a failed provision may have left was deleted.
	OrphanMitigationSuccessful = "OrphanMitigationSuccessful"
	// ErrorPollingLastOperation: polling an asynchronous operation failed; polling goes on.
	ErrorPollingLastOperation = "ErrorPollingLastOperation"
	// OperationTimedOut: an asynchronous operation outlasted the plan's maximum polling
	// duration and counts as failed.
	OperationTimedOut = "OperationTimedOut"
	// DeleteFailed: the broker refused to deprovision the instance (or unbind the binding)
	// for longer than the retry window; the controller stopped trying, and the message says
	// how to ask for a new attempt.
	DeleteFailed = "DeleteFailed"
	// Abandoned (an event): a user let the object go without the broker through the
	// abandon subresource; the broker may still hold what it stood for.
	Abandoned = "Abandoned"
	// CredentialsRotated: a rotation put new credentials into the binding's Secret; the
	// previous binding is unbound after the overlap window.
	CredentialsRotated = "CredentialsRotated"
	// RotationFailed: the bind of new credentials failed; the credentials in the Secret
	// stay valid and the rotation is tried again.
	RotationFailed = "RotationFailed"
	// ClassNotOfferedHere: the broker's namespaceSelector does not match the instance's
	// namespace; nothing was sent. The API refuses such instances when it knows the class.
	ClassNotOfferedHere = "ClassNotOfferedHere"
	// InstanceChanged (the Stale condition of a binding): the instance's plan or
	// parameters changed since the credentials were handed out.
	InstanceChanged = "InstanceChanged"
	// Adopted (an event): the instance the broker held under spec.externalID was adopted
	// (the adopt annotation); no provision was sent.
	Adopted = "Adopted"
	// AdoptionFailed: the instance to adopt cannot be fetched, the broker does not hold it,
	// or it holds it with another class or plan than the spec's; nothing was sent.
	AdoptionFailed = "AdoptionFailed"
	// NotFoundAtBroker: asked whether it still holds a Ready object, the broker answered
	// 404 (the BrokerResourceMissing condition).
	NotFoundAtBroker = "NotFoundAtBroker"
	// FoundAtBroker: the broker holds again an object it had said it did not hold.
	FoundAtBroker = "FoundAtBroker"
	// BrokerBusy: the broker answered ConcurrencyError; the request is retried once the
	// broker's other operation on the instance finished.
	BrokerBusy = "BrokerBusy"
)

// Reasons of binding conditions. Bindings also use ErrorWithParameters,
// UnsupportedPlatformFeature, ReferencesNonexistentBroker, ErrorPollingLastOperation, OperationTimedOut, BrokerBusy,
// OrphanMitigationInProgress and OrphanMitigationSuccessful, with the same meaning.
const (
	// ReferencesNonexistentInstance: the instance the binding names does not exist. The
	// binding waits for it; a deleted binding whose instance is gone cannot be unbound.
	ReferencesNonexistentInstance = "ReferencesNonexistentInstance"
	// ErrorInstanceNotReady: the instance is not provisioned, is being changed or deleted,
	// or is not Ready; the bind request waits until it is.
	ErrorInstanceNotReady = "ErrorInstanceNotReady"
	// ErrorNonbindableServiceClass: the instance's plan (or, when the plan does not say,
	// its class) is not bindable. Nothing is sent to the broker; the binding is Failed.
	ErrorNonbindableServiceClass = "ErrorNonbindableServiceClass"
	// ErrorSecretExists: a Secret with the binding's secretName exists and is not
	// controlled by the binding. It is left untouched; the binding waits until it is gone.
	ErrorSecretExists = "ErrorSecretExists"
	// BindRequestInFlight: the bind request is being sent.
	BindRequestInFlight = "BindRequestInFlight"
	// Binding: the broker is binding asynchronously.
	Binding = "Binding"
	// InjectedBindResult: the broker bound the instance and the credentials are in the
	// binding's Secret.
	InjectedBindResult = "InjectedBindResult"
	// BindCallFailed: the bind request failed and will be retried.
	BindCallFailed = "BindCallFailed"
	// BindFailed: the broker refused the bind request, or its asynchronous bind failed; it
	// is not retried. A binding's spec cannot change: delete it and create a new one.
	BindFailed = "BindFailed"
	// FetchingBindingFailed: fetching the credentials of a finished binding (GET binding)
	// failed and will be retried.
	FetchingBindingFailed = "FetchingBindingFailed"
	// BindResultLost: the broker bound the instance, but the controller lost the
	// credentials before writing the Secret and the broker cannot hand them out again;
	// the binding is deleted at the broker and made again.
	BindResultLost = "BindResultLost"
	// SecretMissing: the binding's credentials Secret was deleted by hand; it is written
	// again, with credentials fetched from the broker or from a new binding.
	SecretMissing = "SecretMissing"
	// ErrorInjectingBindResult: the credentials Secret cannot be written. When the
	// secretTransforms cannot be applied to the broker's credentials, or the credentials
	// have keys a Secret cannot hold, the binding is Failed; otherwise the write is retried.
	ErrorInjectingBindResult = "ErrorInjectingBindResult"
	// UnbindRequestInFlight: the unbind request is being sent.
	UnbindRequestInFlight = "UnbindRequestInFlight"
	// Unbinding: the broker is unbinding asynchronously.
	Unbinding = "Unbinding"
	// UnbindCallFailed: the unbind request failed and will be retried.
	UnbindCallFailed = "UnbindCallFailed"
	// UnboundSuccessfully: the broker deleted the binding (an event; the object then goes).
	UnboundSuccessfully = "UnboundSuccessfully"
)

// Set sets a condition of an object at the given generation. It returns whether anything
// changed, so that callers skip writes that would change nothing.
func Set(conditions *[]metav1.Condition, conditionType string, status metav1.ConditionStatus, reason, message string, generation int64) bool {
	existing := meta.FindStatusCondition(*conditions, conditionType)
	if existing != nil && existing.Status == status && existing.Reason == reason &&
		existing.Message == message && existing.ObservedGeneration == generation {
		return false
	}
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type: conditionType, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
	})
	return true
}

// Ready sets the Ready condition.
func Ready(conditions *[]metav1.Condition, status metav1.ConditionStatus, reason, message string, generation int64) bool {
	return Set(conditions, v1beta1.ConditionReady, status, reason, message, generation)
}

// Failed sets the Failed condition to True: the controller stopped retrying.
func Failed(conditions *[]metav1.Condition, reason, message string, generation int64) bool {
	return Set(conditions, v1beta1.ConditionFailed, metav1.ConditionTrue, reason, message, generation)
}

// ClearFailed removes the Failed condition.
func ClearFailed(conditions *[]metav1.Condition) bool {
	return meta.RemoveStatusCondition(conditions, v1beta1.ConditionFailed)
}

// IsFailed tells whether the Failed condition is True for the given generation.
func IsFailed(conditions []metav1.Condition, generation int64) bool {
	c := meta.FindStatusCondition(conditions, v1beta1.ConditionFailed)
	return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == generation
}
