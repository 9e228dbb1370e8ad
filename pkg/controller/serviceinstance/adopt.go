package serviceinstance

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// AdoptAnnotation set to "true" on a new instance whose spec.externalID the broker already
// holds makes the catalog adopt that instance, found with GET instance, instead of
// provisioning one. The AdoptionCheck admission plugin lets only users who may "adopt"
// serviceinstances in the namespace set it.
const AdoptAnnotation = "servicecatalog.k8s.io/adopt" // the same as adoption.Annotation

// wantsAdoption tells whether the instance asks to be adopted and nothing was sent yet.
func wantsAdoption(instance *v1beta1.ServiceInstance) bool {
	return instance.Annotations[AdoptAnnotation] == "true" && instance.Status.CurrentOperation == "" &&
		instance.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned
}

// adopt takes over the instance the broker holds under spec.externalID: GET instance
// must show the class and plan of the spec. No provision is ever sent; parameters that
// differ from what GET instance shows are sent as an update.
func (c *Controller) adopt(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, params *parameters.Parameters) (controller.Result, error) {
	instance.Status.ObservedGeneration = instance.Generation
	if !r.class.Spec.InstancesRetrievable || !c.cfg.BrokerClients.APIVersion(r.broker).Supports(osb.FeatureGetInstance) {
		return c.ops.Fail(ctx, instance, conditions.AdoptionFailed, fmt.Sprintf(
			"Class %s is not instances_retrievable (or broker %s's API version is older than 2.14): the instance to adopt cannot be fetched. Nothing was sent to the broker.",
			r.class.Spec.ExternalName, r.broker.Name))
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.ops.BrokerUnavailable(ctx, instance, conditions.AdoptionFailed, err)
	}
	got, err := client.GetInstance(ctx, &osb.GetInstanceRequest{
		InstanceID: instance.Spec.ExternalID, ServiceID: r.class.Spec.ExternalID, PlanID: r.plan.Spec.ExternalID,
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
	})
	switch {
	case osb.IsNotFound(err):
		return c.ops.Fail(ctx, instance, conditions.AdoptionFailed, fmt.Sprintf(
			"Broker %s does not hold instance %s (GET instance answered 404). Nothing was sent to the broker.", r.broker.Name, instance.Spec.ExternalID))
	case err != nil:
		return c.ops.RetryLater(ctx, instance, conditions.AdoptionFailed, "Fetching the instance to adopt failed: "+parameters.Redact(operation.Describe(err), params.SecretValues())+".")
	case got.ServiceID != r.class.Spec.ExternalID || got.PlanID != r.plan.Spec.ExternalID:
		return c.ops.Fail(ctx, instance, conditions.AdoptionFailed, fmt.Sprintf(
			"Broker %s holds instance %s with service_id %q and plan_id %q; the spec asks for %q and %q. Nothing was sent to the broker.",
			r.broker.Name, instance.Spec.ExternalID, got.ServiceID, got.PlanID, r.class.Spec.ExternalID, r.plan.Spec.ExternalID))
	}
	props := properties(r, params, instance.Spec.UserInfo, versionOf(c.maintenanceInfo(r)))
	if !sameJSON(got.Parameters, params.Values) {
		props = unknownRequest(props, true) // an update sends the spec's parameters
	}
	c.begin(instance, v1beta1.ServiceInstanceOperationProvision, props)
	setResolved(&instance.Status, r)
	c.setDashboard(instance, got.DashboardURL)
	c.ops.Event(instance, conditions.Adopted, fmt.Sprintf("Adopted instance %s of broker %s (GET instance, request %s); no provision was sent.",
		instance.Spec.ExternalID, r.broker.Name, got.RequestIdentity))
	return c.provisioned(ctx, instance, got.RequestIdentity)
}

// sameJSON tells whether two JSON values are equal once encoded.
func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}
