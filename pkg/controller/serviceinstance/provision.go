package serviceinstance

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/parameters"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// provision asks the broker to create the instance.
func (c *Controller) provision(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	status := &instance.Status
	r, err := c.resolve(instance, true)
	if err != nil {
		return c.resolveFailed(ctx, instance, err)
	}
	params, err := parameters.Build(ctx, c.cfg.KubeClient.CoreV1(), instance.Namespace, instance.Spec.Parameters, instance.Spec.ParametersFrom)
	if err != nil {
		return c.parametersFailed(ctx, instance, err)
	}
	spaceGUID, err := c.spaceGUID(instance.Namespace)
	if err != nil {
		return controller.Result{}, err
	}
	client, err := c.brokerClient(ctx, r.broker)
	if err != nil {
		return c.brokerUnavailable(ctx, instance, conditions.ProvisionCallFailed, err)
	}

	props := properties(r, params, instance.Spec.UserInfo)
	switch {
	case status.CurrentOperation != v1beta1.ServiceInstanceOperationProvision:
		// The first attempt is written down with its answer, in one write: the request is
		// idempotent and rebuilt from the spec, and deleting an instance sends a DELETE
		// whenever the broker may hold it, so a controller that stops in between loses
		// nothing.
		c.beginProvision(instance, r, props)
	case !sameRequest(status.InProgressProperties, props):
		// The spec changed since a failed attempt: record the new request before sending
		// it, so that the record always names what the broker may hold.
		c.beginProvision(instance, r, props)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.ProvisionRequestInFlight,
			fmt.Sprintf("Asking broker %s to provision plan %s of class %s.", r.broker.Name, r.plan.Spec.ExternalName, r.class.Spec.ExternalName), instance.Generation)
		if instance, err = c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
		status = &instance.Status
	}

	request := &osb.ProvisionRequest{
		InstanceID:          instance.Spec.ExternalID,
		AcceptsIncomplete:   true,
		ServiceID:           r.class.Spec.ExternalID,
		PlanID:              r.plan.Spec.ExternalID,
		OrganizationGUID:    c.cfg.ClusterID,
		SpaceGUID:           spaceGUID,
		Context:             c.requestContext(instance),
		Parameters:          params.Values,
		OriginatingIdentity: identity(instance.Spec.UserInfo),
	}
	if mi := r.plan.Spec.MaintenanceInfo; mi != nil {
		request.MaintenanceInfo = &osb.MaintenanceInfo{Version: mi.Version}
	}
	resp, err := client.Provision(ctx, request)
	if err != nil {
		status.LastRequestIdentity = osb.RequestIdentityOf(err)
		logger(ctx, status.LastRequestIdentity).Info("Provision failed", "instance", instanceRef(instance), "err", err)
		return c.provisionFailed(ctx, instance, r, err)
	}
	status.LastRequestIdentity = resp.RequestIdentity
	if resp.DashboardURL != nil {
		status.DashboardURL = *resp.DashboardURL
	}
	if resp.Async {
		status.AsyncOpInProgress = true
		status.OperationKey = deref(resp.OperationKey)
		message := fmt.Sprintf("Broker %s is provisioning the instance (request %s).", r.broker.Name, resp.RequestIdentity)
		conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.Provisioning, message, instance.Generation)
		c.cfg.Recorder.Event(instance, corev1.EventTypeNormal, conditions.Provisioning, message)
		if _, err := c.updateStatus(ctx, instance); err != nil {
			return controller.Result{}, err
		}
		return controller.Result{RequeueAfter: c.pollDelay(instance, 0)}, nil
	}
	return c.provisioned(ctx, instance, resp.RequestIdentity)
}

// beginProvision records, in memory, a provision request about to be sent.
func (c *Controller) beginProvision(instance *v1beta1.ServiceInstance, r *resolved, props *v1beta1.ServiceInstancePropertiesState) {
	status := &instance.Status
	c.startOperation(status, v1beta1.ServiceInstanceOperationProvision, props)
	status.ObservedGeneration = instance.Generation
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
	setResolved(status, r)
	conditions.ClearFailed(&status.Conditions)
}

// provisioned records a finished provision.
func (c *Controller) provisioned(ctx context.Context, instance *v1beta1.ServiceInstance, requestIdentity string) (controller.Result, error) {
	status := &instance.Status
	status.ProvisionStatus = v1beta1.ServiceInstanceProvisionStatusProvisioned
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
	status.ExternalProperties = status.InProgressProperties
	clearOperation(status)
	message := fmt.Sprintf("The broker provisioned the instance (request %s).", requestIdentity)
	conditions.Ready(&status.Conditions, metav1.ConditionTrue, conditions.ProvisionedSuccessfully, message, instance.Generation)
	conditions.ClearFailed(&status.Conditions)
	c.cfg.Recorder.Event(instance, corev1.EventTypeNormal, conditions.ProvisionedSuccessfully, message)
	if _, err := c.updateStatus(ctx, instance); err != nil {
		return controller.Result{}, err
	}
	observeReady(instance, c.now())
	return controller.Result{}, nil
}

