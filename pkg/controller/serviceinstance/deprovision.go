package serviceinstance

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// reconcileDeletion deletes the instance at the broker, for a deleted instance or to clean
// up after a failed provision (orphan mitigation), then releases the finalizer of a
// deleted instance.
func (c *Controller) reconcileDeletion(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	status := &instance.Status
	deleting := instance.DeletionTimestamp != nil
	if deleting && !slices.Contains(instance.Finalizers, v1beta1.FinalizerServiceCatalog) {
		return controller.Result{}, nil
	}
	if deleting {
		bindings, err := c.cfg.Bindings.Informer().GetIndexer().ByIndex(indexes.ByInstance, indexes.InstanceKey(instance.Namespace, instance.Name))
		if err != nil {
			return controller.Result{}, err
		}
		if len(bindings) > 0 {
			message := fmt.Sprintf("%d bindings to the instance still exist; it is deprovisioned once they are deleted.", len(bindings))
			if conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.DeprovisionBlockedByExistingBindings, message, instance.Generation) {
				c.cfg.Recorder.Event(instance, corev1.EventTypeNormal, conditions.DeprovisionBlockedByExistingBindings, message)
				_, err := c.updateStatus(ctx, instance)
				return controller.Result{}, err
			}
			return controller.Result{}, nil
		}
	}
	switch status.DeprovisionStatus {
	case v1beta1.ServiceInstanceDeprovisionStatusNotRequired, v1beta1.ServiceInstanceDeprovisionStatusSucceeded:
		if !status.OrphanMitigationInProgress {
			return controller.Result{}, c.removeFinalizer(ctx, instance)
		}
	}
	if status.AsyncOpInProgress && status.CurrentOperation == v1beta1.ServiceInstanceOperationDeprovision {
		return c.poll(ctx, instance)
	}
	if wait := controller.Remaining(status.Attempts, c.now()); wait > 0 && status.CurrentOperation == v1beta1.ServiceInstanceOperationDeprovision {
		return controller.Result{RequeueAfter: wait}, nil
	}

	// The broker knows the instance by the ids it last acknowledged, or was last sent, or,
	// when the controller stopped before recording a first provision, by the ids the spec
	// resolves to.
	known := status.ExternalProperties
	if known == nil {
		known = status.InProgressProperties
	}
	if known == nil || known.ClusterServicePlanExternalID == "" {
		r, err := c.resolve(instance, false)
		if err != nil {
			// No provision could have been sent.
			status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusNotRequired
			return c.deprovisioned(ctx, instance, "")
		}
		setResolved(status, r)
		known = &v1beta1.ServiceInstancePropertiesState{
			ClusterServiceClassExternalID:  r.class.Spec.ExternalID,
			ClusterServicePlanExternalName: r.plan.Spec.ExternalName,
			ClusterServicePlanExternalID:   r.plan.Spec.ExternalID,
		}
	}
	broker, err := c.cfg.Brokers.Lister().Get(status.ClusterServiceBrokerName)
	if apierrors.IsNotFound(err) {
		return c.notReady(ctx, instance, conditions.ReferencesNonexistentBroker,
			fmt.Errorf("the broker %q that holds the instance no longer exists; remove the finalizer %s to abandon it", status.ClusterServiceBrokerName, v1beta1.FinalizerServiceCatalog))
	}
	if err != nil {
		return controller.Result{}, err
	}
	client, err := c.brokerClient(ctx, broker)
	if err != nil {
		return c.brokerUnavailable(ctx, instance, conditions.DeprovisionCallFailed, err)
	}

	if status.CurrentOperation != v1beta1.ServiceInstanceOperationDeprovision {
		props := known.DeepCopy()
		props.UserInfo = instance.Spec.UserInfo.DeepCopy()
		c.startOperation(status, v1beta1.ServiceInstanceOperationDeprovision, props)
		message := fmt.Sprintf("Asking broker %s to deprovision the instance.", broker.Name)
		if status.OrphanMitigationInProgress {
			message = fmt.Sprintf("Asking broker %s to delete what the failed provision may have left.", broker.Name)
		}
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.DeprovisionRequestInFlight, message, instance.Generation)
		if instance, err = c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
		status = &instance.Status
	}
	request := &osb.DeprovisionRequest{
		InstanceID:        instance.Spec.ExternalID,
		AcceptsIncomplete: true,
		ServiceID:         known.ClusterServiceClassExternalID,
		PlanID:            known.ClusterServicePlanExternalID,
	}
	if !status.OrphanMitigationInProgress {
		request.OriginatingIdentity = identity(instance.Spec.UserInfo)
	}
	resp, err := client.Deprovision(ctx, request)
	switch {
	case osb.IsGone(err):
		return c.deprovisioned(ctx, instance, osb.RequestIdentityOf(err))
	case err != nil:
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		logger(ctx, status.LastRequestIdentity).Info("Deprovision failed", "instance", instanceRef(instance), "err", err)
		reason := conditions.DeprovisionCallFailed
		message := describe(err) + "."
		if osb.IsConcurrencyError(err) {
			reason, message = conditions.BrokerBusy, "The broker is busy with another operation on the instance."
		}
		if osb.IsUnauthorized(err) {
			c.cfg.BrokerClients.Forget(broker.Name)
		}
		return c.retryLater(ctx, instance, reason, message)
	case resp.Async:
		// The maximum polling duration counts from the broker's acceptance: a DELETE sent
		// again after an attempt that failed or timed out gets its own polling window.
		accepted := metav1.NewTime(c.now())
		status.OperationStartTime = &accepted
		status.LastRequestIdentity = resp.RequestIdentity
		status.AsyncOpInProgress = true
		status.OperationKey = deref(resp.OperationKey)
		message := fmt.Sprintf("Broker %s is deprovisioning the instance (request %s).", broker.Name, resp.RequestIdentity)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.Deprovisioning, message, instance.Generation)
		c.cfg.Recorder.Event(instance, corev1.EventTypeNormal, conditions.Deprovisioning, message)
		if _, err := c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
		return controller.Result{RequeueAfter: c.pollDelay(instance, 0)}, nil
	}
	return c.deprovisioned(ctx, instance, resp.RequestIdentity)
}

