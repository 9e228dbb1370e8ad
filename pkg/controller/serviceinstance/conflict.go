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

// conflictIsOurs looks into a 409 answered to a provision. It says the broker holds an
// instance with this id; that may be the one asked for, from an earlier attempt whose
// answer was lost (OSB: a platform that relies on eventual consistency checks the last
// operation instead of assuming failure). The instance is ours when its last operation
// succeeded or is still in progress, or, for an offering that is instances_retrievable,
// when GET instance shows the service and plan asked for. done is false when it is not:
// the 409 then fails the provision.
func (c *Controller) conflictIsOurs(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, client osb.Client) (result controller.Result, done bool, err error) {
	last, err := client.PollLastOperation(ctx, &osb.LastOperationRequest{
		InstanceID: instance.Spec.ExternalID, ServiceID: r.class.Spec.ExternalID, PlanID: r.plan.Spec.ExternalID,
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
	})
	if err == nil {
		switch last.State {
		case osb.StateSucceeded:
			result, err = c.provisioned(ctx, instance, last.RequestIdentity)
			return result, true, err
		case osb.StateInProgress:
			result, err = c.ops.Accepted(ctx, instance, operation.Answer{Async: true, RequestIdentity: last.RequestIdentity}, conditions.Provisioning,
				fmt.Sprintf("Broker %s is provisioning the instance (request %s).", r.broker.Name, last.RequestIdentity))
			return result, true, err
		}
	}
	if !r.class.Spec.InstancesRetrievable || !c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureGetInstance) {
		return controller.Result{}, false, nil
	}
	got, err := client.GetInstance(ctx, &osb.GetInstanceRequest{
		InstanceID: instance.Spec.ExternalID, ServiceID: r.class.Spec.ExternalID, PlanID: r.plan.Spec.ExternalID,
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
	})
	if err != nil || got.ServiceID != r.class.Spec.ExternalID || got.PlanID != r.plan.Spec.ExternalID {
		return controller.Result{}, false, nil
	}
	c.setDashboard(instance, got.DashboardURL)
	result, err = c.provisioned(ctx, instance, got.RequestIdentity)
	return result, true, err
}
