package serviceinstance

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// delta is what an update tells the broker: what changed since the broker last
// acknowledged the instance.
type delta struct {
	r      *resolved
	params *parameters.Parameters
	// external is what the broker last acknowledged.
	external *v1beta1.ServiceInstancePropertiesState
	// plan and parameters tell what changed; maintenance that a maintenance upgrade was
	// asked for.
	plan, parameters, maintenance bool
	// maintenanceInfo is what the update sends as maintenance_info, nil for none.
	maintenanceInfo *osb.MaintenanceInfo
}

// update sends a changed plan or changed parameters to the broker. Only what changed is
// sent: plan_id on a plan change, parameters when they changed (or when updateRequests
// was bumped with nothing else changed), and previous_values always.
func (c *Controller) update(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	r, params, result, err := c.prepare(ctx, instance, false)
	if r == nil {
		return result, err
	}
	d, err := c.deltaOf(instance, r, params)
	if err != nil {
		return c.unsendable(ctx, instance, err)
	}
	if current := c.fixedPlan(instance, r, d); current != nil {
		instance.Status.ObservedGeneration = instance.Generation
		return c.ops.Fail(ctx, instance, conditions.PlanChangeNotAllowed,
			fmt.Sprintf("Plan %s of class %s cannot be changed to another plan.", current.Spec.ExternalName, r.class.Spec.ExternalName))
	}
	if !d.plan && !d.parameters && !d.maintenance && len(params.Values) == 0 {
		// Nothing to tell the broker: the spec asks for what it has (an update that failed
		// earlier was reverted, say), which ends any update in progress.
		instance.Status.ObservedGeneration = instance.Generation
		c.ops.End(instance)
		conditions.Ready(&instance.Status.Conditions, metav1.ConditionTrue, conditions.UpdatedSuccessfully, "The instance is up to date.", instance.Generation)
		_, err := c.ops.UpdateStatus(ctx, instance)
		return controller.Result{}, err
	}
	if binding := c.bindingInFlight(instance); binding != "" {
		// One operation at a time on an instance: the binding's event queues it again.
		return controller.Result{}, c.ops.Wait(ctx, instance, corev1.EventTypeNormal, conditions.BindInProgress,
			fmt.Sprintf("The update waits for the broker to finish its operation on binding %q.", binding))
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		return c.ops.BrokerUnavailable(ctx, instance, conditions.UpdateCallFailed, err)
	}
	if instance, err = c.recordUpdate(ctx, instance, d); err != nil {
		return controller.Result{}, err
	}
	resp, err := client.Update(ctx, c.updateRequest(instance, d))
	if err != nil {
		return c.updateFailed(ctx, instance, r, d.params, err)
	}
	c.setDashboard(instance, resp.DashboardURL)
	if resp.Async {
		madeBy(instance.Status.InProgressProperties, resp.RequestIdentity)
		return c.ops.Accepted(ctx, instance, operation.Answer{Async: true, OperationKey: resp.OperationKey, RequestIdentity: resp.RequestIdentity},
			conditions.Updating, fmt.Sprintf("Broker %s is updating the instance (request %s).", r.broker.Name, resp.RequestIdentity))
	}
	instance.Status.LastRequestIdentity = resp.RequestIdentity
	return c.updated(ctx, instance, resp.RequestIdentity)
}

// deltaOf compares the spec with what the broker last acknowledged.
func (c *Controller) deltaOf(instance *v1beta1.ServiceInstance, r *resolved, params *parameters.Parameters) (delta, error) {
	external := instance.Status.ExternalProperties
	if external == nil {
		external = &v1beta1.ServiceInstancePropertiesState{}
	}
	maintenance, err := upgradeAsked(instance, r, external.MaintenanceInfoVersion)
	d := delta{
		r: r, params: params, external: external, maintenance: maintenance,
		plan:       r.plan.Spec.ExternalID != external.ClusterServicePlanExternalID,
		parameters: params.Checksum != external.ParameterChecksum,
	}
	if d.plan || d.maintenance {
		d.maintenanceInfo = c.maintenanceInfo(r) // the new plan's, or the upgrade
	}
	return d, err
}

// bindingInFlight returns the name of a binding of the instance with a broker operation in
// progress, or "".
func (c *Controller) bindingInFlight(instance *v1beta1.ServiceInstance) string {
	bindings, _ := c.cfg.Bindings.Informer().GetIndexer().ByIndex(indexes.ByInstance, indexes.InstanceKey(instance.Namespace, instance.Name))
	for _, obj := range bindings {
		if b := obj.(*v1beta1.ServiceBinding); b.Status.CurrentOperation != "" {
			return b.Name
		}
	}
	return ""
}

