// Package operation is what every control loop that calls a broker shares, written once:
// it keeps the broker operation in the object's status (its start, its end, the retry
// backoff kept in status so that a restart neither forgets nor hammers, failing for good,
// orphan mitigation), polls asynchronous operations, sends the delete that ends a broker
// resource, tells what a failed broker call means, and releases the finalizer.
//
// A loop supplies only its verbs: what the spec resolves to, the request to send, and what
// the broker's answer means for its kind. The instance and binding loops are built on it.
package operation

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/cache"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// Object is a catalog object whose broker operations the engine keeps: a ServiceInstance
// or a ServiceBinding.
type Object[T any] = controller.Object[T]

// Record points at the parts of an object's status that record its broker operation.
type Record struct {
	// Conditions are the object's conditions.
	Conditions *[]metav1.Condition
	// ObservedGeneration is the generation of the spec the loop last acted on.
	ObservedGeneration *int64
	// Operation follows the operation in progress.
	Operation *v1beta1.OperationStatus
	// Current names the operation in progress, or is "".
	Current string
	// End clears the kind's own record of the operation in progress: which operation it
	// is and the request it sent.
	End func()
}

// Kind is what the engine knows of one kind of object.
type Kind[T Object[T]] struct {
	// Noun names the kind in logs: "instance", "binding".
	Noun string
	// Record returns the record of the object's broker operation.
	Record func(T) Record
	// FailAdvice ends the message of a Failed condition: what a user can do about it.
	FailAdvice string
	// BusyMessage is the condition message of a broker busy with another operation.
	BusyMessage string
	// Forget, when set, drops what the loop keeps in memory about the object: called when
	// its operation fails for good, when orphan mitigation starts, and when it is released.
	Forget func(T)
	// ForgetKey, when set, drops what the loop keeps in memory about an object that is
	// gone.
	ForgetKey func(cache.ObjectName)
	// ExternalID returns the id of the object at the broker.
	ExternalID func(T) string
	// Ledger returns how the broker's ledger of abandoned objects records the object, and
	// the broker's catalog.Key ("" when it is not known).
	Ledger func(T) (brokerKey string, entry v1beta1.AbandonedResource)
}

// Engine keeps the broker operations of one kind of object. It writes them with the
// kind's Writer, whose methods it has.
type Engine[T Object[T]] struct {
	*controller.Writer[T]
	kind  Kind[T]
	cfg   Config
	polls *polls
	// checks are when objects were last checked with their brokers.
	checks checks
	// held are objects whose status could not be written: they are not synced again for a
	// while, so that a broker call is not repeated in a tight loop.
	held *polls
}

// New returns the engine of a kind, which writes with writer.
func New[T Object[T]](kind Kind[T], writer *controller.Writer[T], cfg Config) *Engine[T] {
	return &Engine[T]{Writer: writer, kind: kind, cfg: cfg.Complete(), polls: newPolls(), held: newPolls(), checks: newChecks()}
}

// Now tells the time.
func (e *Engine[T]) Now() time.Time { return e.cfg.Clock.Now() }

// statusWriteHold is how long an object whose status the API server refused is left alone.
const statusWriteHold = time.Minute

// UpdateStatus writes the object's status. A write the API server refuses for good (the
// object is invalid or too large) after a broker call would make each retry repeat the
// call: it is logged, shown in an event, and the object is left alone for a minute.
func (e *Engine[T]) UpdateStatus(ctx context.Context, obj T) (T, error) {
	updated, err := e.Writer.UpdateStatus(ctx, obj)
	if err != nil && (apierrors.IsInvalid(err) || apierrors.IsRequestEntityTooLargeError(err)) {
		klog.FromContext(ctx).Error(err, "The API server refused the status; the object is left alone for a while", e.kind.Noun, klog.KObj(obj))
		e.event(obj, corev1.EventTypeWarning, "StatusWriteFailed", "The API server refused the status the controller wrote: "+err.Error())
		e.held.next(obj, e.Now().Add(statusWriteHold))
	}
	return updated, err
}

// setReady sets the Ready condition at the object's generation and tells whether it changed.
func (e *Engine[T]) setReady(obj T, status metav1.ConditionStatus, reason, message string) bool {
	return conditions.Ready(e.kind.Record(obj).Conditions, status, reason, message, obj.GetGeneration())
}

// event records an event about the object.
func (e *Engine[T]) event(obj T, eventType, reason, message string) {
	e.cfg.Recorder.Event(obj, eventType, reason, message)
}

// Event records a Normal event about obj.
func (e *Engine[T]) Event(obj T, reason, message string) {
	e.event(obj, corev1.EventTypeNormal, reason, message)
}

// Sentence ends a message for a condition with a full stop, which error strings do not
// have, so that what follows it in a condition reads as another sentence.
func Sentence(message string) string {
	message = strings.TrimSpace(message)
	if message == "" || strings.HasSuffix(message, ".") || strings.HasSuffix(message, "?") || strings.HasSuffix(message, "!") {
		return message
	}
	return message + "."
}

// Report sets Ready to True or False with reason and message, records an event of the
// same, and writes the status.
func (e *Engine[T]) Report(ctx context.Context, obj T, ready bool, reason, message string) (T, error) {
	status, eventType := metav1.ConditionFalse, corev1.EventTypeWarning
	if ready {
		status, eventType = metav1.ConditionTrue, corev1.EventTypeNormal
	}
	e.setReady(obj, status, reason, message)
	return e.write(ctx, obj, eventType, reason, message)
}

// write writes the status, then records an event: what the event says happened is in
// status first.
func (e *Engine[T]) write(ctx context.Context, obj T, eventType, reason, message string) (T, error) {
	updated, err := e.UpdateStatus(ctx, obj)
	if err == nil {
		e.event(obj, eventType, reason, message)
	}
	return updated, err
}

// Announce records, before a request is sent, that it is in flight: Ready False with
// reason and message, written without an event.
func (e *Engine[T]) Announce(ctx context.Context, obj T, reason, message string) (T, error) {
	e.setReady(obj, metav1.ConditionFalse, reason, message)
	return e.UpdateStatus(ctx, obj)
}

// Wait records why the object waits for something that is not a broker call, and writes
// the status only when that changed. With eventType set, a change is also an event.
func (e *Engine[T]) Wait(ctx context.Context, obj T, eventType, reason, message string) error {
	if !e.setReady(obj, metav1.ConditionFalse, reason, message) {
		return nil
	}
	var err error
	if eventType != "" {
		_, err = e.write(ctx, obj, eventType, reason, message)
	} else {
		_, err = e.UpdateStatus(ctx, obj)
	}
	return err
}

// NotReady records why the object waits, without a broker call, and retries the key with
// the runner's backoff. The status is written only when it changes.
func (e *Engine[T]) NotReady(ctx context.Context, obj T, reason string, cause error) (controller.Result, error) {
	if err := e.Wait(ctx, obj, corev1.EventTypeWarning, reason, Sentence(cause.Error())); err != nil {
		return controller.Result{}, err
	}
	return controller.Result{}, fmt.Errorf("%s: %w", reason, cause)
}
