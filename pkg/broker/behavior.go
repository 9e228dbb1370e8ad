package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Modes of a mutating operation.
const (
	// ModeSync answers with the final result at once (the default).
	ModeSync = "sync"
	// ModeAsync answers 202 and finishes after AsyncPolls polls.
	ModeAsync = "async"
)

// Behavior is the test behaviour of one plan: an optional default and
// optional per-operation entries. An operation without its own entry uses
// Default; with neither it is synchronous and well-behaved.
//
// In a catalog file it lives under the plan's metadata.testBroker; at run time
// it is set with Broker.SetBehavior or PUT /admin/behaviors/{plan}.
type Behavior struct {
	// Default applies to every operation without its own entry.
	Default *OpBehavior `json:"default,omitempty"`
	// Provision applies to PUT /v2/service_instances/:id.
	Provision *OpBehavior `json:"provision,omitempty"`
	// Update applies to PATCH /v2/service_instances/:id.
	Update *OpBehavior `json:"update,omitempty"`
	// Deprovision applies to DELETE /v2/service_instances/:id.
	Deprovision *OpBehavior `json:"deprovision,omitempty"`
	// Bind applies to PUT .../service_bindings/:id.
	Bind *OpBehavior `json:"bind,omitempty"`
	// Unbind applies to DELETE .../service_bindings/:id.
	Unbind *OpBehavior `json:"unbind,omitempty"`
	// LastOperation applies to instance last_operation polls ("poll" is an alias).
	LastOperation *OpBehavior `json:"lastOperation,omitempty"`
	// BindingLastOperation applies to binding last_operation polls.
	BindingLastOperation *OpBehavior `json:"bindingLastOperation,omitempty"`
	// GetInstance applies to GET /v2/service_instances/:id.
	GetInstance *OpBehavior `json:"getInstance,omitempty"`
	// GetBinding applies to GET .../service_bindings/:id.
	GetBinding *OpBehavior `json:"getBinding,omitempty"`
	// Credentials, when set, are returned verbatim by bind instead of
	// generated ones.
	Credentials map[string]any `json:"credentials,omitempty"`
	// BindingFields, when set, are sent verbatim beside the credentials in
	// bind and GET binding answers, whatever the API version.
	BindingFields *BindingFields `json:"bindingFields,omitempty"`
}

// BindingFields are the fields of a binding besides its credentials, with
// their OSB names. Each is sent as it is given, so that a test can send
// malformed values too; an unset field is not sent.
type BindingFields struct {
	// Endpoints replace the endpoints generated from the credentials' host and
	// port (API 2.16 and later).
	Endpoints any `json:"endpoints,omitempty"`
	// Metadata is the binding's metadata: expires_at, renew_before.
	Metadata any `json:"metadata,omitempty"`
	// SyslogDrainURL is where the platform should stream the application's logs.
	SyslogDrainURL any `json:"syslog_drain_url,omitempty"`
	// RouteServiceURL is where the platform should proxy requests.
	RouteServiceURL any `json:"route_service_url,omitempty"`
	// VolumeMounts are volumes the platform should mount.
	VolumeMounts any `json:"volume_mounts,omitempty"`
}

// OpBehavior is how the broker answers one operation of a plan.
//
// Faults (FailStatus, Hang, MalformedBody, Status204) are injected on the
// first FailTimes requests of this plan and operation, or on every request
// when FailTimes is 0. FailStatus rejects the request without changing state.
// Hang, MalformedBody and Status204 model a lost or garbled success: on
// provision, update, deprovision, bind and unbind the operation is applied
// first, so the broker holds what the platform may have to orphan-mitigate.
type OpBehavior struct {
	// Mode is "sync" (default) or "async" (provision, update, deprovision,
	// bind, unbind). An async operation needs accepts_incomplete=true, else
	// the broker answers 422 AsyncRequired.
	Mode string `json:"mode,omitempty"`
	// AsyncPolls is how many polls answer "in progress" before the final state.
	AsyncPolls int `json:"asyncPolls,omitempty"`
	// RetryAfterSeconds is sent as Retry-After on "in progress" polls.
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
	// AsyncState is the final state of an async operation: "succeeded"
	// (default) or "failed".
	AsyncState string `json:"asyncState,omitempty"`
	// AsyncDescription is the description of the final poll answer.
	AsyncDescription string `json:"asyncDescription,omitempty"`
	// InstanceUsable is sent as instance_usable on a failed final poll and on
	// FailStatus answers.
	InstanceUsable *bool `json:"instanceUsable,omitempty"`
	// UpdateRepeatable is sent as update_repeatable likewise.
	UpdateRepeatable *bool `json:"updateRepeatable,omitempty"`

	// FailStatus answers with this status instead of processing the request.
	FailStatus int `json:"failStatus,omitempty"`
	// FailError is the "error" code of the FailStatus body.
	FailError string `json:"failError,omitempty"`
	// FailDescription is the "description" of the FailStatus body.
	FailDescription string `json:"failDescription,omitempty"`
	// FailBody, when set, is sent verbatim (as text/html) instead of a JSON
	// error body.
	FailBody string `json:"failBody,omitempty"`
	// FailTimes limits every fault to the first N requests; 0 means always.
	FailTimes int `json:"failTimes,omitempty"`
	// Hang holds the answer until the client goes away, HangSeconds pass, or
	// the broker's maximum hang time passes, then answers normally.
	Hang bool `json:"hang,omitempty"`
	// HangSeconds bounds a hang; 0 means until the client goes away.
	HangSeconds int `json:"hangSeconds,omitempty"`
	// MalformedBody answers the success status with a body that is not JSON.
	MalformedBody bool `json:"malformedBody,omitempty"`
	// Malformed201 is an alias of MalformedBody.
	Malformed201 bool `json:"malformed201,omitempty"`
	// Status204 answers 204 No Content instead of the success status.
	Status204 bool `json:"status204,omitempty"`
	// RequiresApp makes bind answer 422 RequiresApp when
	// bind_resource.app_guid is missing.
	RequiresApp bool `json:"requiresApp,omitempty"`
}

