package operation

import (
	"context"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"k8s.io/client-go/tools/cache"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Deleter is what a loop tells the engine about deleting its objects' resources at the
// broker: for a deleted object, or to clean up after a failed creation (orphan
// mitigation).
type Deleter[T Object[T]] interface {
	// Blocked tells whether a deleted object must wait before its resource is deleted,
	// having recorded why (an instance waits for its bindings to go).
	Blocked(ctx context.Context, obj T) (bool, error)
	// Held tells whether the broker may hold the object's resource.
	Held(obj T) bool
	// InFlight tells whether the delete is the operation in progress.
	InFlight(obj T) bool
	// Poll polls the asynchronous delete in progress, with the engine's Poll.
	Poll(ctx context.Context, obj T) (controller.Result, error)
	// Prepare finds the broker and builds the delete. Where none can be sent it returns
	// nil and what to do instead.
	Prepare(ctx context.Context, obj T) (*Removal, controller.Result, error)
	// Gone finishes: the broker no longer holds the resource.
	Gone(ctx context.Context, obj T, requestIdentity string) (controller.Result, error)
	// GiveUp records that deleting the resource failed for good: the broker kept refusing
	// it for longer than the retry window. GaveUp tells whether it did.
	GiveUp(obj T)
	GaveUp(obj T) bool
}

// Removal is one delete of a resource at a broker.
type Removal struct {
	// Op is the operation: OperationDeprovision or OperationUnbind.
	Op osb.Operation
	// Broker is the broker's name.
	Broker string
	// Begin records the delete as the operation in progress, before it is first sent, and
	// returns the Ready reason and message that say so.
	Begin func() (reason, message string)
	// Send sends the delete.
	Send func(ctx context.Context) (Answer, error)
	// Failed is the Ready reason of a delete that failed and is tried again.
	Failed string
	// Accepted is the Ready reason while the broker deletes asynchronously, and
	// AcceptedMessage its message for the request the broker accepted.
	Accepted        string
	AcceptedMessage func(requestIdentity string) string
	// Follow, when set, polls the last operation of the resource, with no operation key,
	// after the broker refused the delete with 422 ConcurrencyError: the broker is busy
	// with an operation whose answer a stopped controller never recorded. Asking after
	// it is what a platform does for an operation in progress, and a broker whose
	// operations advance as they are polled finishes it; the delete is tried again after
	// the backoff.
	Follow func(ctx context.Context)
}

// Load starts a sync: it fetches the object with get, from the loop's cache, and resumes
// its operation (see Resume). done is set, with what to return, when the sync has nothing
// more to do: the object is gone, the cache is older than the controller's last write, or
// Resume finished the sync.
func (e *Engine[T]) Load(ctx context.Context, key cache.ObjectName, get func() (T, error), d Deleter[T]) (obj T, result controller.Result, done bool, err error) {
	obj, ok, err := e.Fetch(key, func() (T, error) {
		cached, err := get()
		if apierrors.IsNotFound(err) && e.kind.ForgetKey != nil {
			e.kind.ForgetKey(key)
		}
		return cached, err
	})
	if !ok {
		return obj, controller.Result{}, true, err
	}
	result, done, err = e.Resume(ctx, obj, d)
	return obj, result, done, err
}

// Resume does what a sync does before it looks at the spec: it finishes the asynchronous
// operation in progress first, whatever it is (one operation at a time per object: a
// deletion waits for the provision or update the broker is working on), then deletes at
// the broker (for a deleted object, or for orphan mitigation), waits for the next attempt
// of a failed operation, or stops where the broker refused the spec for good. done is
// false when the loop goes on with the spec.
func (e *Engine[T]) Resume(ctx context.Context, obj T, d Deleter[T]) (result controller.Result, done bool, err error) {
	if wait := e.held.wait(obj, e.Now()); wait > 0 {
		return controller.Result{RequeueAfter: wait}, true, nil
	}
	status := e.kind.Record(obj)
	switch {
	case obj.GetDeletionTimestamp() != nil && status.Operation.Abandoned != nil:
		result, err = e.Delete(ctx, obj, d) // whatever the broker is doing
		return result, true, err
	case status.Operation.AsyncOpInProgress:
		if wait := e.polls.wait(obj, e.Now()); wait > 0 {
			return controller.Result{RequeueAfter: wait}, true, nil // an event never brings a poll forward
		}
		result, err = d.Poll(ctx, obj)
		return result, true, err
	case obj.GetDeletionTimestamp() != nil || status.Operation.OrphanMitigationInProgress:
		result, err = e.Delete(ctx, obj, d)
		return result, true, err
	}
	pending := *status.ObservedGeneration == obj.GetGeneration() || status.Current != ""
	if wait := e.Due(obj); wait > 0 && pending {
		return controller.Result{RequeueAfter: wait}, true, nil
	}
	// A Failed condition stays until the spec changes.
	return controller.Result{}, conditions.IsFailed(*status.Conditions, obj.GetGeneration()), nil
}

// Delete deletes an object's resource at the broker, then lets the loop finish: release
// the finalizer of a deleted object, or end orphan mitigation. A deleted object that
// lost the finalizer already is left alone.
func (e *Engine[T]) Delete(ctx context.Context, obj T, d Deleter[T]) (controller.Result, error) {
	deleted := obj.GetDeletionTimestamp() != nil
	if deleted && !slices.Contains(obj.GetFinalizers(), v1beta1.FinalizerServiceCatalog) {
		return controller.Result{}, nil
	}
	if deleted {
		if blocked, err := d.Blocked(ctx, obj); blocked || err != nil {
			return controller.Result{}, err
		}
	}
	op := e.kind.Record(obj).Operation
	if deleted && op.Abandoned != nil {
		return controller.Result{}, e.abandon(ctx, obj)
	}
	if !d.Held(obj) && !op.OrphanMitigationInProgress {
		return controller.Result{}, e.Release(ctx, obj)
	}
	if d.GaveUp(obj) {
		if e.stopped(obj, d) {
			return controller.Result{}, nil
		}
		conditions.ClearFailed(e.kind.Record(obj).Conditions) // a new attempt was asked for
	}
	if wait := e.Due(obj); wait > 0 && d.InFlight(obj) {
		return controller.Result{RequeueAfter: wait}, nil
	}
	removal, result, err := d.Prepare(ctx, obj)
	if removal == nil {
		return result, err
	}
	if !d.InFlight(obj) {
		reason, message := removal.Begin()
		if obj, err = e.Announce(ctx, obj, reason, message); err != nil {
			return controller.Result{}, err
		}
	}
	return e.send(ctx, obj, d, removal)
}

// send sends a delete and handles the answer: a 410 Gone means the resource is gone too;
// a failed delete is tried again later, whatever the broker said, since the object cannot
// go until the broker let go of its resource.
func (e *Engine[T]) send(ctx context.Context, obj T, d Deleter[T], removal *Removal) (controller.Result, error) {
	answer, err := removal.Send(ctx)
	switch {
	case osb.IsGone(err):
		return d.Gone(ctx, obj, osb.RequestIdentityOf(err))
	case err != nil:
		verdict, message := e.callFailed(ctx, obj, Call{Op: removal.Op, Broker: removal.Broker}, err)
		reason := removal.Failed
		if verdict == Busy {
			reason = conditions.BrokerBusy
			if removal.Follow != nil {
				removal.Follow(ctx)
			}
		}
		return e.retryDelete(ctx, obj, d, reason, message, osb.RetryAfterOf(err), refusal(err))
	case answer.Async:
		return e.Accepted(ctx, obj, answer, removal.Accepted, removal.AcceptedMessage(answer.RequestIdentity))
	}
	return d.Gone(ctx, obj, answer.RequestIdentity)
}

// Release lets the API server delete an object the broker holds nothing for.
func (e *Engine[T]) Release(ctx context.Context, obj T) error {
	e.forget(obj)
	e.checks.done(obj)
	return e.ReleaseFinalizer(ctx, obj)
}

// refusal tells whether a failed delete was refused by the broker: a 4xx other than 408
// and 422 ConcurrencyError (the broker busy is no refusal).
func refusal(err error) bool {
	code, ok := osb.StatusCode(err)
	return ok && code >= 400 && code < 500 && code != 408 && !osb.IsConcurrencyError(err)
}
