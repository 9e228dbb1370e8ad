package servicebinding

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// poll asks the broker how an asynchronous bind or unbind is going. Polling stops when the
// operation ends or outlasts the plan's maximum polling duration, which counts as failed.
func (c *Controller) poll(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	status := &binding.Status
	op := status.CurrentOperation
	r, err := c.resolve(binding)
	if err != nil {
		return c.resolveFailed(ctx, binding, err)
	}
	if c.pollingExpired(binding, r.plan) {
		message := fmt.Sprintf("The broker did not finish the %s within the maximum polling duration.", lower(op))
		status.AsyncOpInProgress = false
		status.OperationKey = ""
		if op == v1beta1.ServiceBindingOperationBind {
			return c.startOrphanMitigation(ctx, binding, conditions.OperationTimedOut, message)
		}
		return c.retryLater(ctx, binding, conditions.OperationTimedOut, message)
	}
	if r.broker == nil || r.known == nil {
		return c.notReady(ctx, binding, conditions.ErrorPollingLastOperation,
			fmt.Errorf("the broker of the instance %q is not known", r.instance.Name))
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.brokerUnavailable(ctx, binding, conditions.ErrorPollingLastOperation, err)
	}
	var user *v1beta1.UserInfo
	if props := status.InProgressProperties; props != nil {
		user = props.UserInfo
	}
	request := &osb.BindingLastOperationRequest{
		InstanceID:          r.instance.Spec.ExternalID,
		BindingID:           binding.Spec.ExternalID,
		ServiceID:           r.known.ClusterServiceClassExternalID,
		PlanID:              r.known.ClusterServicePlanExternalID,
		OriginatingIdentity: identity(user),
	}
	if status.OperationKey != "" {
		request.OperationKey = &status.OperationKey
	}
	resp, err := client.PollBindingLastOperation(ctx, request)
	if err != nil {
		if osb.IsGone(err) && op == v1beta1.ServiceBindingOperationUnbind {
			return c.unbound(ctx, binding, osb.RequestIdentityOf(err))
		}
		// Any other error, a 410 during a bind included, is not an answer: polling goes
		// on until the maximum polling duration.
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		message := fmt.Sprintf("Polling the broker's %s failed: %v. Polling goes on.", lower(op), err)
		if conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.ErrorPollingLastOperation, message, binding.Generation) {
			if _, err := c.updateStatus(ctx, binding); err != nil {
				return controller.Result{}, err
			}
		}
		return controller.Result{RequeueAfter: c.pollDelay(binding, 0)}, nil
	}
	status.LastRequestIdentity = resp.RequestIdentity

	switch resp.State {
	case osb.StateSucceeded:
		status.AsyncOpInProgress = false
		status.OperationKey = ""
		if op == v1beta1.ServiceBindingOperationUnbind {
			return c.unbound(ctx, binding, resp.RequestIdentity)
		}
		// The broker holds the binding; its credentials are fetched next.
		status.ExternalProperties = status.InProgressProperties
		if r.class == nil {
			return c.notReady(ctx, binding, conditions.FetchingBindingFailed,
				fmt.Errorf("the class of the instance %q does not exist", r.instance.Name))
		}
		return c.fetchCredentials(ctx, binding, r)
	case osb.StateFailed:
		message := fmt.Sprintf("The broker's %s failed", lower(op))
		if resp.Description != nil && *resp.Description != "" {
			message += ": " + *resp.Description
		}
		message += "."
		status.AsyncOpInProgress = false
		status.OperationKey = ""
		if op == v1beta1.ServiceBindingOperationBind {
			// The broker may hold a half-made binding: delete it, then stop.
			return c.startOrphanMitigation(ctx, binding, conditions.BindFailed, message)
		}
		return c.retryLater(ctx, binding, conditions.UnbindCallFailed, message)
	}

	// Still in progress: show the broker's description, if it changed.
	reason := conditions.Binding
	if op == v1beta1.ServiceBindingOperationUnbind {
		reason = conditions.Unbinding
	}
	message := fmt.Sprintf("The broker's %s is in progress.", lower(op))
	if resp.Description != nil && *resp.Description != "" {
		message = fmt.Sprintf("The broker's %s is in progress: %s", lower(op), *resp.Description)
	}
	if conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, binding.Generation) {
		if _, err := c.updateStatus(ctx, binding); err != nil {
			return controller.Result{}, err
		}
	}
	return controller.Result{RequeueAfter: c.pollDelay(binding, resp.RetryAfter)}, nil
}

// pollDelay is the wait before the next poll of the binding's operation.
func (c *Controller) pollDelay(binding *v1beta1.ServiceBinding, retryAfter time.Duration) time.Duration {
	return c.cfg.Polling.Delay(binding.Status.OperationStartTime, c.now(), retryAfter)
}

// pollingExpired tells whether the operation outlasted the plan's maximum polling
// duration, or the controller's when the plan sets none.
func (c *Controller) pollingExpired(binding *v1beta1.ServiceBinding, plan *v1beta1.ClusterServicePlan) bool {
	var limit *metav1.Duration
	if plan != nil {
		limit = plan.Spec.MaximumPollingDuration
	}
	return c.cfg.Polling.Expired(binding.Status.OperationStartTime, c.now(), limit)
}

func lower(op v1beta1.ServiceBindingOperation) string {
	switch op {
	case v1beta1.ServiceBindingOperationBind:
		return "bind"
	case v1beta1.ServiceBindingOperationUnbind:
		return "unbind"
	}
	return "operation"
}
