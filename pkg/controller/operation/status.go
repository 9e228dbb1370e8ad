package operation

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// Answer is what a broker said to a request that may finish asynchronously.
type Answer struct {
	// Async is true for 202 Accepted: the operation goes on at the broker.
	Async bool
	// OperationKey is the broker's operation for an asynchronous answer, if any.
	OperationKey *string
	// RequestIdentity is the X-Broker-API-Request-Identity of the request.
	RequestIdentity string
}

// Begin records, in memory, that an operation is about to be sent; the loop records which
// one and the request. Failed attempts are kept: an operation tried again backs off.
func (e *Engine[T]) Begin(obj T) {
	op := e.kind.Record(obj).Operation
	now := metav1.NewTime(e.Now())
	op.OperationStartTime = &now
	op.AsyncOpInProgress = false
	op.OperationKey = ""
}

// End clears the record of the operation in progress, its attempts included.
func (e *Engine[T]) End(obj T) {
	record := e.kind.Record(obj)
	record.End()
	op := record.Operation
	op.OperationStartTime = nil
	op.AsyncOpInProgress = false
	op.OperationKey = ""
	op.Attempts = v1beta1.OperationAttempts{}
}

// Due returns how long to wait before the next attempt of a failed operation, or zero.
func (e *Engine[T]) Due(obj T) time.Duration {
	return controller.Remaining(e.kind.Record(obj).Operation.Attempts, e.Now())
}

// RetryLater records a failed broker call and when the next attempt is due, in status, so
// that a restarted controller waits as long.
func (e *Engine[T]) RetryLater(ctx context.Context, obj T, reason, message string) (controller.Result, error) {
	return e.retryAfter(ctx, obj, reason, message, 0)
}

// retryAfter is RetryLater that waits at least as long as the broker's Retry-After. The
// event says what failed; the condition also says which attempt it was and when the next
// is, which would keep events from aggregating.
func (e *Engine[T]) retryAfter(ctx context.Context, obj T, reason, message string, brokerWait time.Duration) (controller.Result, error) {
	return e.retryNoting(ctx, obj, reason, message, brokerWait, func(time.Time) {})
}

// retryNoting is retryAfter that lets note record, in status, when the next attempt is.
func (e *Engine[T]) retryNoting(ctx context.Context, obj T, reason, message string, brokerWait time.Duration, note func(next time.Time)) (controller.Result, error) {
	attempts := &e.kind.Record(obj).Operation.Attempts
	now := e.Now()
	wait := e.cfg.Backoff.Failed(attempts, now)
	if brokerWait > wait {
		next := metav1.NewTime(now.Add(brokerWait).Truncate(time.Second).Add(time.Second))
		attempts.NextAttemptTime, wait = &next, next.Sub(now)
	}
	note(attempts.NextAttemptTime.Time)
	e.setReady(obj, metav1.ConditionFalse, reason, fmt.Sprintf("%s Attempt %d failed; the next is at %s.",
		message, attempts.Count, attempts.NextAttemptTime.UTC().Format(time.RFC3339)))
	if _, err := e.write(ctx, obj, corev1.EventTypeWarning, reason, message); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: wait}, nil
}

// Fail stops trying until the spec changes: the broker refused the request in a way that
// trying again cannot fix. The operation ends; the kind's advice says what to do.
func (e *Engine[T]) Fail(ctx context.Context, obj T, reason, message string) (controller.Result, error) {
	return e.failWith(ctx, obj, reason, message+" "+e.kind.FailAdvice)
}

// failWith is Fail with message saying what to do.
func (e *Engine[T]) failWith(ctx context.Context, obj T, reason, message string) (controller.Result, error) {
	e.setReady(obj, metav1.ConditionFalse, reason, message)
	conditions.Failed(e.kind.Record(obj).Conditions, reason, message, obj.GetGeneration())
	e.End(obj)
	e.forget(obj)
	_, err := e.write(ctx, obj, corev1.EventTypeWarning, reason, message)
	return controller.Result{}, err
}

// Accepted records a 202: the broker works on the operation, which is polled from now on.
// The maximum polling duration counts from the broker's acceptance: a request sent again
// after an attempt that failed or timed out gets its own polling window.
func (e *Engine[T]) Accepted(ctx context.Context, obj T, answer Answer, reason, message string) (controller.Result, error) {
	op := e.kind.Record(obj).Operation
	accepted := metav1.NewTime(e.Now())
	op.OperationStartTime = &accepted
	op.LastRequestIdentity = answer.RequestIdentity
	op.AsyncOpInProgress = true
	op.OperationKey = ""
	if answer.OperationKey != nil {
		op.OperationKey = *answer.OperationKey
	}
	e.setReady(obj, metav1.ConditionFalse, reason, message)
	if _, err := e.write(ctx, obj, corev1.EventTypeNormal, reason, message); err != nil {
		return controller.Result{}, err
	}
	return e.pollAfter(obj, nil, 0), nil
}

// StartOrphanMitigation records a creation that may have left a half-made resource at the
// broker (the OrphanMitigation condition says why); the deletion path removes it next.
// readyMessage is the Ready condition's message meanwhile.
func (e *Engine[T]) StartOrphanMitigation(ctx context.Context, obj T, reason, message, readyMessage string) (controller.Result, error) {
	op := e.kind.Record(obj).Operation
	op.OrphanMitigationInProgress = true
	op.AsyncOpInProgress = false
	op.OperationKey = ""
	e.forget(obj)
	conditions.Set(e.kind.Record(obj).Conditions, v1beta1.ConditionOrphanMitigation, metav1.ConditionTrue, reason, message, obj.GetGeneration())
	if _, err := e.Report(ctx, obj, false, conditions.OrphanMitigationInProgress, readyMessage); err != nil {
		return controller.Result{}, err
	}
	return controller.RequeueNow, nil
}

// EndOrphanMitigation records that the broker deleted what a failed creation may have
// left (done says so) and returns the condition that started the mitigation, or fallback.
// The operation ends; its failed attempts are kept, so that the next creation backs off.
func (e *Engine[T]) EndOrphanMitigation(obj T, done string, fallback metav1.Condition) metav1.Condition {
	status := e.kind.Record(obj)
	cause := fallback
	if c := apimeta.FindStatusCondition(*status.Conditions, v1beta1.ConditionOrphanMitigation); c != nil {
		cause = *c
	}
	conditions.Set(status.Conditions, v1beta1.ConditionOrphanMitigation, metav1.ConditionFalse, conditions.OrphanMitigationSuccessful, done, obj.GetGeneration())
	e.event(obj, corev1.EventTypeNormal, conditions.OrphanMitigationSuccessful, done)
	attempts := status.Operation.Attempts
	e.End(obj)
	status.Operation.OrphanMitigationInProgress = false
	status.Operation.Attempts = attempts
	return cause
}

// forget drops what the loop keeps in memory about the object.
func (e *Engine[T]) forget(obj T) {
	if e.kind.Forget != nil {
		e.kind.Forget(obj)
	}
}
