package servicebinding

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// reconcileDeletion deletes the binding at the broker, for a deleted binding or to clean
// up after a failed bind (orphan mitigation), then deletes the Secret the binding controls
// and releases the finalizer of a deleted binding.
func (c *Controller) reconcileDeletion(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	status := &binding.Status
	deleting := binding.DeletionTimestamp != nil
	if deleting && !slices.Contains(binding.Finalizers, v1beta1.FinalizerServiceCatalog) {
		return controller.Result{}, nil
	}
	switch status.UnbindStatus {
	case v1beta1.ServiceBindingUnbindStatusNotRequired, v1beta1.ServiceBindingUnbindStatusSucceeded, "":
		if !status.OrphanMitigationInProgress {
			c.pending.forget(binding)
			return controller.Result{}, c.removeFinalizer(ctx, binding)
		}
	}
	if status.AsyncOpInProgress && status.CurrentOperation == v1beta1.ServiceBindingOperationUnbind {
		return c.poll(ctx, binding)
	}
	if wait := controller.Remaining(status.Attempts, c.now()); wait > 0 && status.CurrentOperation == v1beta1.ServiceBindingOperationUnbind {
		return controller.Result{RequeueAfter: wait}, nil
	}

	r, err := c.resolve(binding)
	var re *resolveError
	if errors.As(err, &re) && !recorded(status) {
		// Nothing says a bind was ever sent, and the binding's instance cannot be found: a
		// bind needs a provisioned instance, whose deletion waits for its bindings.
		return c.unbound(ctx, binding, "")
	}
	if errors.As(err, &re) {
		return c.notReady(ctx, binding, re.reason, fmt.Errorf("%s The broker may still hold the binding; remove the finalizer %s to abandon it",
			re.message, v1beta1.FinalizerServiceCatalog))
	}
	if err != nil {
		return controller.Result{}, err
	}
	if r.known == nil || r.known.ClusterServicePlanExternalID == "" || r.broker == nil {
		// The broker never held the instance, so it cannot hold a binding to it.
		return c.unbound(ctx, binding, "")
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.brokerUnavailable(ctx, binding, conditions.UnbindCallFailed, err)
	}

	if status.CurrentOperation != v1beta1.ServiceBindingOperationUnbind {
		props := status.InProgressProperties
		if props == nil {
			props = status.ExternalProperties
		}
		if props == nil {
			props = &v1beta1.PropertiesState{}
		}
		props = props.DeepCopy()
		if deleting {
			props.UserInfo = binding.Spec.UserInfo.DeepCopy()
			if !status.OrphanMitigationInProgress {
				status.Attempts = v1beta1.OperationAttempts{} // a deletion does not wait for the bind's backoff
			}
		}
		c.startOperation(status, v1beta1.ServiceBindingOperationUnbind, props)
		message := fmt.Sprintf("Asking broker %s to unbind.", r.broker.Name)
		if status.OrphanMitigationInProgress {
			message = fmt.Sprintf("Asking broker %s to delete what the failed bind may have left.", r.broker.Name)
		}
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.UnbindRequestInFlight, message, binding.Generation)
		if binding, err = c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
		status = &binding.Status
	}
	request := &osb.UnbindRequest{
		BindingID:         binding.Spec.ExternalID,
		InstanceID:        r.instance.Spec.ExternalID,
		AcceptsIncomplete: c.asyncBindings(r),
		ServiceID:         r.known.ClusterServiceClassExternalID,
		PlanID:            r.known.ClusterServicePlanExternalID,
	}
	if deleting {
		// Orphan mitigation is not a user action; a deletion is.
		request.OriginatingIdentity = identity(binding.Spec.UserInfo)
	}
	resp, err := client.Unbind(ctx, request)
	switch {
	case osb.IsGone(err):
		return c.unbound(ctx, binding, osb.RequestIdentityOf(err))
	case err != nil:
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		logger(ctx, status.LastRequestIdentity).Info("Unbind failed", "binding", bindingRef(binding), "err", err)
		reason, message := conditions.UnbindCallFailed, describe(err)+"."
		if osb.IsConcurrencyError(err) {
			reason, message = conditions.BrokerBusy, "The broker is busy with another operation on the instance or binding."
		}
		if osb.IsUnauthorized(err) {
			c.cfg.BrokerClients.Forget(r.broker.Name)
		}
		return c.retryLater(ctx, binding, reason, message)
	case resp.Async:
		status.LastRequestIdentity = resp.RequestIdentity
		status.AsyncOpInProgress = true
		status.OperationKey = deref(resp.OperationKey)
		message := fmt.Sprintf("Broker %s is unbinding (request %s).", r.broker.Name, resp.RequestIdentity)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.Unbinding, message, binding.Generation)
		c.cfg.Recorder.Event(binding, corev1.EventTypeNormal, conditions.Unbinding, message)
		if binding, err = c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
		return controller.Result{RequeueAfter: c.pollDelay(binding, 0)}, nil
	}
	return c.unbound(ctx, binding, resp.RequestIdentity)
}

