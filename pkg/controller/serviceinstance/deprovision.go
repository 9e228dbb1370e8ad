package serviceinstance

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/indexes"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// deprovisioner deletes instances at their brokers, for a deleted instance or to clean up
// after a failed provision (orphan mitigation), as the operation engine asks.
type deprovisioner struct{ c *Controller }

var _ operation.Deleter[*v1beta1.ServiceInstance] = deprovisioner{}

// Blocked holds a deleted instance back while bindings to it exist, of any namespace:
// they must be unbound first. Their deletion queues the instance again.
func (d deprovisioner) Blocked(ctx context.Context, instance *v1beta1.ServiceInstance) (bool, error) {
	bindings, err := d.c.bindingsOf(instance)
	if err != nil || len(bindings) == 0 {
		return false, err
	}
	instance.Status.SharedWith = sharedWith(bindings)
	message := remainingBindings(bindings, instance.Status.SharedWith) + "; it is deprovisioned once every binding is deleted."
	return true, d.c.ops.Wait(ctx, instance, corev1.EventTypeNormal, conditions.DeprovisionBlockedByExistingBindings, message)
}

// Held tells whether the broker may hold the instance.
func (d deprovisioner) Held(instance *v1beta1.ServiceInstance) bool {
	switch instance.Status.DeprovisionStatus {
	case v1beta1.ServiceInstanceDeprovisionStatusNotRequired, v1beta1.ServiceInstanceDeprovisionStatusSucceeded:
		return false
	}
	return true
}

// InFlight tells whether a deprovision is the operation in progress.
func (d deprovisioner) InFlight(instance *v1beta1.ServiceInstance) bool {
	return instance.Status.CurrentOperation == v1beta1.ServiceInstanceOperationDeprovision
}

// Poll polls an asynchronous deprovision.
func (d deprovisioner) Poll(ctx context.Context, instance *v1beta1.ServiceInstance) (controller.Result, error) {
	return d.c.poll(ctx, instance)
}

// Prepare builds the deprovision request. The broker knows the instance by the ids it last
// acknowledged, or was last sent, or, when the controller stopped before recording a
// first provision, by the ids the spec resolves to; an instance whose spec resolves to
// nothing was never sent to a broker.
func (d deprovisioner) Prepare(ctx context.Context, instance *v1beta1.ServiceInstance) (*operation.Removal, controller.Result, error) {
	known := d.known(instance)
	if known == nil {
		instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusNotRequired
		result, err := d.Gone(ctx, instance, "")
		return nil, result, err
	}
	broker, err := d.c.statusBroker(instance)
	if apierrors.IsNotFound(err) {
		brokerName := indexes.Resolved(instance).BrokerName
		result, err := d.c.ops.NotReady(ctx, instance, conditions.ReferencesNonexistentBroker,
			fmt.Errorf("the broker %q that holds the instance no longer exists; remove the finalizer %s to abandon it", brokerName, v1beta1.FinalizerServiceCatalog))
		return nil, result, err
	}
	if err != nil {
		return nil, controller.Result{}, err
	}
	client, err := d.c.cfg.BrokerClients.ClientFor(ctx, broker)
	if err != nil {
		result, err := d.c.ops.BrokerUnavailable(ctx, instance, conditions.DeprovisionCallFailed, err)
		return nil, result, err
	}
	return d.removal(instance, known, broker, client), controller.Result{}, nil
}

// known returns the ids the broker knows the instance by, or nil when it knows none.
func (d deprovisioner) known(instance *v1beta1.ServiceInstance) *v1beta1.ServiceInstancePropertiesState {
	status := &instance.Status
	known := status.ExternalProperties
	if known == nil {
		known = status.InProgressProperties
	}
	if known != nil && known.ClusterServicePlanExternalID != "" {
		return known
	}
	r, err := d.c.resolve(instance, false)
	if err != nil {
		return nil
	}
	setResolved(status, r)
	return &v1beta1.ServiceInstancePropertiesState{
		ClusterServiceClassExternalID:  r.class.Spec.ExternalID,
		ClusterServicePlanExternalName: r.plan.Spec.ExternalName,
		ClusterServicePlanExternalID:   r.plan.Spec.ExternalID,
	}
}

