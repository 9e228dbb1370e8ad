package serviceinstance

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

// poll asks the broker how an asynchronous operation is going. Polling stops when the
// operation ends or outlasts the plan's maximum polling duration, which counts as failed.
func (c *Controller) poll(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	status := &instance.Status
	op := status.CurrentOperation
	props := status.InProgressProperties
	if props == nil {
		props = &v1beta1.ServiceInstancePropertiesState{}
	}
	if c.pollingExpired(instance) {
		message := fmt.Sprintf("The broker did not finish the %s within the maximum polling duration.", lower(op))
		status.AsyncOpInProgress = false
		status.OperationKey = ""
		switch op {
		case v1beta1.ServiceInstanceOperationProvision:
			return c.startOrphanMitigation(ctx, instance, conditions.OperationTimedOut, message)
		case v1beta1.ServiceInstanceOperationUpdate:
			return c.fail(ctx, instance, conditions.OperationTimedOut, message)
		default:
			return c.retryLater(ctx, instance, conditions.OperationTimedOut, message)
		}
	}

	broker, err := c.cfg.Brokers.Lister().Get(status.ClusterServiceBrokerName)
	if err != nil {
		return controller.Result{}, fmt.Errorf("reading broker %s: %w", status.ClusterServiceBrokerName, err)
	}
	client, err := c.brokerClient(ctx, broker)
	if err != nil {
		return c.brokerUnavailable(ctx, instance, conditions.ErrorPollingLastOperation, err)
	}
	planID := props.ClusterServicePlanExternalID
	if op == v1beta1.ServiceInstanceOperationUpdate && status.ExternalProperties != nil {
		planID = status.ExternalProperties.ClusterServicePlanExternalID // the plan before the change
	}
	request := &osb.LastOperationRequest{
		InstanceID:          instance.Spec.ExternalID,
		ServiceID:           props.ClusterServiceClassExternalID,
		PlanID:              planID,
		OriginatingIdentity: identity(props.UserInfo),
	}
	if status.OperationKey != "" {
		request.OperationKey = &status.OperationKey
	}
	resp, err := client.PollLastOperation(ctx, request)
	if err != nil {
		if osb.IsGone(err) && op == v1beta1.ServiceInstanceOperationDeprovision {
			return c.deprovisioned(ctx, instance, osb.RequestIdentityOf(err))
		}
		// Any other error, a 410 during a create or update included, is not an answer:
		// polling goes on until the maximum polling duration.
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		message := fmt.Sprintf("Polling the broker's %s failed: %v. Polling goes on.", lower(op), err)
		if conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.ErrorPollingLastOperation, message, instance.Generation) {
			if _, err := c.updateStatus(ctx, instance); err != nil {
				return controller.Result{}, err
			}
		}
		return controller.Result{RequeueAfter: c.pollDelay(instance, 0)}, nil
	}
	status.LastRequestIdentity = resp.RequestIdentity

	switch resp.State {
	case osb.StateSucceeded:
		switch op {
		case v1beta1.ServiceInstanceOperationProvision:
			return c.provisioned(ctx, instance, resp.RequestIdentity)
		case v1beta1.ServiceInstanceOperationUpdate:
			return c.updated(ctx, instance, resp.RequestIdentity)
		default:
			return c.deprovisioned(ctx, instance, resp.RequestIdentity)
		}
	case osb.StateFailed:
		message := fmt.Sprintf("The broker's %s failed", lower(op))
		if resp.Description != nil && *resp.Description != "" {
			message += ": " + *resp.Description
		}
		message += "."
		status.AsyncOpInProgress = false
		status.OperationKey = ""
		switch op {
		case v1beta1.ServiceInstanceOperationProvision:
			// The broker may hold a half-made instance: delete it, then stop.
			return c.startOrphanMitigation(ctx, instance, conditions.ProvisionFailed, message)
		case v1beta1.ServiceInstanceOperationUpdate:
			return c.fail(ctx, instance, conditions.UpdateFailed, message+" The instance keeps its previous plan and parameters.")
		default:
			return c.retryLater(ctx, instance, conditions.DeprovisionCallFailed, message)
		}
	}

	// Still in progress: show the broker's description, if it changed.
	reason := map[v1beta1.ServiceInstanceOperation]string{
		v1beta1.ServiceInstanceOperationProvision:   conditions.Provisioning,
		v1beta1.ServiceInstanceOperationUpdate:      conditions.Updating,
		v1beta1.ServiceInstanceOperationDeprovision: conditions.Deprovisioning,
	}[op]
	message := fmt.Sprintf("The broker's %s is in progress.", lower(op))
	if resp.Description != nil && *resp.Description != "" {
		message = fmt.Sprintf("The broker's %s is in progress: %s", lower(op), *resp.Description)
	}
	if conditions.Ready(&status.Conditions, metav1.ConditionFalse, reason, message, instance.Generation) {
		if _, err := c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
	}
	return controller.Result{RequeueAfter: c.pollDelay(instance, resp.RetryAfter)}, nil
}

// pollDelay is the wait before the next poll of the instance's operation.
func (c *Controller) pollDelay(instance *v1beta1.ServiceInstance, retryAfter time.Duration) time.Duration {
	return c.cfg.Polling.Delay(instance.Status.OperationStartTime, c.now(), retryAfter)
}

// pollingExpired tells whether the operation outlasted the plan's maximum polling
// duration, or the controller's when the plan sets none.
func (c *Controller) pollingExpired(instance *v1beta1.ServiceInstance) bool {
	var limit *metav1.Duration
	if ref := instance.Status.ClusterServicePlanRef; ref != nil {
		if plan, err := c.cfg.Plans.Lister().Get(ref.Name); err == nil {
			limit = plan.Spec.MaximumPollingDuration
		}
	}
	return c.cfg.Polling.Expired(instance.Status.OperationStartTime, c.now(), limit)
}

func lower(op v1beta1.ServiceInstanceOperation) string {
	switch op {
	case v1beta1.ServiceInstanceOperationProvision:
		return "provision"
	case v1beta1.ServiceInstanceOperationUpdate:
		return "update"
	case v1beta1.ServiceInstanceOperationDeprovision:
		return "deprovision"
	}
	return "operation"
}
