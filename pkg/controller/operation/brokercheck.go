package operation

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// BrokerCheckAnnotation asks for a check of a Ready object with its broker now: its value
// is a time (RFC 3339, or seconds since the epoch) after the last check.
const BrokerCheckAnnotation = "servicecatalog.k8s.io/check-broker"

// checks remembers, in memory, when each object is next due for a check with its broker.
// A restarted controller spreads its first checks over a period, by UID, so that it never
// asks the broker about every object at once.
type checks struct{ *polls }

func newChecks() checks { return checks{newPolls()} }

// wait returns how long until obj's next check is due: at once when the check
// annotation asks for one after the last check.
func (c checks) wait(obj metav1.Object, now time.Time, period time.Duration) time.Duration {
	due, ok := c.at(obj)
	if !ok {
		h := fnv.New64a()
		_, _ = h.Write([]byte(obj.GetUID()))
		due = now.Add(time.Duration(h.Sum64() % uint64(period)))
		c.next(obj, due)
	}
	if asked, ok := parseTime(obj.GetAnnotations()[BrokerCheckAnnotation]); ok && asked.After(due.Add(-period)) {
		return 0
	}
	return max(due.Sub(now), 0)
}

// BrokerCheck is a GET of the object at its broker: found false with a nil error when the
// broker answered 404.
type BrokerCheck func(ctx context.Context) (found bool, err error)

// CheckAtBroker asks the broker, every BrokerCheckPeriod and when the check annotation
// asks, whether it still holds a Ready object, and records what it says in the
// BrokerResourceMissing condition instead of believing it. It returns when to check next,
// or zero when the period is zero (checks off).
func (e *Engine[T]) CheckAtBroker(ctx context.Context, obj T, broker string, get BrokerCheck) (controller.Result, error) {
	period := e.cfg.BrokerCheckPeriod
	if period <= 0 {
		return controller.Result{}, nil
	}
	now := e.Now()
	if wait := e.checks.wait(obj, now, period); wait > 0 {
		return controller.Result{RequeueAfter: wait}, nil
	}
	found, err := get(ctx)
	e.checks.next(obj, now.Add(period))
	if err != nil {
		klog.FromContext(ctx).V(2).Info("The broker did not say whether it holds the object", e.kind.Noun, klog.KObj(obj), "broker", broker, "err", Describe(err))
		return controller.Result{RequeueAfter: period}, nil
	}
	conds := e.kind.Record(obj).Conditions
	missing := apimeta.FindStatusCondition(*conds, v1beta1.ConditionBrokerResourceMissing)
	switch {
	case !found:
		message := fmt.Sprintf("Broker %s answered 404 to GET %s %s at %s: it does not hold it. Delete the %s, or ask whoever runs the broker.",
			broker, e.kind.Noun, e.kind.ExternalID(obj), now.UTC().Format(time.RFC3339), e.kind.Noun)
		if missing != nil && missing.Status == metav1.ConditionTrue {
			return controller.Result{RequeueAfter: period}, nil
		}
		apimeta.SetStatusCondition(conds, metav1.Condition{Type: v1beta1.ConditionBrokerResourceMissing, Status: metav1.ConditionTrue,
			Reason: conditions.NotFoundAtBroker, Message: message, ObservedGeneration: obj.GetGeneration()})
		_, err = e.write(ctx, obj, corev1.EventTypeWarning, conditions.NotFoundAtBroker, message)
	case missing != nil && missing.Status == metav1.ConditionTrue:
		apimeta.SetStatusCondition(conds, metav1.Condition{Type: v1beta1.ConditionBrokerResourceMissing, Status: metav1.ConditionFalse,
			Reason: conditions.FoundAtBroker, Message: fmt.Sprintf("Broker %s holds it again.", broker), ObservedGeneration: obj.GetGeneration()})
		_, err = e.write(ctx, obj, corev1.EventTypeNormal, conditions.FoundAtBroker, fmt.Sprintf("Broker %s holds the %s again.", broker, e.kind.Noun))
	}
	if err != nil {
		return controller.Result{}, err
	}
	return controller.Result{RequeueAfter: period}, nil
}