// fixedPlan returns the plan the instance was last resolved to when the delta changes the
// plan and that plan may not be changed; a plan the cache no longer has does not hold the
// change back.
func (c *Controller) fixedPlan(instance *v1beta1.ServiceInstance, r *resolved, d delta) *catalog.Plan {
	if !d.plan || d.external.ClusterServicePlanExternalID == "" {
		// No change, or the plan the broker holds is not known: the update names the plan.
		return nil
	}
	current, err := c.statusPlan(instance)
	if err != nil || catalog.PlanUpdatable(current.Spec.PlanUpdatable, r.class.Spec.PlanUpdatable) {
		return nil
	}
	return current
}

// recordUpdate records the update about to be sent, before it is sent, unless it is the
// update in flight already.
func (c *Controller) recordUpdate(ctx context.Context, instance *v1beta1.ServiceInstance, d delta) (*v1beta1.ServiceInstance, error) {
	status, r := &instance.Status, d.r
	maintenance := d.external.MaintenanceInfoVersion // what the broker has unless the update sends another
	if d.maintenanceInfo != nil {
		maintenance = d.maintenanceInfo.Version
	}
	props := properties(r, d.params, instance.Spec.UserInfo, maintenance)
	if status.CurrentOperation == v1beta1.ServiceInstanceOperationUpdate && sameRequest(status.InProgressProperties, props) && status.ObservedGeneration == instance.Generation {
		return instance, nil
	}
	c.begin(instance, v1beta1.ServiceInstanceOperationUpdate, props)
	status.ObservedGeneration = instance.Generation
	setResolved(status, r)
	conditions.ClearFailed(&status.Conditions)
	return c.ops.Announce(ctx, instance, conditions.UpdateRequestInFlight, fmt.Sprintf("Asking broker %s to update the instance.", r.broker.Name))
}

// updateRequest builds the update request of a delta.
func (c *Controller) updateRequest(instance *v1beta1.ServiceInstance, d delta) *osb.UpdateRequest {
	request := &osb.UpdateRequest{
		InstanceID:        instance.Spec.ExternalID,
		AcceptsIncomplete: true,
		ServiceID:         d.r.class.Spec.ExternalID,
		Context:           c.requestContext(instance),
		PreviousValues: &osb.PreviousValues{
			PlanID:    d.external.ClusterServicePlanExternalID,
			ServiceID: d.external.ClusterServiceClassExternalID,
		},
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
	}
	request.PreviousValues.MaintenanceInfo = c.previousMaintenanceInfo(d.r, d.external.MaintenanceInfoVersion)
	request.MaintenanceInfo = d.maintenanceInfo
	if d.plan {
		request.PlanID = &d.r.plan.Spec.ExternalID
	}
	// Parameters go when they changed, or when nothing else would be sent (an
	// updateRequests bump): a plan change or a maintenance upgrade sends none.
	if d.parameters || (!d.plan && !d.maintenance) {
		request.Parameters = d.params.Values
		if request.Parameters == nil {
			request.Parameters = map[string]any{}
		}
	}
	return request
}

// updated records a finished update.
func (c *Controller) updated(ctx context.Context, instance *v1beta1.ServiceInstance, requestIdentity string) (controller.Result, error) {
	instance.Status.ExternalProperties = madeBy(instance.Status.InProgressProperties, requestIdentity)
	instance.Status.InstanceUsable = nil
	c.ops.End(instance)
	conditions.ClearFailed(&instance.Status.Conditions)
	_, err := c.ops.Report(ctx, instance, true, conditions.UpdatedSuccessfully,
		fmt.Sprintf("The broker updated the instance (request %s).", requestIdentity))
	return controller.Result{}, err
}

// updateFailed handles a failed update. Updates never need orphan mitigation: a refusal
// stops until the spec changes, anything else is retried later. The broker keeps the
// instance as it was.
func (c *Controller) updateFailed(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, params *parameters.Parameters, err error) (controller.Result, error) {
	instance.Status.InstanceUsable = osb.InstanceUsableOf(err)
	return c.ops.Failed(ctx, instance, operation.Call{
		Op: osb.OperationUpdate, Broker: r.broker.Key(), Secrets: params.SecretValues(),
		Retried: conditions.UpdateCallFailed, Refused: conditions.UpdateFailed,
		RefusedNote: "The instance keeps its previous plan and parameters.",
	}, err)
}