// provisionFailed handles a failed provision request as the OSB orphan-mitigation table
// says: an answer that may have left an instance behind starts orphan mitigation; a
// refusal stops until the spec changes; anything else is retried later.
func (c *Controller) provisionFailed(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, err error) (controller.Result, error) {
	status := &instance.Status
	switch {
	case osb.NeedsOrphanMitigation(osb.OperationProvision, err):
		return c.startOrphanMitigation(ctx, instance, conditions.ProvisionCallFailed, describe(err))
	case osb.IsConcurrencyError(err):
		return c.retryLater(ctx, instance, conditions.BrokerBusy, "The broker is busy with another operation on the instance.")
	case osb.IsUnauthorized(err):
		c.cfg.BrokerClients.Forget(r.broker.Name)
		return c.retryLater(ctx, instance, conditions.ProvisionCallFailed, "The broker refused the catalog's credentials (401).")
	case osb.IsPreconditionFailed(err):
		return c.retryLater(ctx, instance, conditions.ProvisionCallFailed, describe(err)+" (the broker refused the OSB API version; see the broker's spec.osbAPIVersion).")
	case osb.IsMaintenanceInfoConflict(err):
		return c.retryLater(ctx, instance, conditions.ProvisionCallFailed, describe(err)+" (the broker's catalog changed; it is fetched again periodically).")
	case osb.IsConflict(err), osb.IsMalformedResponse(err):
		// The broker holds an instance with this id (409), or said it holds one but its
		// answer is unreadable (200): deleting the instance must deprovision it, with the
		// ids just sent.
		status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
		status.ExternalProperties = status.InProgressProperties
		return c.fail(ctx, instance, conditions.ProvisionFailed, describe(err)+".")
	}
	if code, ok := osb.StatusCode(err); ok && code >= 400 && code < 500 && code != 408 {
		// A refusal leaves nothing at the broker.
		status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusNotRequired
		return c.fail(ctx, instance, conditions.ProvisionFailed, describe(err)+".")
	}
	return c.retryLater(ctx, instance, conditions.ProvisionCallFailed, describe(err)+".")
}

// startOrphanMitigation records a provision that may have left an instance at the broker;
// the deletion path removes it next.
func (c *Controller) startOrphanMitigation(ctx context.Context, instance *v1beta1.ServiceInstance, reason, message string) (controller.Result, error) {
	status := &instance.Status
	status.OrphanMitigationInProgress = true
	status.AsyncOpInProgress = false
	status.OperationKey = ""
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
	conditions.Set(&status.Conditions, v1beta1.ConditionOrphanMitigation, metav1.ConditionTrue, reason, message, instance.Generation)
	readyMessage := message + " The broker may hold part of the instance; deleting it there before trying again."
	conditions.Ready(&status.Conditions, metav1.ConditionFalse, conditions.OrphanMitigationInProgress, readyMessage, instance.Generation)
	c.cfg.Recorder.Event(instance, corev1.EventTypeWarning, conditions.OrphanMitigationInProgress, readyMessage)
	if _, err := c.updateStatus(ctx, instance); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: 1}, nil
}

// resolveFailed records why the spec's class, plan or broker cannot be used.
func (c *Controller) resolveFailed(ctx context.Context, instance *v1beta1.ServiceInstance, err error) (controller.Result, error) {
	var re *resolveError
	if !errors.As(err, &re) {
		return controller.Result{}, err
	}
	observeUnsent(instance)
	return c.notReady(ctx, instance, re.reason, re)
}

// parametersFailed records a problem with the parameters; nothing is sent to the broker.
func (c *Controller) parametersFailed(ctx context.Context, instance *v1beta1.ServiceInstance, err error) (controller.Result, error) {
	var pe *parameters.Error
	if !errors.As(err, &pe) {
		return controller.Result{}, err
	}
	observeUnsent(instance)
	return c.notReady(ctx, instance, conditions.ErrorWithParameters, pe)
}

// observeUnsent records the generation of a spec that cannot be sent to the broker. A
// provisioned instance keeps the generation the broker last saw: the update stays pending,
// so the runner's retry sends it once the user fixed the spec or the catalog caught up.
func observeUnsent(instance *v1beta1.ServiceInstance) {
	if instance.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned {
		instance.Status.ObservedGeneration = instance.Generation
	}
}

// brokerUnavailable records that no client could be built for the broker, e.g. because
// its auth Secret is missing.
func (c *Controller) brokerUnavailable(ctx context.Context, instance *v1beta1.ServiceInstance, reason string, err error) (controller.Result, error) {
	var ce *brokerclient.CredentialsError
	if !errors.As(err, &ce) {
		return controller.Result{}, err
	}
	return c.notReady(ctx, instance, reason, fmt.Errorf("the broker's credentials cannot be read: %w", ce))
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func instanceRef(instance *v1beta1.ServiceInstance) string {
	return instance.Namespace + "/" + instance.Name
}