// removal is the deprovision of the instance known by known ids at a broker. Orphan
// mitigation is not a user action and carries no originating identity; a deletion does.
func (d deprovisioner) removal(instance *v1beta1.ServiceInstance, known *v1beta1.ServiceInstancePropertiesState, b *catalog.Broker, client osb.Client) *operation.Removal {
	broker := b.Name
	mitigating := instance.Status.OrphanMitigationInProgress
	request := &osb.DeprovisionRequest{
		InstanceID:        instance.Spec.ExternalID,
		AcceptsIncomplete: true,
		ServiceID:         known.ClusterServiceClassExternalID,
		PlanID:            known.ClusterServicePlanExternalID,
	}
	if !mitigating {
		request.OriginatingIdentity = operation.Identity(instance.Spec.UserInfo)
	}
	return &operation.Removal{
		Op: osb.OperationDeprovision, Broker: b.Key(),
		Begin: func() (string, string) {
			props := known.DeepCopy()
			props.UserInfo = nil // orphan mitigation, and its polls, carry no identity
			if !mitigating {
				props.UserInfo = instance.Spec.UserInfo.DeepCopy()
			}
			d.c.begin(instance, v1beta1.ServiceInstanceOperationDeprovision, props)
			if mitigating {
				return conditions.OrphanMitigationInProgress, fmt.Sprintf("Asking broker %s to delete what the failed provision may have left.", broker)
			}
			return conditions.DeprovisionRequestInFlight, fmt.Sprintf("Asking broker %s to deprovision the instance.", broker)
		},
		Send: func(ctx context.Context) (operation.Answer, error) {
			resp, err := client.Deprovision(ctx, request)
			if err != nil {
				return operation.Answer{}, err
			}
			return operation.Answer{Async: resp.Async, OperationKey: resp.OperationKey, RequestIdentity: resp.RequestIdentity}, nil
		},
		Follow: func(ctx context.Context) {
			last, err := client.PollLastOperation(ctx, &osb.LastOperationRequest{
				InstanceID: request.InstanceID, ServiceID: request.ServiceID, PlanID: request.PlanID, OriginatingIdentity: request.OriginatingIdentity,
			})
			if err == nil {
				klog.FromContext(ctx).V(2).Info("The broker is busy with an operation on the instance", "instance", klog.KObj(instance), "state", last.State)
			}
		},
		Failed:   deleteReason(mitigating, conditions.DeprovisionCallFailed),
		Accepted: deleteReason(mitigating, conditions.Deprovisioning),
		AcceptedMessage: func(requestIdentity string) string {
			if mitigating {
				return fmt.Sprintf("Broker %s is deleting what the failed provision may have left (request %s).", broker, requestIdentity)
			}
			return fmt.Sprintf("Broker %s is deprovisioning the instance (request %s).", broker, requestIdentity)
		},
	}
}

// GiveUp records that deprovisioning failed for good.
func (deprovisioner) GiveUp(instance *v1beta1.ServiceInstance) {
	instance.Status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusFailed
}

// GaveUp tells whether deprovisioning failed for good.
func (deprovisioner) GaveUp(instance *v1beta1.ServiceInstance) bool {
	return instance.Status.DeprovisionStatus == v1beta1.ServiceInstanceDeprovisionStatusFailed
}

// Gone records that the broker no longer holds the instance.
func (d deprovisioner) Gone(ctx context.Context, instance *v1beta1.ServiceInstance, requestIdentity string) (controller.Result, error) {
	return d.c.deprovisioned(ctx, instance, requestIdentity)
}

// deprovisioned records that the broker no longer holds the instance. A deleted instance
// is released; after orphan mitigation, provisioning is tried again later, or not at all
// when the broker refused it for good.
func (c *Controller) deprovisioned(ctx context.Context, instance *v1beta1.ServiceInstance, requestIdentity string) (controller.Result, error) {
	status := &instance.Status
	status.LastRequestIdentity = requestIdentity
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusSucceeded
	status.ProvisionStatus = v1beta1.ServiceInstanceProvisionStatusNotProvisioned
	status.ExternalProperties = nil
	if instance.DeletionTimestamp != nil {
		c.cfg.Recorder.Eventf(instance, corev1.EventTypeNormal, "DeprovisionedSuccessfully", "The broker deprovisioned the instance (request %s).", requestIdentity)
		return controller.Result{}, c.ops.ReleaseFinalizer(ctx, instance)
	}
	status.DeprovisionStatus = v1beta1.ServiceInstanceDeprovisionStatusNotRequired
	cause := c.ops.EndOrphanMitigation(instance, "The broker deleted what the failed provision may have left.",
		metav1.Condition{Reason: conditions.ProvisionCallFailed, Message: "The provision failed."})
	if cause.Reason == conditions.ProvisionFailed {
		// The broker said the provision failed: trying again would fail again.
		return c.ops.Fail(ctx, instance, conditions.ProvisionFailed, cause.Message)
	}
	return c.ops.RetryLater(ctx, instance, cause.Reason, cause.Message)
}

// deleteReason is the Ready reason of a deprovision: reason for a deletion, and
// OrphanMitigationInProgress while cleaning up after a failed provision, which nobody
// asked to delete.
func deleteReason(mitigating bool, reason string) string {
	if mitigating {
		return conditions.OrphanMitigationInProgress
	}
	return reason
}

// count says how many things there are: "1 binding", "2 bindings".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
