package servicebinding

import (
	"context"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// checkAtBroker asks the broker whether it still holds a Ready binding of an offering
// that is bindings_retrievable (see operation.Engine.CheckAtBroker). The credentials GET
// binding returns are not looked at. r is the binding's instance resolved, or nil.
func (c *Controller) checkAtBroker(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved) (controller.Result, error) {
	if r == nil || r.class == nil || !r.class.Spec.BindingsRetrievable || r.broker == nil ||
		!c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureGetBinding) || r.known == nil {
		return controller.Result{}, nil
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return controller.Result{}, nil //nolint:nilerr // the next sync that calls the broker reports it
	}
	return c.ops.CheckAtBroker(ctx, binding, r.broker.Key(), func(ctx context.Context) (bool, error) {
		_, err := client.GetBinding(ctx, &osb.GetBindingRequest{
			InstanceID: r.instance.Spec.ExternalID, BindingID: brokerBindingID(binding),
			ServiceID: r.known.ClusterServiceClassExternalID, PlanID: r.known.ClusterServicePlanExternalID,
			OriginatingIdentity: operation.Identity(binding.Spec.UserInfo),
		})
		if osb.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
}

// ledgerEntry is how the broker's ledger of abandoned objects records the binding, and the
// broker's catalog.Key: "" when the binding's instance is gone.
func (c *Controller) ledgerEntry(binding *v1beta1.ServiceBinding) (string, v1beta1.AbandonedResource) {
	instance, err := c.cfg.Instances.Lister().ServiceInstances(binding.InstanceNamespace()).Get(binding.Spec.InstanceRef.Name)
	if err != nil {
		return "", v1beta1.AbandonedResource{}
	}
	return indexes.Resolved(instance).Broker, v1beta1.AbandonedResource{
		Kind: "ServiceBinding", InstanceID: instance.Spec.ExternalID, BindingID: brokerBindingID(binding),
	}
}
