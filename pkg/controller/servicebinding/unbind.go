package servicebinding

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// unbinder deletes bindings at their brokers, for a deleted binding or to clean up after a
// failed bind (orphan mitigation), as the operation engine asks; then the Secret the
// binding controls is deleted.
type unbinder struct{ c *Controller }

var _ operation.Deleter[*v1beta1.ServiceBinding] = unbinder{}

// Blocked holds a deleted binding back until the bindings of its earlier credentials,
// and of a rotation left unfinished, are unbound: the binding itself is unbound last.
func (u unbinder) Blocked(ctx context.Context, binding *v1beta1.ServiceBinding) (bool, error) {
	r, _ := u.c.resolve(binding) // without it, unbinding them waits
	binding, _, err := u.c.unbindPredecessors(ctx, binding, r, true)
	if err != nil {
		return true, err
	}
	if n := len(binding.Status.Predecessors); n > 0 || binding.Status.Rotation != nil {
		return true, fmt.Errorf("binding %s/%s: %d bindings of earlier credentials (or of a rotation) still to unbind at the broker", binding.Namespace, binding.Name, n)
	}
	return false, nil
}

// Held tells whether the broker may hold the binding.
func (unbinder) Held(binding *v1beta1.ServiceBinding) bool {
	switch binding.Status.UnbindStatus {
	case v1beta1.ServiceBindingUnbindStatusNotRequired, v1beta1.ServiceBindingUnbindStatusSucceeded, "":
		return false
	}
	return true
}

// InFlight tells whether an unbind is the operation in progress.
func (unbinder) InFlight(binding *v1beta1.ServiceBinding) bool {
	return binding.Status.CurrentOperation == v1beta1.ServiceBindingOperationUnbind
}

// Poll polls an asynchronous unbind.
func (u unbinder) Poll(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	return u.c.poll(ctx, binding)
}

// GiveUp records that unbinding failed for good.
func (unbinder) GiveUp(binding *v1beta1.ServiceBinding) {
	binding.Status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusFailed
}

// GaveUp tells whether unbinding failed for good.
func (unbinder) GaveUp(binding *v1beta1.ServiceBinding) bool {
	return binding.Status.UnbindStatus == v1beta1.ServiceBindingUnbindStatusFailed
}

// Gone records that the broker no longer holds the binding.
func (u unbinder) Gone(ctx context.Context, binding *v1beta1.ServiceBinding, requestIdentity string) (controller.Result, error) {
	return u.c.unbound(ctx, binding, requestIdentity)
}

// Prepare builds the unbind request from the instance and the ids the broker knows it
// by. A binding whose instance cannot be found was never bound when nothing says a bind
// was sent: a bind needs a provisioned instance, whose deletion waits for its bindings.
func (u unbinder) Prepare(ctx context.Context, binding *v1beta1.ServiceBinding) (*operation.Removal, controller.Result, error) {
	r, err := u.c.resolve(binding)
	var re *resolveError
	switch {
	case errors.As(err, &re) && recorded(&binding.Status):
		result, err := u.c.ops.NotReady(ctx, binding, re.reason, fmt.Errorf("%s The broker may still hold the binding; remove the finalizer %s to abandon it",
			re.message, v1beta1.FinalizerServiceCatalog))
		return nil, result, err
	case errors.As(err, &re), err == nil && (r.known == nil || r.known.ClusterServicePlanExternalID == "" || r.broker == nil):
		// The broker never held the instance, so it cannot hold a binding to it.
		result, err := u.c.unbound(ctx, binding, "")
		return nil, result, err
	case err != nil:
		return nil, controller.Result{}, err
	}
	client, err := u.c.cfg.BrokerClients.ClientFor(ctx, r.broker)
	if err != nil {
		result, err := u.c.ops.BrokerUnavailable(ctx, binding, conditions.UnbindCallFailed, err)
		return nil, result, err
	}
	return u.removal(binding, r, client), controller.Result{}, nil
}

// removal is the unbind of the binding at its instance's broker. Orphan mitigation is not
// a user action and carries no originating identity; a deletion does, and does not wait
// for the backoff of a failed bind.
func (u unbinder) removal(binding *v1beta1.ServiceBinding, r *resolved, client osb.Client) *operation.Removal {
	deleted := binding.DeletionTimestamp != nil
	request := &osb.UnbindRequest{
		BindingID:         brokerBindingID(binding),
		InstanceID:        r.instance.Spec.ExternalID,
		AcceptsIncomplete: u.c.asyncBindings(r),
		ServiceID:         r.known.ClusterServiceClassExternalID,
		PlanID:            r.known.ClusterServicePlanExternalID,
	}
	if deleted {
		request.OriginatingIdentity = operation.Identity(binding.Spec.UserInfo)
	}
	return &operation.Removal{
		Op: osb.OperationUnbind, Broker: r.broker.Key(),
		Begin: func() (string, string) { return u.begin(binding, r.broker.Name) },
		Send: func(ctx context.Context) (operation.Answer, error) {
			resp, err := send(u.c, r, request.AcceptsIncomplete, func(accepts bool) (*osb.UnbindResponse, error) {
				request.AcceptsIncomplete = accepts
				return client.Unbind(ctx, request)
			})
			if err != nil {
				return operation.Answer{}, err
			}
			return operation.Answer{Async: resp.Async, OperationKey: resp.OperationKey, RequestIdentity: resp.RequestIdentity}, nil
		},
		Failed:   unbindReason(!deleted, conditions.UnbindCallFailed),
		Accepted: unbindReason(!deleted, conditions.Unbinding),
		AcceptedMessage: func(requestIdentity string) string {
			return fmt.Sprintf("Broker %s is unbinding (request %s).", r.broker.Name, requestIdentity)
		},
	}
}

