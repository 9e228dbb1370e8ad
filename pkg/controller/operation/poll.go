package operation

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Poll is one poll of an asynchronous operation, as a loop describes it.
type Poll struct {
	// Verb names the operation in messages: "provision", "unbind".
	Verb string
	// InProgress is the Ready reason while the broker works on the operation.
	InProgress string
	// Deletes is true for an operation that deletes at the broker: a 410 Gone answer then
	// means that it is done. For any other operation a 410 is not an answer.
	Deletes bool
	// Limit is the plan's maximum_polling_duration, if it sets one.
	Limit *metav1.Duration
	// Client returns the broker's client.
	Client func(ctx context.Context) (osb.Client, error)
	// Send asks the broker for the operation's state.
	Send func(ctx context.Context, client osb.Client, key *string) (*osb.LastOperationResponse, error)
	// Succeeded finishes an operation the broker completed.
	Succeeded func(ctx context.Context, requestIdentity string) (controller.Result, error)
	// Failed finishes an operation that failed at the broker: message says so, and usable
	// is the broker's instance_usable (nil when it said nothing).
	Failed func(ctx context.Context, message string, usable *bool) (controller.Result, error)
	// Expired finishes an operation that outlasted the polling duration, which counts as
	// failed.
	Expired func(ctx context.Context, message string) (controller.Result, error)
}

// Poll asks the broker how an asynchronous operation is going. Polling stops when the
// operation ends or outlasts the plan's maximum polling duration; an error is not an
// answer, and polling goes on.
func (e *Engine[T]) Poll(ctx context.Context, obj T, p Poll) (controller.Result, error) {
	op := e.kind.Record(obj).Operation
	if e.cfg.Polling.Expired(op.OperationStartTime, e.Now(), p.Limit) {
		e.stopPolling(obj)
		return p.Expired(ctx, fmt.Sprintf("The broker did not finish the %s within the maximum polling duration.", p.Verb))
	}
	client, err := p.Client(ctx)
	if err != nil {
		return e.BrokerUnavailable(ctx, obj, conditions.ErrorPollingLastOperation, err)
	}
	var key *string
	if op.OperationKey != "" {
		key = &op.OperationKey
	}
	resp, err := p.Send(ctx, client, key)
	switch {
	case err != nil && osb.IsGone(err) && p.Deletes:
		e.stopPolling(obj)
		return p.Succeeded(ctx, osb.RequestIdentityOf(err))
	case err != nil:
		return e.pollFailed(ctx, obj, p, err)
	}
	op.LastRequestIdentity = resp.RequestIdentity
	switch resp.State {
	case osb.StateSucceeded:
		e.stopPolling(obj)
		return p.Succeeded(ctx, resp.RequestIdentity)
	case osb.StateFailed:
		e.stopPolling(obj)
		return p.Failed(ctx, fmt.Sprintf("The broker's %s failed%s.", p.Verb, saying(": ", resp.Description)), resp.InstanceUsable)
	}
	return e.inProgress(ctx, obj, p, resp)
}

// pollFailed records a poll that got no answer (an error, or a 410 for an operation that
// creates) and polls again later, when the broker's Retry-After says if it sent one.
func (e *Engine[T]) pollFailed(ctx context.Context, obj T, p Poll, err error) (controller.Result, error) {
	op := e.kind.Record(obj).Operation
	identity := osb.RequestIdentityOf(err)
	changed := op.LastRequestIdentity != identity
	op.LastRequestIdentity = identity
	message := fmt.Sprintf("Polling the broker's %s failed: %v. Polling goes on.", p.Verb, err)
	if e.setReady(obj, metav1.ConditionFalse, conditions.ErrorPollingLastOperation, message) {
		if _, err := e.write(ctx, obj, corev1.EventTypeWarning, conditions.ErrorPollingLastOperation, message); err != nil {
			return controller.Result{}, err
		}
	} else if changed {
		if _, err := e.UpdateStatus(ctx, obj); err != nil {
			return controller.Result{}, err
		}
	}
	return e.pollAfter(obj, p.Limit, osb.RetryAfterOf(err)), nil
}

// inProgress shows the broker's description of an operation still in progress, if it
// changed, and polls again later.
func (e *Engine[T]) inProgress(ctx context.Context, obj T, p Poll, resp *osb.LastOperationResponse) (controller.Result, error) {
	message := fmt.Sprintf("The broker's %s is in progress.", p.Verb)
	if said := saying(": ", resp.Description); said != "" {
		message = fmt.Sprintf("The broker's %s is in progress%s", p.Verb, said)
	}
	if err := e.Wait(ctx, obj, "", p.InProgress, message); err != nil {
		return controller.Result{}, err
	}
	return e.pollAfter(obj, p.Limit, resp.RetryAfter), nil
}

// pollAfter schedules the next poll of obj's operation: after the broker's Retry-After
// when it sent one, but never past the end of the polling duration (limit, the plan's,
// or the controller's), so that an operation that outlasts it is failed on time.
func (e *Engine[T]) pollAfter(obj T, limit *metav1.Duration, retryAfter time.Duration) controller.Result {
	now := e.Now()
	start := e.kind.Record(obj).Operation.OperationStartTime
	delay := e.cfg.Polling.Delay(start, now, retryAfter)
	if left, ok := e.cfg.Polling.Left(start, now, limit); ok {
		delay = min(delay, left+time.Second)
	}
	e.polls.next(obj, now.Add(delay))
	return controller.Result{RequeueAfter: delay}
}

// stopPolling records that the asynchronous operation is no longer polled.
func (e *Engine[T]) stopPolling(obj T) {
	op := e.kind.Record(obj).Operation
	op.AsyncOpInProgress = false
	op.OperationKey = ""
	e.polls.done(obj)
}

// saying returns prefix and the broker's description, or "" when it gave none.
func saying(prefix string, description *string) string {
	if description == nil || *description == "" {
		return ""
	}
	return prefix + *description
}
