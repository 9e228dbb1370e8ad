package serviceinstance

import (
	"context"
	"errors"
	"fmt"

	apimeta "k8s.io/apimachinery/pkg/api/meta"

	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// provision asks the broker to create the instance. An answer whose status write failed
// is written again without asking the broker again.
func (c *Controller) provision(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	r, params, result, err := c.prepare(ctx, instance, true)
	if r == nil {
		return result, err
	}
	if why := catalog.UnservedFeatures(r.class.Spec.ExternalName, r.class.Spec.Requires); why != "" && instance.Status.CurrentOperation == "" {
		// Nothing was sent: the broker holds nothing.
		instance.Status.ObservedGeneration = instance.Generation
		return c.ops.Fail(ctx, instance, conditions.UnsupportedPlatformFeature, operation.Sentence(why)+" Nothing was sent to the broker.")
	}
	if instance.Status.CurrentOperation == "" {
		why, err := c.notOffered(r, instance.Namespace)
		if err != nil {
			return controller.Result{}, err
		}
		if why != "" {
			instance.Status.ObservedGeneration = instance.Generation
			return c.ops.Fail(ctx, instance, conditions.ClassNotOfferedHere, fmt.Sprintf("Class %s: %s. Nothing was sent to the broker.", r.class.Spec.ExternalName, why))
		}
	}
	if wantsAdoption(instance) {
		return c.adopt(ctx, instance, r, params)
	}
	answer, answered := c.provisions.Get(instance)
	if answered {
		if instance, err = c.recordProvision(ctx, instance, r, params); err != nil {
			return controller.Result{}, err
		}
		instance.Status.InProgressProperties = answer.sent
	} else {
		var done bool
		if instance, answer.resp, result, done, err = c.sendProvision(ctx, instance, r, params); done {
			return result, err
		}
		answer.sent = instance.Status.InProgressProperties
		c.provisions.Put(instance, answer)
	}
	if result, err = c.provisionAnswered(ctx, instance, r, answer.resp); err == nil {
		c.provisions.Forget(cache.MetaObjectToName(instance))
	}
	return result, err
}

// provisionAnswer is the broker's answer to a provision, with what was sent.
type provisionAnswer struct {
	resp *osb.ProvisionResponse
	sent *v1beta1.ServiceInstancePropertiesState
}

// sendProvision records the provision and sends it. done is set, with what to return,
// when the broker gave no answer to record.
func (c *Controller) sendProvision(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, params *parameters.Parameters) (_ *v1beta1.ServiceInstance, resp *osb.ProvisionResponse, result controller.Result, done bool, err error) {
	spaceGUID, err := c.spaceGUID(instance.Namespace)
	if err != nil {
		return instance, nil, controller.Result{}, true, err
	}
	client, err := c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		result, err = c.ops.BrokerUnavailable(ctx, instance, conditions.ProvisionCallFailed, err)
		return instance, nil, result, true, err
	}
	wasInterrupted, sent := interrupted(instance), instance.Status.InProgressProperties
	if instance, err = c.recordProvision(ctx, instance, r, params); err != nil {
		return instance, nil, controller.Result{}, true, err
	}
	if wasInterrupted {
		if result, done, err := c.heldAlready(ctx, instance, r, client, sent); done {
			return instance, nil, result, true, err
		}
	}
	request := c.provisionRequest(instance, r, params, spaceGUID)
	resp, err = client.Provision(ctx, request)
	if osb.IsConflict(err) {
		if result, done, err := c.conflictIsOurs(ctx, instance, r, client); done {
			return instance, nil, result, true, err
		}
	}
	if err != nil {
		result, err = c.provisionFailed(ctx, instance, r, params, err)
		return instance, nil, result, true, err
	}
	return instance, resp, controller.Result{}, false, nil
}

