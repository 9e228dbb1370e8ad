package operation

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// RetryAnnotation asks the controller to try again a delete it gave up on: its value is a
// time (RFC 3339, or seconds since the epoch, as `date +%s` prints) after the controller
// gave up. The retry subresource does the same, and more: it also cuts the wait for the
// next attempt short.
const RetryAnnotation = "servicecatalog.k8s.io/retry"

// RetryDelete records a failed delete, the failed or expired poll of an asynchronous one
// included, and when it is tried again; once the deletes have failed for longer than the
// retry window, it gives up. refused tells that the broker refused the delete (a 4xx, or
// an asynchronous delete that ended failed): a deleted object then shows DeleteBlocked.
func (e *Engine[T]) RetryDelete(ctx context.Context, obj T, d Deleter[T], reason, message string, refused bool) (controller.Result, error) {
	return e.retryDelete(ctx, obj, d, reason, message, 0, refused)
}

// retryDelete records a failed delete and when it is tried again; once the deletes have
// failed for longer than the retry window, it gives up instead, with a Failed condition
// that says what to do.
func (e *Engine[T]) retryDelete(ctx context.Context, obj T, d Deleter[T], reason, message string, brokerWait time.Duration, refused bool) (controller.Result, error) {
	record := e.kind.Record(obj)
	attempts := record.Operation.Attempts
	window := e.cfg.DeleteRetryWindow
	deleted := obj.GetDeletionTimestamp() != nil && !record.Operation.OrphanMitigationInProgress
	// Orphan mitigation is not a user's request: it goes on until the broker answers.
	if window <= 0 || !deleted || e.cfg.Backoff.Elapsed(attempts.Count+1) < window {
		return e.retryNoting(ctx, obj, reason, message, brokerWait, func(next time.Time) {
			if !deleted || !refused {
				apimeta.RemoveStatusCondition(record.Conditions, v1beta1.ConditionDeleteBlocked)
				return
			}
			e.setDeleteBlocked(obj, reason, fmt.Sprintf("%s The next attempt is at %s. %s",
				message, next.UTC().Format(time.RFC3339), interventionAdvice(obj, "to try now")))
		})
	}
	d.GiveUp(obj)
	advice := fmt.Sprintf("The catalog stopped trying after %d attempts over %s. %s",
		attempts.Count+1, window, interventionAdvice(obj, "once the broker can take the request"))
	e.setDeleteBlocked(obj, conditions.DeleteFailed, message+" "+advice)
	return e.failWith(ctx, obj, conditions.DeleteFailed, message+" "+advice)
}

// setDeleteBlocked records, on an object being deleted, that its delete is held up at the
// broker.
func (e *Engine[T]) setDeleteBlocked(obj T, reason, message string) {
	apimeta.SetStatusCondition(e.kind.Record(obj).Conditions, metav1.Condition{
		Type: v1beta1.ConditionDeleteBlocked, Status: metav1.ConditionTrue, Reason: reason, Message: message,
		ObservedGeneration: obj.GetGeneration(),
	})
}

// interventionAdvice says how a user asks for a new attempt (when), or lets the object go
// without the broker.
func interventionAdvice(obj metav1.Object, when string) string {
	path := fmt.Sprintf("/apis/%s/namespaces/%s/%ss/%s", v1beta1.SchemeGroupVersion, obj.GetNamespace(), kindOf(obj), obj.GetName())
	return fmt.Sprintf("To ask for a new attempt %s: echo '{}' | kubectl create --raw %s/retry -f -. "+
		"To let the %s go without the broker, which may keep what it holds (admins): the same with %s/abandon.",
		when, path, kindOf(obj), path)
}

// abandon lets a deleted object go without calling the broker again, as a user asked
// through the abandon subresource: an event records who asked and what the broker may
// still hold.
func (e *Engine[T]) abandon(ctx context.Context, obj T) error {
	a := e.kind.Record(obj).Operation.Abandoned
	message := fmt.Sprintf("Released without the broker at the request of %s", a.User)
	if a.Reason != "" {
		message += " (" + a.Reason + ")"
	}
	message += fmt.Sprintf("; the broker may still hold %s %s.", kindOf(obj), e.kind.ExternalID(obj))
	e.event(obj, corev1.EventTypeWarning, conditions.Abandoned, message)
	klog.FromContext(ctx).Info("Released without the broker", e.kind.Noun, klog.KObj(obj), "externalID", e.kind.ExternalID(obj), "user", a.User)
	if err := e.recordAbandoned(ctx, obj, a); err != nil {
		return err
	}
	e.forget(obj)
	return e.Release(ctx, obj)
}

// maxAbandoned is how many abandoned objects a broker's ledger keeps.
const maxAbandoned = 100

// recordAbandoned adds the object to its broker's ledger of abandoned objects
// (status.abandoned), newest first, once.
func (e *Engine[T]) recordAbandoned(ctx context.Context, obj T, a *v1beta1.Abandonment) error {
	if e.kind.Ledger == nil {
		return nil
	}
	key, entry := e.kind.Ledger(obj)
	if key == "" {
		return nil
	}
	entry.Namespace, entry.Name, entry.User, entry.Time, entry.Reason = obj.GetNamespace(), obj.GetName(), a.User, a.Time, a.Reason
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	sc := e.cfg.Client.ServicecatalogV1beta1()
	if namespace == "" {
		err = addToLedger(ctx, sc.ClusterServiceBrokers(), name, entry,
			func(b *v1beta1.ClusterServiceBroker) *[]v1beta1.AbandonedResource { return &b.Status.Abandoned })
	} else {
		err = addToLedger(ctx, sc.ServiceBrokers(namespace), name, entry,
			func(b *v1beta1.ServiceBroker) *[]v1beta1.AbandonedResource { return &b.Status.Abandoned })
	}
	if apierrors.IsNotFound(err) {
		return nil // the broker is gone: the event is the record
	}
	return err
}

// brokerStatusClient is the part of a typed broker client the ledger uses.
type brokerStatusClient[B any] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (B, error)
	UpdateStatus(ctx context.Context, obj B, opts metav1.UpdateOptions) (B, error)
}

// addToLedger puts entry first in the ledger of the broker called name, once, keeping the
// newest maxAbandoned.
func addToLedger[B any](ctx context.Context, brokers brokerStatusClient[B], name string, entry v1beta1.AbandonedResource, ledger func(B) *[]v1beta1.AbandonedResource) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		broker, err := brokers.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		l := ledger(broker)
		if slices.Contains(*l, entry) {
			return nil
		}
		*l = append([]v1beta1.AbandonedResource{entry}, *l...)
		*l = (*l)[:min(len(*l), maxAbandoned)]
		_, err = brokers.UpdateStatus(ctx, broker, metav1.UpdateOptions{FieldManager: "catalog-ledger"})
		return err
	})
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
