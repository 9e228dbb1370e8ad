package serviceinstance

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// poll asks the broker how an asynchronous operation is going.
func (c *Controller) poll(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	return c.ops.Poll(ctx, instance, c.pollOf(instance))
}

// pollOf describes a poll of the instance's operation in progress, and what its end means.
func (c *Controller) pollOf(instance *v1beta1.ServiceInstance) operation.Poll {
	status := &instance.Status
	op := status.CurrentOperation
	mitigating := status.OrphanMitigationInProgress && instance.DeletionTimestamp == nil
	return operation.Poll{
		Verb:       lower(op),
		InProgress: deleteReason(mitigating, inProgressReasons[op]),
		Deletes:    op == v1beta1.ServiceInstanceOperationDeprovision,
		Limit:      c.pollingLimit(instance),
		Client: func(ctx context.Context) (osb.Client, error) {
			broker, err := c.statusBroker(instance)
			if err != nil {
				return nil, fmt.Errorf("reading broker %s: %w", indexes.Resolved(instance).BrokerName, err)
			}
			return c.cfg.BrokerClients.ClientFor(ctx, broker)
		},
		Send: func(ctx context.Context, client osb.Client, key *string) (*osb.LastOperationResponse, error) {
			return client.PollLastOperation(ctx, lastOperationRequest(instance, key))
		},
		Succeeded: func(ctx context.Context, requestIdentity string) (controller.Result, error) {
			switch op {
			case v1beta1.ServiceInstanceOperationProvision:
				return c.provisioned(ctx, instance, requestIdentity)
			case v1beta1.ServiceInstanceOperationUpdate:
				return c.updated(ctx, instance, requestIdentity)
			}
			return c.deprovisioned(ctx, instance, requestIdentity)
		},
		Failed: func(ctx context.Context, message string, usable *bool) (controller.Result, error) {
			if op != v1beta1.ServiceInstanceOperationProvision {
				instance.Status.InstanceUsable = usable
			}
			return c.operationFailed(ctx, instance, deleteReason(mitigating, failedReasons[op]), message)
		},
		Expired: func(ctx context.Context, message string) (controller.Result, error) {
			return c.operationFailed(ctx, instance, deleteReason(mitigating, conditions.OperationTimedOut), message)
		},
	}
}

// lastOperationRequest asks for the state of the instance's operation. An update is
// polled with the plan before the change.
func lastOperationRequest(instance *v1beta1.ServiceInstance, key *string) *osb.LastOperationRequest {
	status := &instance.Status
	props := status.InProgressProperties
	if props == nil {
		props = &v1beta1.ServiceInstancePropertiesState{}
	}
	planID := props.ClusterServicePlanExternalID
	if status.CurrentOperation == v1beta1.ServiceInstanceOperationUpdate && status.ExternalProperties != nil {
		planID = status.ExternalProperties.ClusterServicePlanExternalID
	}
	return &osb.LastOperationRequest{
		InstanceID:          instance.Spec.ExternalID,
		ServiceID:           props.ClusterServiceClassExternalID,
		PlanID:              planID,
		OperationKey:        key,
		OriginatingIdentity: operation.Identity(props.UserInfo),
	}
}

// operationFailed handles an asynchronous operation that failed or outlasted its polling
// duration: a provision may have left a half-made instance, which is deleted, then the
// instance stops; an update stops, the instance keeping its previous plan and
// parameters; a deprovision is tried again later.
func (c *Controller) operationFailed(ctx context.Context, instance *v1beta1.ServiceInstance, reason, message string) (controller.Result, error) {
	switch instance.Status.CurrentOperation {
	case v1beta1.ServiceInstanceOperationProvision:
		return c.startOrphanMitigation(ctx, instance, reason, message)
	case v1beta1.ServiceInstanceOperationUpdate:
		if reason == conditions.UpdateFailed {
			message += " The instance keeps its previous plan and parameters."
		}
		return c.ops.Fail(ctx, instance, reason, message)
	}
	return c.ops.RetryDelete(ctx, instance, deprovisioner{c}, reason, message, reason != conditions.OperationTimedOut)
}

// Ready reasons of operations in progress and of failed operations.
var (
	inProgressReasons = map[v1beta1.ServiceInstanceOperation]string{
		v1beta1.ServiceInstanceOperationProvision:   conditions.Provisioning,
		v1beta1.ServiceInstanceOperationUpdate:      conditions.Updating,
		v1beta1.ServiceInstanceOperationDeprovision: conditions.Deprovisioning,
	}
	failedReasons = map[v1beta1.ServiceInstanceOperation]string{
		v1beta1.ServiceInstanceOperationProvision:   conditions.ProvisionFailed,
		v1beta1.ServiceInstanceOperationUpdate:      conditions.UpdateFailed,
		v1beta1.ServiceInstanceOperationDeprovision: conditions.DeprovisionCallFailed,
	}
)

// pollingLimit is the maximum polling duration of the instance's plan, if it sets one.
func (c *Controller) pollingLimit(instance *v1beta1.ServiceInstance) *metav1.Duration {
	if plan, err := c.statusPlan(instance); err == nil {
		return plan.Spec.MaximumPollingDuration
	}
	return nil
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