// begin records the unbind as the operation in progress, with the parameters the broker
// last saw or was last sent, and the deleting user.
func (u unbinder) begin(binding *v1beta1.ServiceBinding, broker string) (reason, message string) {
	status := &binding.Status
	props := status.InProgressProperties
	if props == nil {
		props = status.ExternalProperties
	}
	if props == nil {
		props = &v1beta1.PropertiesState{}
	}
	props = props.DeepCopy()
	props.UserInfo = nil // orphan mitigation, and its polls, carry no identity
	if binding.DeletionTimestamp != nil {
		props.UserInfo = binding.Spec.UserInfo.DeepCopy()
		if !status.OrphanMitigationInProgress {
			status.Attempts = v1beta1.OperationAttempts{} // a deletion does not wait for the bind's backoff
		}
	}
	u.c.begin(binding, v1beta1.ServiceBindingOperationUnbind, props)
	if status.OrphanMitigationInProgress && binding.DeletionTimestamp == nil {
		return conditions.OrphanMitigationInProgress, fmt.Sprintf("Asking broker %s to delete what the failed bind may have left.", broker)
	}
	return conditions.UnbindRequestInFlight, fmt.Sprintf("Asking broker %s to unbind.", broker)
}

// unbound records that the broker no longer holds the binding and deletes the Secret the
// binding controls. A deleted binding is released; after orphan mitigation, the bind is
// tried again later, at once when only its credentials were lost, or not at all when the
// broker said it failed.
func (c *Controller) unbound(ctx context.Context, binding *v1beta1.ServiceBinding, requestIdentity string) (controller.Result, error) {
	if err := deleteOwnedSecret(ctx, c.cfg.KubeClient.CoreV1(), binding); err != nil {
		return controller.Result{}, fmt.Errorf("deleting the Secret of binding %s: %w", bindingRef(binding), err)
	}
	c.pending.forget(binding)
	status := &binding.Status
	status.LastRequestIdentity = requestIdentity
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusSucceeded
	status.ExternalProperties = nil
	status.Binding = nil
	status.Credentials = nil
	if binding.DeletionTimestamp != nil {
		c.cfg.Recorder.Eventf(binding, corev1.EventTypeNormal, conditions.UnboundSuccessfully, "The broker deleted the binding (request %s).", requestIdentity)
		return controller.Result{}, c.ops.ReleaseFinalizer(ctx, binding)
	}
	status.UnbindStatus = v1beta1.ServiceBindingUnbindStatusNotRequired
	cause := c.ops.EndOrphanMitigation(binding, "The broker deleted what the failed bind may have left.",
		metav1.Condition{Reason: conditions.BindCallFailed, Message: "The bind failed."})
	switch cause.Reason {
	case conditions.BindFailed:
		// The broker said the bind failed: trying again would fail again.
		return c.ops.Fail(ctx, binding, conditions.BindFailed, cause.Message)
	case conditions.BindResultLost:
		// Not a broker failure: bind again at once.
		status.Attempts = v1beta1.OperationAttempts{}
		if _, err := c.ops.Announce(ctx, binding, conditions.BindResultLost, cause.Message+" Binding again."); err != nil {
			return controller.Result{}, err
		}
		return controller.RequeueNow, nil
	}
	return c.ops.RetryLater(ctx, binding, cause.Reason, cause.Message)
}

// recorded tells whether the status names a bind or unbind request that was sent.
func recorded(status *v1beta1.ServiceBindingStatus) bool {
	return status.CurrentOperation != "" || status.InProgressProperties != nil || status.ExternalProperties != nil
}

func bindingRef(binding *v1beta1.ServiceBinding) string {
	return binding.Namespace + "/" + binding.Name
}

// unbindReason is the Ready reason of an unbind: reason for a deletion, and
// OrphanMitigationInProgress while cleaning up after a failed bind, which nobody asked to
// delete.
func unbindReason(mitigating bool, reason string) string {
	if mitigating {
		return conditions.OrphanMitigationInProgress
	}
	return reason
}
