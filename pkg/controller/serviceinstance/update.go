package serviceinstance

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/parameters"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// update sends a changed plan or changed parameters to the broker. Only what changed is
// sent: plan_id on a plan change, parameters when they changed (or when updateRequests
// was bumped with nothing else changed), and previous_values always.
func (c *Controller) update(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	status := &instance.Status
	r, err := c.resolve(instance, false)
	if err != nil {
		return c.resolveFailed(ctx, instance, err)
	}
	params, err := parameters.Build(ctx, c.cfg.KubeClient.CoreV1(), instance.Namespace, instance.Spec.Parameters, instance.Spec.ParametersFrom)
	if err != nil {
		return c.parametersFailed(ctx, instance, err)
	}
	external := status.ExternalProperties
	if external == nil {
		external = &v1beta1.ServiceInstancePropertiesState{}
	}
	planChanged := r.plan.Spec.ExternalID != external.ClusterServicePlanExternalID
	paramsChanged := params.Checksum != external.ParameterChecksum
	if planChanged {
		current, err := c.cfg.Plans.Lister().Get(statusPlanName(status))
		if err == nil && !planUpdatable(r.class, current) {
			status.ObservedGeneration = instance.Generation
			return c.fail(ctx, instance, conditions.PlanChangeNotAllowed,
				fmt.Sprintf("Plan %s of class %s cannot be changed to another plan.", current.Spec.ExternalName, r.class.Spec.ExternalName))
		}
	}
	if !planChanged && !paramsChanged && len(params.Values) == 0 {
		// Nothing to tell the broker.
		status.ObservedGeneration = instance.Generation
		conditions.Ready(&status.Conditions, metav1.ConditionTrue, conditions.UpdatedSuccessfully, "The instance is up to date.", instance.Generation)
		_, err := c.updateStatus(ctx, instance)
		return controller.Result{}, err
	}
	client, err := c.brokerClient(ctx, r.broker)
	if err != nil {
		return c.brokerUnavailable(ctx, instance, conditions.UpdateCallFailed, err)
	}

	props := properties(r, params, instance.Spec.UserInfo)
	if status.CurrentOperation != v1beta1.ServiceInstanceOperationUpdate || !sameRequest(status.InProgressProperties, props) || status.ObservedGeneration != instance.Generation {
		c.startOperation(status, v1beta1.ServiceInstanceOperationUpdate, props)
		status.ObservedGeneration = instance.Generation
		setResolved(status, r)
		conditions.ClearFailed(&status.Conditions)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.UpdateRequestInFlight,
			fmt.Sprintf("Asking broker %s to update the instance.", r.broker.Name), instance.Generation)
		if instance, err = c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
		status = &instance.Status
	}

	request := &osb.UpdateRequest{
		InstanceID:        instance.Spec.ExternalID,
		AcceptsIncomplete: true,
		ServiceID:         r.class.Spec.ExternalID,
		Context:           c.requestContext(instance),
		PreviousValues: &osb.PreviousValues{
			PlanID:    external.ClusterServicePlanExternalID,
			ServiceID: external.ClusterServiceClassExternalID,
		},
		OriginatingIdentity: identity(instance.Spec.UserInfo),
	}
	if external.MaintenanceInfoVersion != "" {
		request.PreviousValues.MaintenanceInfo = &osb.MaintenanceInfo{Version: external.MaintenanceInfoVersion}
	}
	if planChanged {
		request.PlanID = &r.plan.Spec.ExternalID
		if mi := r.plan.Spec.MaintenanceInfo; mi != nil {
			request.MaintenanceInfo = &osb.MaintenanceInfo{Version: mi.Version}
		}
	}
	if paramsChanged || !planChanged {
		request.Parameters = params.Values
		if request.Parameters == nil {
			request.Parameters = map[string]any{}
		}
	}
	resp, err := client.Update(ctx, request)
	if err != nil {
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		logger(ctx, status.LastRequestIdentity).Info("Update failed", "instance", instanceRef(instance), "err", err)
		return c.updateFailed(ctx, instance, r, err)
	}
	status.LastRequestIdentity = resp.RequestIdentity
	if resp.DashboardURL != nil {
		status.DashboardURL = *resp.DashboardURL
	}
	if resp.Async {
		status.AsyncOpInProgress = true
		status.OperationKey = deref(resp.OperationKey)
		message := fmt.Sprintf("Broker %s is updating the instance (request %s).", r.broker.Name, resp.RequestIdentity)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.Updating, message, instance.Generation)
		c.cfg.Recorder.Event(instance, corev1.EventTypeNormal, conditions.Updating, message)
		if _, err := c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
		return controller.Result{RequeueAfter: c.pollDelay(instance, 0)}, nil
	}
	return c.updated(ctx, instance, resp.RequestIdentity)
}

// updated records a finished update.
func (c *Controller) updated(ctx context.Context, instance *v1beta1.ServiceInstance, requestIdentity string) (controller.Result, error) {
	status := &instance.Status
	status.ExternalProperties = status.InProgressProperties
	clearOperation(status)
	message := fmt.Sprintf("The broker updated the instance (request %s).", requestIdentity)
	conditions.Ready(&status.Conditions, metav1.ConditionTrue, conditions.UpdatedSuccessfully, message, instance.Generation)
	conditions.ClearFailed(&status.Conditions)
	c.cfg.Recorder.Event(instance, corev1.EventTypeNormal, conditions.UpdatedSuccessfully, message)
	_, err := c.updateStatus(ctx, instance)
	return controller.Result{}, err
}

// updateFailed handles a failed update. Updates never need orphan mitigation: a refusal
// stops until the spec changes, anything else is retried later. The broker keeps the
// instance as it was.
func (c *Controller) updateFailed(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, err error) (controller.Result, error) {
	switch {
	case osb.IsConcurrencyError(err):
		return c.retryLater(ctx, instance, conditions.BrokerBusy, "The broker is busy with another operation on the instance.")
	case osb.IsUnauthorized(err):
		c.cfg.BrokerClients.Forget(r.broker.Name)
		return c.retryLater(ctx, instance, conditions.UpdateCallFailed, "The broker refused the catalog's credentials (401).")
	case osb.IsPreconditionFailed(err), osb.IsMaintenanceInfoConflict(err):
		return c.retryLater(ctx, instance, conditions.UpdateCallFailed, describe(err)+".")
	}
	if code, ok := osb.StatusCode(err); ok && code >= 400 && code < 500 && code != 408 {
		return c.fail(ctx, instance, conditions.UpdateFailed, describe(err)+". The instance keeps its previous plan and parameters.")
	}
	return c.retryLater(ctx, instance, conditions.UpdateCallFailed, describe(err)+".")
}

// statusPlanName is the plan the instance was last resolved to.
func statusPlanName(status *v1beta1.ServiceInstanceStatus) string {
	if status.ClusterServicePlanRef == nil {
		return ""
	}
	return status.ClusterServicePlanRef.Name
}
