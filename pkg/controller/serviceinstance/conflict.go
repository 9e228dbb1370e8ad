package serviceinstance

import (
	"context"
	"fmt"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// holding is what the broker says it holds for an instance id.
type holding struct {
	// state is StateSucceeded for an instance the broker holds, StateInProgress for one it
	// is provisioning, "" when it holds none or cannot tell.
	state osb.LastOperationState
	// planKnown tells that GET instance showed the service and plan asked for.
	planKnown       bool
	requestIdentity string
	dashboardURL    *string
}

// brokerHolds asks the broker whether it holds the instance: its last operation, or, for
// an offering that is instances_retrievable, GET instance showing the service and plan
// asked for.
func (c *Controller) brokerHolds(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, client osb.Client) holding {
	last, err := client.PollLastOperation(ctx, &osb.LastOperationRequest{
		InstanceID: instance.Spec.ExternalID, ServiceID: r.class.Spec.ExternalID, PlanID: r.plan.Spec.ExternalID,
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
	})
	if err == nil && (last.State == osb.StateSucceeded || last.State == osb.StateInProgress) {
		return holding{state: last.State, requestIdentity: last.RequestIdentity}
	}
	if !r.class.Spec.InstancesRetrievable || !c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureGetInstance) {
		return holding{}
	}
	got, err := client.GetInstance(ctx, &osb.GetInstanceRequest{
		InstanceID: instance.Spec.ExternalID, ServiceID: r.class.Spec.ExternalID, PlanID: r.plan.Spec.ExternalID,
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
	})
	if err != nil || got.ServiceID != r.class.Spec.ExternalID || got.PlanID != r.plan.Spec.ExternalID {
		return holding{}
	}
	return holding{state: osb.StateSucceeded, planKnown: true, requestIdentity: got.RequestIdentity, dashboardURL: got.DashboardURL}
}

// heldAlready asks the broker, before a provision interrupted earlier is sent again,
// whether it holds the instance: then what it holds is the request recorded as sent, and
// nothing is sent again. done is false when the broker holds nothing, or cannot tell.
func (c *Controller) heldAlready(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, client osb.Client, sent *v1beta1.ServiceInstancePropertiesState) (result controller.Result, done bool, err error) {
	held := c.brokerHolds(ctx, instance, r, client)
	if held.state == "" || sent == nil {
		return controller.Result{}, false, nil
	}
	instance.Status.InProgressProperties = sent
	result, err = c.recordHolding(ctx, instance, r, held)
	return result, true, err
}

// conflictIsOurs looks into a 409 answered to a provision. It says the broker holds an
// instance with this id; that may be the one asked for, from an earlier attempt whose
// answer was lost (OSB: a platform that relies on eventual consistency checks the last
// operation instead of assuming failure). The instance is ours when the broker holds it
// (see brokerHolds). done is false when it is not: the 409 then fails the provision. What
// the broker holds may be an earlier request than this one: its parameters, and its plan
// unless GET instance showed it, are recorded as not known, and an update brings the
// instance to the spec.
func (c *Controller) conflictIsOurs(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, client osb.Client) (result controller.Result, done bool, err error) {
	held := c.brokerHolds(ctx, instance, r, client)
	if held.state == "" {
		return controller.Result{}, false, nil
	}
	instance.Status.InProgressProperties = unknownRequest(instance.Status.InProgressProperties, held.planKnown)
	result, err = c.recordHolding(ctx, instance, r, held)
	return result, true, err
}

// recordHolding records an instance the broker holds, or is provisioning.
func (c *Controller) recordHolding(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, held holding) (controller.Result, error) {
	c.setDashboard(instance, held.dashboardURL)
	if held.state == osb.StateInProgress {
		return c.ops.Accepted(ctx, instance, operation.Answer{Async: true, RequestIdentity: held.requestIdentity}, conditions.Provisioning,
			fmt.Sprintf("Broker %s is provisioning the instance (request %s).", r.broker.Name, held.requestIdentity))
	}
	return c.provisioned(ctx, instance, held.requestIdentity)
}

// unknownRequest returns props with what the broker may hold differently marked as not
// known: the parameters' checksum, and the plan unless planKnown.
func unknownRequest(props *v1beta1.ServiceInstancePropertiesState, planKnown bool) *v1beta1.ServiceInstancePropertiesState {
	unknown := props.DeepCopy()
	if unknown == nil {
		unknown = &v1beta1.ServiceInstancePropertiesState{}
	}
	unknown.ParameterChecksum = ""
	if !planKnown {
		unknown.ClusterServicePlanExternalID = ""
	}
	return unknown
}

// brokerStateUnknown reports whether what the broker holds for a provisioned instance is
// not known (see unknownRequest): an update then brings it to the spec.
func brokerStateUnknown(props *v1beta1.ServiceInstancePropertiesState) bool {
	return props != nil && props.ParameterChecksum == ""
}