// deprovisioned records that the broker no longer holds the instance. A deleted instance
// is released; after orphan mitigation, provisioning is tried again later, or not at all
// when the broker refused it for good.
func (c *Controller) deprovisioned(ctx context.Context, instance *v1beta1.ServiceInstance, requestIdentity string) (controller.Result, error) {
	status := &instance.Status
	status.LastRequestIdentity = requestIdentity
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusSucceeded
	status.ProvisionStatus = v1beta1.ServiceInstanceProvisionStatusNotProvisioned
	status.ExternalProperties = nil
	if instance.DeletionTimestamp != nil {
		c.cfg.Recorder.Eventf(instance, corev1.EventTypeNormal, "DeprovisionedSuccessfully", "The broker deprovisioned the instance (request %s).", requestIdentity)
		return controller.Result{}, c.removeFinalizer(ctx, instance)
	}

	// Orphan mitigation finished.
	status.OrphanMitigationInProgress = false
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusNotRequired
	cause := metav1.Condition{Reason: conditions.ProvisionCallFailed, Message: "The provision failed."}
	if c := apimeta.FindStatusCondition(status.Conditions, v1beta1.ConditionOrphanMitigation); c != nil {
		cause = *c
	}
	conditions.Set(&status.Conditions, v1beta1.ConditionOrphanMitigation, metav1.ConditionFalse, conditions.OrphanMitigationSuccessful,
		"The broker deleted what the failed provision may have left.", instance.Generation)
	c.cfg.Recorder.Event(instance, corev1.EventTypeNormal, conditions.OrphanMitigationSuccessful, "The broker deleted what the failed provision may have left.")
	attempts := status.Attempts
	clearOperation(status)
	if cause.Reason == conditions.ProvisionFailed {
		// The broker said the provision failed: trying again would fail again.
		return c.fail(ctx, instance, conditions.ProvisionFailed, cause.Message)
	}
	status.Attempts = attempts
	return c.retryLater(ctx, instance, cause.Reason, cause.Message)
}

// removeFinalizer lets the API server delete the instance.
func (c *Controller) removeFinalizer(ctx context.Context, instance *v1beta1.ServiceInstance) error {
	return controller.ReleaseFinalizer(ctx, c.writes, instance, FieldManager,
		c.cfg.Client.ServicecatalogV1beta1().ServiceInstances(instance.Namespace).Patch)
}