// provisionAnswered records the broker's answer to a provision.
func (c *Controller) provisionAnswered(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, resp *osb.ProvisionResponse) (controller.Result, error) {
	c.setDashboard(instance, resp.DashboardURL)
	if resp.Async {
		madeBy(instance.Status.InProgressProperties, resp.RequestIdentity)
		return c.ops.Accepted(ctx, instance, operation.Answer{Async: true, OperationKey: resp.OperationKey, RequestIdentity: resp.RequestIdentity},
			conditions.Provisioning, fmt.Sprintf("Broker %s is provisioning the instance (request %s).", r.broker.Name, resp.RequestIdentity))
	}
	instance.Status.LastRequestIdentity = resp.RequestIdentity
	return c.provisioned(ctx, instance, resp.RequestIdentity)
}

// prepare resolves the class, plan and broker the spec names and builds the parameters,
// or records why it cannot: then r is nil and the result says what to do.
func (c *Controller) prepare(ctx context.Context, instance *v1beta1.ServiceInstance, provisioning bool) (r *resolved, params *parameters.Parameters, result controller.Result, err error) {
	if r, err = c.resolve(instance, provisioning); err != nil {
		result, err = c.unsendable(ctx, instance, err)
		return nil, nil, result, err
	}
	params, err = parameters.Build(ctx, c.cfg.KubeClient.CoreV1(), instance.Namespace, instance.Spec.Parameters, instance.Spec.ParametersFrom)
	if err != nil {
		result, err = c.unsendable(ctx, instance, err)
		return nil, nil, result, err
	}
	return r, params, controller.Result{}, nil
}

// recordProvision records the provision about to be sent, before it is sent: a
// controller that stops while the broker works on it leaves the record, and the next one
// asks the broker what it holds before it sends the request again (see heldAlready). A
// record of the same request in flight is not written again.
func (c *Controller) recordProvision(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, params *parameters.Parameters) (*v1beta1.ServiceInstance, error) {
	status := &instance.Status
	props := properties(r, params, instance.Spec.UserInfo, versionOf(c.maintenanceInfo(r)))
	if interrupted(instance) && sameRequest(status.InProgressProperties, props) {
		return instance, nil
	}
	if status.CurrentOperation != v1beta1.ServiceInstanceOperationProvision || !sameRequest(status.InProgressProperties, props) {
		c.begin(instance, v1beta1.ServiceInstanceOperationProvision, props)
	}
	status.ObservedGeneration = instance.Generation
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
	setResolved(status, r)
	conditions.ClearFailed(&status.Conditions)
	return c.ops.Announce(ctx, instance, conditions.ProvisionRequestInFlight,
		fmt.Sprintf("Asked broker %s to provision plan %s of class %s; waiting for its answer.", r.broker.Name, r.plan.Spec.ExternalName, r.class.Spec.ExternalName))
}

// interrupted reports whether the status records a provision sent and never answered:
// the controller that sent it stopped before it could write the answer.
func interrupted(instance *v1beta1.ServiceInstance) bool {
	ready := apimeta.FindStatusCondition(instance.Status.Conditions, v1beta1.ConditionReady)
	return instance.Status.CurrentOperation == v1beta1.ServiceInstanceOperationProvision &&
		ready != nil && ready.Reason == conditions.ProvisionRequestInFlight
}

// provisionRequest builds the provision request of the spec.
func (c *Controller) provisionRequest(instance *v1beta1.ServiceInstance, r *resolved, params *parameters.Parameters, spaceGUID string) *osb.ProvisionRequest {
	request := &osb.ProvisionRequest{
		InstanceID:          instance.Spec.ExternalID,
		AcceptsIncomplete:   true,
		ServiceID:           r.class.Spec.ExternalID,
		PlanID:              r.plan.Spec.ExternalID,
		OrganizationGUID:    c.cfg.ClusterID,
		SpaceGUID:           spaceGUID,
		Context:             c.requestContext(instance),
		Parameters:          params.Values,
		OriginatingIdentity: operation.Identity(instance.Spec.UserInfo),
		MaintenanceInfo:     c.maintenanceInfo(r),
	}
	return request
}