// UnmarshalJSON accepts "poll" as an alias of "lastOperation" and rejects
// unknown knobs, so a typo in a catalog file is reported.
func (b *Behavior) UnmarshalJSON(data []byte) error {
	type plain Behavior
	var aux struct {
		plain
		Poll *OpBehavior `json:"poll,omitempty"`
	}
	if err := strictUnmarshal(data, &aux); err != nil {
		return err
	}
	*b = Behavior(aux.plain)
	if b.LastOperation == nil {
		b.LastOperation = aux.Poll
	}
	return nil
}

// UnmarshalJSON rejects unknown knobs.
func (o *OpBehavior) UnmarshalJSON(data []byte) error {
	type plain OpBehavior
	var p plain
	if err := strictUnmarshal(data, &p); err != nil {
		return err
	}
	*o = OpBehavior(p)
	return nil
}

func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// For returns the behaviour of operation op: its own entry, else Default,
// else the zero OpBehavior.
func (b Behavior) For(op osb.Operation) OpBehavior {
	var ob *OpBehavior
	switch op {
	case osb.OperationProvision:
		ob = b.Provision
	case osb.OperationUpdate:
		ob = b.Update
	case osb.OperationDeprovision:
		ob = b.Deprovision
	case osb.OperationBind:
		ob = b.Bind
	case osb.OperationUnbind:
		ob = b.Unbind
	case osb.OperationLastOperation:
		ob = b.LastOperation
	case osb.OperationBindingLastOperation:
		ob = b.BindingLastOperation
	case osb.OperationGetInstance:
		ob = b.GetInstance
	case osb.OperationGetBinding:
		ob = b.GetBinding
	}
	if ob == nil {
		ob = b.Default
	}
	if ob == nil {
		return OpBehavior{}
	}
	return *ob
}

// Validate reports knobs with impossible values.
func (b *Behavior) Validate() error {
	if b == nil {
		return nil
	}
	var errs []error
	for _, e := range []struct {
		name string
		ob   *OpBehavior
	}{
		{"default", b.Default}, {"provision", b.Provision}, {"update", b.Update}, {"deprovision", b.Deprovision},
		{"bind", b.Bind}, {"unbind", b.Unbind}, {"lastOperation", b.LastOperation},
		{"bindingLastOperation", b.BindingLastOperation}, {"getInstance", b.GetInstance}, {"getBinding", b.GetBinding},
	} {
		if e.ob == nil {
			continue
		}
		if err := e.ob.validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", e.name, err))
		}
	}
	return errors.Join(errs...)
}

func (o *OpBehavior) validate() error {
	var errs []error
	switch o.Mode {
	case "", ModeSync, ModeAsync:
	default:
		errs = append(errs, fmt.Errorf("mode %q is not sync or async", o.Mode))
	}
	switch osb.LastOperationState(o.AsyncState) {
	case "", osb.StateSucceeded, osb.StateFailed:
	default:
		errs = append(errs, fmt.Errorf("asyncState %q is not succeeded or failed", o.AsyncState))
	}
	if o.FailStatus != 0 && (o.FailStatus < 100 || o.FailStatus > 599) {
		errs = append(errs, fmt.Errorf("failStatus %d is not an HTTP status", o.FailStatus))
	}
	if o.AsyncPolls < 0 || o.RetryAfterSeconds < 0 || o.FailTimes < 0 || o.HangSeconds < 0 {
		errs = append(errs, errors.New("counts and durations must not be negative"))
	}
	return errors.Join(errs...)
}

// async reports whether the operation answers asynchronously.
func (o *OpBehavior) async() bool { return o.Mode == ModeAsync }

// hasFault reports whether any fault knob is set.
func (o *OpBehavior) hasFault() bool {
	return o.FailStatus != 0 || o.Hang || o.malformed() || o.Status204
}

func (o *OpBehavior) malformed() bool { return o.MalformedBody || o.Malformed201 }

// finalState is the state an async operation ends in.
func (o *OpBehavior) finalState() osb.LastOperationState {
	if o.AsyncState == string(osb.StateFailed) {
		return osb.StateFailed
	}
	return osb.StateSucceeded
}
