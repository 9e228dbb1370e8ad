package servicebinding

import (
	"context"
	"fmt"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/controller/operation"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// poll asks the broker how an asynchronous bind or unbind is going.
func (c *Controller) poll(ctx context.Context, binding *v1beta1.ServiceBinding) (controller.Result, error) {
	r, err := c.resolve(binding)
	if err != nil {
		return c.unsendable(ctx, binding, err)
	}
	if r.broker == nil || r.known == nil {
		return c.ops.NotReady(ctx, binding, conditions.ErrorPollingLastOperation,
			fmt.Errorf("the broker of the instance %q is not known", r.instance.Name))
	}
	return c.ops.Poll(ctx, binding, c.pollOf(binding, r))
}

// pollOf describes a poll of the binding's operation in progress, and what its end means.
func (c *Controller) pollOf(binding *v1beta1.ServiceBinding, r *resolved) operation.Poll {
	unbinding := binding.Status.CurrentOperation == v1beta1.ServiceBindingOperationUnbind
	p := operation.Poll{
		Verb: "bind", InProgress: conditions.Binding, Deletes: unbinding,
		Client: func(ctx context.Context) (osb.Client, error) { return c.cfg.BrokerClients.ClientFor(ctx, r.broker) },
		Send: func(ctx context.Context, client osb.Client, key *string) (*osb.LastOperationResponse, error) {
			return client.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{
				InstanceID:          r.instance.Spec.ExternalID,
				BindingID:           brokerBindingID(binding),
				ServiceID:           r.known.ClusterServiceClassExternalID,
				PlanID:              r.known.ClusterServicePlanExternalID,
				OperationKey:        key,
				OriginatingIdentity: operation.Identity(requester(&binding.Status)),
			})
		},
		Succeeded: func(ctx context.Context, _ string) (controller.Result, error) { return c.boundAsync(ctx, binding, r) },
		Failed: func(ctx context.Context, message string, _ *bool) (controller.Result, error) {
			// The broker may hold a half-made binding: delete it, then stop.
			return c.startOrphanMitigation(ctx, binding, conditions.BindFailed, message)
		},
		Expired: func(ctx context.Context, message string) (controller.Result, error) {
			return c.startOrphanMitigation(ctx, binding, conditions.OperationTimedOut, message)
		},
	}
	if r.plan != nil {
		p.Limit = r.plan.Spec.MaximumPollingDuration
	}
	if unbinding {
		mitigating := binding.DeletionTimestamp == nil
		p.Verb, p.InProgress = "unbind", unbindReason(mitigating, conditions.Unbinding)
		p.Succeeded = func(ctx context.Context, requestIdentity string) (controller.Result, error) {
			return c.unbound(ctx, binding, requestIdentity)
		}
		p.Failed = func(ctx context.Context, message string, _ *bool) (controller.Result, error) {
			return c.ops.RetryDelete(ctx, binding, unbinder{c}, unbindReason(mitigating, conditions.UnbindCallFailed), message, true)
		}
		p.Expired = func(ctx context.Context, message string) (controller.Result, error) {
			return c.ops.RetryDelete(ctx, binding, unbinder{c}, unbindReason(mitigating, conditions.OperationTimedOut), message, false)
		}
	}
	return p
}

// boundAsync records an asynchronous bind the broker finished: it holds the binding, whose
// credentials are fetched next.
func (c *Controller) boundAsync(ctx context.Context, binding *v1beta1.ServiceBinding, r *resolved) (controller.Result, error) {
	binding.Status.ExternalProperties = binding.Status.InProgressProperties
	if r.class == nil {
		return c.ops.NotReady(ctx, binding, conditions.FetchingBindingFailed,
			fmt.Errorf("the class of the instance %q does not exist", r.instance.Name))
	}
	return c.fetchCredentials(ctx, binding, r)
}