// unbound records that the broker no longer holds the binding and deletes the Secret the
// binding controls. A deleted binding is released; after orphan mitigation, the bind is
// tried again later, or not at all when the broker said it failed.
func (c *Controller) unbound(ctx context.Context, binding *v1beta1.ServiceBinding, requestIdentity string) (controller.Result, error) {
	if err := deleteOwnedSecret(ctx, c.cfg.KubeClient.CoreV1(), binding); err != nil {
		return controller.Result{}, fmt.Errorf("deleting the Secret of binding %s: %w", bindingRef(binding), err)
	}
	c.pending.forget(binding)
	status := &binding.Status
	status.LastRequestIdentity = requestIdentity
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusSucceeded
	status.ExternalProperties = nil
	status.Binding = nil
	if binding.DeletionTimestamp != nil {
		c.cfg.Recorder.Eventf(binding, corev1.EventTypeNormal, conditions.UnboundSuccessfully, "The broker deleted the binding (request %s).", requestIdentity)
		return controller.Result{}, c.removeFinalizer(ctx, binding)
	}

	// Orphan mitigation finished.
	status.OrphanMitigationInProgress = false
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
	cause := metav1.Condition{Reason: conditions.BindCallFailed, Message: "The bind failed."}
	if oc := apimeta.FindStatusCondition(status.Conditions, v1beta1.ConditionOrphanMitigation); oc != nil {
		cause = *oc
	}
	const done = "The broker deleted what the failed bind may have left."
	conditions.Set(&status.Conditions, v1beta1.ConditionOrphanMitigation, metav1.ConditionFalse, conditions.OrphanMitigationSuccessful, done, binding.Generation)
	c.cfg.Recorder.Event(binding, corev1.EventTypeNormal, conditions.OrphanMitigationSuccessful, done)
	attempts := status.Attempts
	clearOperation(status)
	switch cause.Reason {
	case conditions.BindFailed:
		// The broker said the bind failed: trying again would fail again.
		return c.fail(ctx, binding, conditions.BindFailed, cause.Message)
	case conditions.BindResultLost:
		// Not a broker failure: bind again at once.
		status.Attempts = v1beta1.OperationAttempts{}
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.BindResultLost, cause.Message+" Binding again.", binding.Generation)
		if _, err := c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
		return controller.Result{RequeueAfter: 1}, nil
	}
	status.Attempts = attempts
	return c.retryLater(ctx, binding, cause.Reason, cause.Message)
}

// removeFinalizer lets the API server delete the binding.
func (c *Controller) removeFinalizer(ctx context.Context, binding *v1beta1.ServiceBinding) error {
	return controller.ReleaseFinalizer(ctx, c.writes, binding, FieldManager,
		c.cfg.Client.ServicecatalogV1beta1().ServiceBindings(binding.Namespace).Patch)
}

// recorded tells whether the status names a bind or unbind request that was sent.
func recorded(status *v1beta1.ServiceBindingStatus) bool {
	return status.CurrentOperation != "" || status.InProgressProperties != nil || status.ExternalProperties != nil
}
