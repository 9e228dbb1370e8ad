package operation

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/controller"
	"github.com/kube-service-catalog/catalog/pkg/controller/brokerclient"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
	"github.com/kube-service-catalog/catalog/pkg/osb"
	"github.com/kube-service-catalog/catalog/pkg/parameters"
)

// Verdict is what a failed broker call means for the platform, as the OSB specification's
// orphan-mitigation table and error codes say.
type Verdict int

const (
	// Retry means the call may succeed later; it is tried again with a backoff.
	Retry Verdict = iota
	// Busy means the broker is busy with another operation on the resource (422
	// ConcurrencyError); the call is tried again later.
	Busy
	// MitigateOrphan means the broker may hold a half-made resource, which must be deleted
	// there before anything else.
	MitigateOrphan
	// RefusedHeld means the broker refused the call but may hold the resource: it answered 409
	// (it holds one with this id), or 200 with a body that cannot be read.
	RefusedHeld
	// Refused means the broker refused the call and holds nothing; trying again cannot help.
	Refused
)

// Call is a broker call, described for when it fails.
type Call struct {
	// Op is the operation.
	Op osb.Operation
	// Broker is the broker's name.
	Broker string
	// Retried is the Ready reason of a failed call that is tried again later.
	Retried string
	// Refused is the Ready reason of a call the broker refused for good; RefusedNote, when
	// set, ends its message.
	Refused, RefusedNote string
	// Refusal, when set, records after a refusal whether the broker may hold the resource.
	Refusal func(held bool)
	// Secrets are the secret values the call sent: a broker description that echoes one
	// is redacted before it reaches a condition or an event.
	Secrets []string
	// MitigateOrphan starts orphan mitigation after a create that may have left a half-made
	// resource at the broker.
	MitigateOrphan func(ctx context.Context, reason, message string) (controller.Result, error)
}

// Failed handles a failed broker call as the OSB specification says: a create that may
// have left a resource behind starts orphan mitigation; a refusal stops until the spec
// changes; anything else, a busy broker included, is tried again later.
func (e *Engine[T]) Failed(ctx context.Context, obj T, call Call, err error) (controller.Result, error) {
	verdict, message := e.callFailed(ctx, obj, call, err)
	switch verdict {
	case MitigateOrphan:
		return call.MitigateOrphan(ctx, call.Retried, message)
	case Busy:
		return e.retryAfter(ctx, obj, conditions.BrokerBusy, message, osb.RetryAfterOf(err))
	case RefusedHeld, Refused:
		if call.Refusal != nil {
			call.Refusal(verdict == RefusedHeld)
		}
		if call.RefusedNote != "" {
			message += " " + call.RefusedNote
		}
		return e.Fail(ctx, obj, call.Refused, message)
	}
	return e.retryAfter(ctx, obj, call.Retried, message, osb.RetryAfterOf(err))
}

// callFailed records and logs a failed call, forgets the broker's client when the broker
// refused its credentials, and tells what the failure means, with a message for a
// condition (ending with a full stop, holding nothing the broker sent but its error
// description).
func (e *Engine[T]) callFailed(ctx context.Context, obj T, call Call, err error) (Verdict, string) {
	requestIdentity := osb.RequestIdentityOf(err)
	e.kind.Record(obj).Operation.LastRequestIdentity = requestIdentity
	// The broker's description may echo a secret parameter: it is logged redacted.
	Logger(ctx, requestIdentity).Info("Broker call failed", "operation", call.Op, e.kind.Noun, klog.KObj(obj), "err", parameters.Redact(err.Error(), call.Secrets))
	if osb.IsUnauthorized(err) {
		e.cfg.BrokerClients.Forget(call.Broker)
	}
	if osb.IsMaintenanceInfoConflict(err) && e.cfg.RequestRelist != nil {
		e.cfg.RequestRelist(call.Broker) // the broker's catalog changed: fetch it again
	}
	return Classify(call.Op, err), parameters.Redact(e.failureMessage(err), call.Secrets)
}

// Classify tells what a failed call of op means. Only a create or an update is ever
// refused for good: a delete or a read is tried again until the broker answers.
func Classify(op osb.Operation, err error) Verdict {
	switch {
	case creates(op) && osb.NeedsOrphanMitigation(op, err):
		return MitigateOrphan
	case osb.IsConcurrencyError(err):
		return Busy
	case op == osb.OperationUpdate && !osb.UpdateRepeatableOf(err):
		return Refused // the broker said this very update must not be sent again
	case osb.IsUnauthorized(err), osb.IsPreconditionFailed(err), osb.IsMaintenanceInfoConflict(err):
		return Retry
	case !creates(op) && op != osb.OperationUpdate:
		return Retry
	case creates(op) && (osb.IsConflict(err) || osb.IsMalformedResponse(err)):
		return RefusedHeld
	}
	if code, ok := osb.StatusCode(err); ok && code >= 400 && code < 500 && code != 408 {
		return Refused
	}
	return Retry
}

// creates tells whether op creates a resource at the broker.
func creates(op osb.Operation) bool {
	return op == osb.OperationProvision || op == osb.OperationBind
}

// failureMessage describes a failed call for a condition.
func (e *Engine[T]) failureMessage(err error) string {
	switch {
	case osb.IsConcurrencyError(err):
		return e.kind.BusyMessage
	case osb.IsUnauthorized(err):
		return "The broker refused the catalog's credentials (401)."
	case osb.IsPreconditionFailed(err):
		return Describe(err) + " (the broker refused the OSB API version; see the broker's spec.osbAPIVersion)."
	case osb.IsMaintenanceInfoConflict(err):
		return Describe(err) + " (the broker's catalog changed; it is fetched again at once)."
	}
	return Describe(err) + "."
}

// Describe returns the broker's message for a failed call, for conditions.
func Describe(err error) string {
	var h *osb.HTTPStatusCodeError
	if errors.As(err, &h) && h.Description != "" {
		return fmt.Sprintf("The broker answered %d: %s", h.StatusCode, h.Description)
	}
	return "The broker call failed: " + err.Error()
}

// BrokerUnavailable records that no client could be built for the broker, e.g. because
// its auth Secret is missing; any other error is returned as it is.
func (e *Engine[T]) BrokerUnavailable(ctx context.Context, obj T, reason string, err error) (controller.Result, error) {
	var ce *brokerclient.CredentialsError
	if !errors.As(err, &ce) {
		return controller.Result{}, err
	}
	return e.NotReady(ctx, obj, reason, fmt.Errorf("the broker's credentials cannot be read: %w", ce))
}

// Logger returns the sync's logger with a broker request identity.
func Logger(ctx context.Context, requestIdentity string) klog.Logger {
	return klog.FromContext(ctx).WithValues("requestIdentity", requestIdentity)
}