// provisioned records a finished provision.
func (c *Controller) provisioned(ctx context.Context, instance *v1beta1.ServiceInstance, requestIdentity string) (controller.Result, error) {
	status := &instance.Status
	status.ProvisionStatus = v1beta1.ServiceInstanceProvisionStatusProvisioned
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
	status.ExternalProperties = madeBy(status.InProgressProperties, requestIdentity)
	c.ops.End(instance)
	conditions.ClearFailed(&status.Conditions)
	if brokerStateUnknown(status.ExternalProperties) {
		// Not Ready yet: bindings wait for the update that brings the instance to the spec.
		_, err := c.ops.Report(ctx, instance, false, conditions.BrokerHeldInstance,
			fmt.Sprintf("The broker already held the instance (request %s), maybe from an earlier request; an update brings it to the spec.", requestIdentity))
		return controller.Result{}, err
	}
	if _, err := c.ops.Report(ctx, instance, true, conditions.ProvisionedSuccessfully,
		fmt.Sprintf("The broker provisioned the instance (request %s).", requestIdentity)); err != nil {
		return controller.Result{}, err
	}
	observeReady(instance, c.ops.Now())
	return controller.Result{}, nil
}

// provisionFailed handles a failed provision request as the OSB orphan-mitigation table
// says. After a 409 (the broker holds an instance with this id) or a 200 it cannot read
// (it said it holds one), deleting the instance must deprovision it, with the ids just
// sent; any other refusal leaves nothing at the broker.
func (c *Controller) provisionFailed(ctx context.Context, instance *v1beta1.ServiceInstance, r *resolved, params *parameters.Parameters, err error) (controller.Result, error) {
	status := &instance.Status
	return c.ops.Failed(ctx, instance, operation.Call{
		Op: osb.OperationProvision, Broker: r.broker.Key(), Secrets: params.SecretValues(),
		Retried: conditions.ProvisionCallFailed, Refused: conditions.ProvisionFailed,
		Refusal: func(held bool) {
			status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusNotRequired
			if held {
				status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
				status.ExternalProperties = status.InProgressProperties
			}
		},
		MitigateOrphan: func(ctx context.Context, reason, message string) (controller.Result, error) {
			return c.startOrphanMitigation(ctx, instance, reason, message)
		},
	}, err)
}

// startOrphanMitigation records a provision that may have left an instance at the broker;
// the deletion path removes it next.
func (c *Controller) startOrphanMitigation(ctx context.Context, instance *v1beta1.ServiceInstance, reason, message string) (controller.Result, error) {
	instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusRequired
	return c.ops.StartOrphanMitigation(ctx, instance, reason, message,
		message+" The broker may hold part of the instance; deleting it there before trying again.")
}

// unsendable records why the spec cannot be sent to the broker: its class, plan or broker
// cannot be used, or its parameters cannot be built. A provisioned instance keeps the
// generation the broker last saw: the update stays pending, so the runner's retry sends it
// once the user fixed the spec or the catalog caught up.
func (c *Controller) unsendable(ctx context.Context, instance *v1beta1.ServiceInstance, err error) (controller.Result, error) {
	var re *resolveError
	var pe *parameters.Error
	var reason string
	switch {
	case errors.As(err, &re):
		reason, err = re.reason, re
	case errors.As(err, &pe):
		reason, err = conditions.ErrorWithParameters, pe
	default:
		return controller.Result{}, err
	}
	if instance.Status.ProvisionStatus != v1beta1.ServiceInstanceProvisionStatusProvisioned {
		instance.Status.ObservedGeneration = instance.Generation
	}
	return c.ops.NotReady(ctx, instance, reason, err)
}

// notOffered says why the resolved broker does not offer its classes in namespace, or ""
// when it does. Only a ClusterServiceBroker limits the namespaces it serves; a
// ServiceBroker serves its own.
func (c *Controller) notOffered(r *resolved, namespace string) (string, error) {
	broker, ok := r.broker.Object.(*v1beta1.ClusterServiceBroker)
	if !ok {
		return "", nil
	}
	return catalog.NotOffered(broker, c.cfg.Namespaces.Lister(), namespace)
}
