package operation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// RetryAnnotation asks the controller to try again a delete it gave up on: its value is a
// time (RFC 3339, or seconds since the epoch, as `date +%s` prints) after the controller
// gave up.
const RetryAnnotation = "servicecatalog.k8s.io/retry"

// RetryDelete records a failed delete, the failed or expired poll of an asynchronous one
// included, and when it is tried again; once the deletes have failed for longer than the
// retry window, it gives up.
func (e *Engine[T]) RetryDelete(ctx context.Context, obj T, d Deleter[T], reason, message string) (controller.Result, error) {
	return e.retryDelete(ctx, obj, d, reason, message, 0)
}

// retryDelete records a failed delete and when it is tried again; once the deletes have
// failed for longer than the retry window, it gives up instead, with a Failed condition
// that says what to do.
func (e *Engine[T]) retryDelete(ctx context.Context, obj T, d Deleter[T], reason, message string, brokerWait time.Duration) (controller.Result, error) {
	attempts := e.kind.Record(obj).Operation.Attempts
	window := e.cfg.DeleteRetryWindow
	// Orphan mitigation is not a user's request: it goes on until the broker answers.
	if window <= 0 || obj.GetDeletionTimestamp() == nil || e.cfg.Backoff.Elapsed(attempts.Count+1) < window {
		return e.retryAfter(ctx, obj, reason, message, brokerWait)
	}
	d.GiveUp(obj)
	advice := fmt.Sprintf("The catalog stopped trying after %d attempts over %s. Once the broker can take the request, "+
		"ask for a new attempt with `kubectl annotate --overwrite %s/%s %s=$(date +%%s)`; "+
		"removing the finalizer %s instead lets the object go without the broker, which may keep what it holds.",
		attempts.Count+1, window, kindOf(obj), obj.GetName(), RetryAnnotation, v1beta1.FinalizerServiceCatalog)
	return e.failWith(ctx, obj, conditions.DeleteFailed, message+" "+advice)
}

// stopped tells whether a delete the controller gave up on is still to be left alone:
// no retry was asked for since.
func (e *Engine[T]) stopped(obj T, d Deleter[T]) bool {
	if !d.GaveUp(obj) {
		return false
	}
	failed := apimeta.FindStatusCondition(*e.kind.Record(obj).Conditions, v1beta1.ConditionFailed)
	if failed == nil || failed.Reason != conditions.DeleteFailed {
		return false
	}
	asked, ok := parseTime(obj.GetAnnotations()[RetryAnnotation])
	return !ok || !asked.After(failed.LastTransitionTime.Time)
}

// parseTime parses an RFC 3339 time or seconds since the epoch.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

// kindOf names obj's kind for kubectl.
func kindOf(obj any) string {
	switch obj.(type) {
	case *v1beta1.ServiceInstance:
		return "serviceinstance"
	case *v1beta1.ServiceBinding:
		return "servicebinding"
	}
	return fmt.Sprintf("%T", obj)
}
