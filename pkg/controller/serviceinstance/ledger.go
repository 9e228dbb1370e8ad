package serviceinstance

import (
	"context"

	apimeta "k8s.io/apimachinery/pkg/api/meta"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// checkAtBroker asks the broker whether it still holds a Ready instance of an offering
// that is instances_retrievable (see operation.Engine.CheckAtBroker).
func (c *Controller) checkAtBroker(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	known := instance.Status.ExternalProperties
	if known == nil || !apimeta.IsStatusConditionTrue(instance.Status.Conditions, v1beta1.ConditionReady) {
		return controller.Result{}, nil
	}
	r, err := c.resolve(instance, false)
	if err != nil || !r.class.Spec.InstancesRetrievable || !c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureGetInstance) {
		return controller.Result{}, nil //nolint:nilerr // nothing to check with
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return controller.Result{}, nil //nolint:nilerr // the next sync that calls the broker reports it
	}
	return c.ops.CheckAtBroker(ctx, instance, r.broker.Key(), func(ctx context.Context) (bool, error) {
		_, err := client.GetInstance(ctx, &osb.GetInstanceRequest{
			InstanceID: instance.Spec.ExternalID, ServiceID: known.ClusterServiceClassExternalID, PlanID: known.ClusterServicePlanExternalID,
		})
		if osb.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
}
