package serviceinstance

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/tools/cache"

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
	// unclear tells that the broker said neither that it holds the instance nor that it
	// does not: its last operation answered with an error, a timeout, a body that could
	// not be read, or a status the specification does not give a poll of a create (410
	// is one: the platform is to go on polling). A 404, or a last operation that
	// failed, says that it holds nothing.
	unclear bool
	// answer names the unclear answer, for the condition: "answered 410".
	answer string
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
	none := holding{}
	if err != nil && !osb.IsNotFound(err) {
		none = holding{unclear: true, answer: unclearAnswer(err)}
	}
	if !r.class.Spec.InstancesRetrievable || !c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureGetInstance) {
		return none
	}
	got, err := client.GetInstance(ctx, &osb.GetInstanceRequest{
		InstanceID: instance.Spec.ExternalID, ServiceID: r.class.Spec.ExternalID, PlanID: r.plan.Spec.ExternalID,
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
	})
	if err != nil || got.ServiceID != r.class.Spec.ExternalID || got.PlanID != r.plan.Spec.ExternalID {
		return none // a 404 may be a provision in progress: it settles nothing
	}
	return holding{state: osb.StateSucceeded, planKnown: true, requestIdentity: got.RequestIdentity, dashboardURL: got.DashboardURL}
}

// unclearChecksBeforeResend is how many unclear answers in a row (see holding) the
// check of an interrupted provision takes before the provision is sent again.
const unclearChecksBeforeResend = 4

// heldAlready asks the broker, before a provision interrupted earlier is sent again,
// whether it holds the instance: then what it holds is the request recorded as sent, and
// nothing is sent again. An unclear answer is asked again after the backoff of a failed
// call; after unclearChecksBeforeResend of them the provision is sent again, which a
// broker that holds the instance answers 200 or 202, as it must an identical request.
// done is false when the provision is to be sent.
func (c *Controller) heldAlready(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, client osb.Client, sent *v1beta1.ServiceInstancePropertiesState) (result controller.Result, done bool, err error) {
	held := c.brokerHolds(ctx, instance, r, client)
	if sent == nil {
		return controller.Result{}, false, nil
	}
	if held.unclear {
		checks, _ := c.unclearChecks.Get(instance)
		if checks+1 < unclearChecksBeforeResend {
			c.unclearChecks.Put(instance, checks+1)
			result, err = c.ops.RetryLater(ctx, instance, conditions.ProvisionRequestInFlight, fmt.Sprintf(
				"The provision was sent to broker %s by a controller that stopped before the answer; asked whether it holds the instance, the broker %s.",
				r.broker.Name, held.answer))
			return result, true, err
		}
	}
	c.unclearChecks.Forget(cache.MetaObjectToName(instance))
	if held.state == "" {
		return controller.Result{}, false, nil
	}
	instance.Status.InProgressProperties = sent
	result, err = c.recordHolding(ctx, instance, r, held)
	return result, true, err
}

// unclearAnswer names the answer of a poll that settles nothing, for a condition; it
// leaves out what the broker wrote, which may echo a parameter.
func unclearAnswer(err error) string {
	var h *osb.HTTPStatusCodeError
	switch {
	case errors.As(err, &h):
		return fmt.Sprintf("answered %d", h.StatusCode)
	case osb.IsTimeout(err):
		return "did not answer in time"
	}
	return "gave no answer that could be read"
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
