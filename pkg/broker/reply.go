package broker

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// reply is the answer a handler decided on under the broker's lock. It is
// written by send, once the lock is released.
type reply struct {
	status int
	body   any
	// retryAfter, when positive, is sent as Retry-After.
	retryAfter int
	// fault is injected into the answer: a FailStatus replaces it, and Hang,
	// Status204 and MalformedBody lose or garble it.
	fault *OpBehavior
	// malformed is the body a MalformedBody fault sends instead of the
	// default cut-short description.
	malformed string
}

// cutShort is the body of a malformed answer.
const cutShort = `{"description": "test broker: this body is cut short`

// errorBody is an OSB error answer.
type errorBody struct {
	Error            string `json:"error,omitempty"`
	Description      string `json:"description,omitempty"`
	InstanceUsable   *bool  `json:"instance_usable,omitempty"`
	UpdateRepeatable *bool  `json:"update_repeatable,omitempty"`
}

// errorReply is an OSB error answer with an optional error code.
func errorReply(status int, code, description string) reply {
	return reply{status: status, body: errorBody{Error: code, Description: description}}
}

func badRequest(description string) reply {
	return errorReply(http.StatusBadRequest, "", description)
}

func concurrencyError(description string) reply {
	return errorReply(http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError, description)
}

// asyncRequired refuses a request without accepts_incomplete=true for an
// operation that is asynchronous; kind is "service" or "binding".
func asyncRequired(kind string) reply {
	return errorReply(http.StatusUnprocessableEntity, osb.ErrorCodeAsyncRequired,
		"This service plan requires client support for asynchronous "+kind+" operations.")
}

func maintenanceInfoConflict() reply {
	return errorReply(http.StatusUnprocessableEntity, osb.ErrorCodeMaintenanceInfoConflict,
		"maintenance_info.version does not match the plan's; refresh the catalog")
}

// gone is the answer to a poll of an instance or binding whose delete finished.
func gone() reply { return reply{status: http.StatusGone, body: struct{}{}} }

// rejection is the answer of a FailStatus fault: the request changed nothing.
func rejection(fault *OpBehavior) reply { return reply{fault: fault} }

// rejects reports a fault that answers FailStatus instead of processing the
// request, so the handler must not change any state.
func rejects(fault *OpBehavior) bool { return fault != nil && fault.FailStatus != 0 }

// needsAsync reports an asynchronous operation asked for by a platform that
// does not accept asynchronous answers.
func needsAsync(c *call, ob *OpBehavior) bool { return ob.async() && !c.acceptsIncomplete() }

// send writes rp, injecting its fault.
func (b *Broker) send(c *call, rp reply) {
	if f := rp.fault; f != nil {
		if f.FailStatus != 0 {
			writeFault(c.w, f)
			return
		}
		if b.garble(c, f, rp.status, cmp.Or(rp.malformed, cutShort)) {
			return
		}
	}
	if rp.retryAfter > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(rp.retryAfter))
	}
	writeJSON(c.w, rp.status, rp.body)
}

// pollFaults injects the faults of a poll or fetch, before it reads any
// state. It reports whether the request was answered.
func (b *Broker) pollFaults(c *call, planID string, op osb.Operation) bool {
	fault := b.takeFault(planID, op)
	switch {
	case fault == nil:
		return false
	case fault.FailStatus != 0:
		writeFault(c.w, fault)
		return true
	}
	return b.garble(c, fault, http.StatusOK, `{"state": "in progr`)
}

// garble injects the faults that lose or garble a success answer of status:
// a hang, then a 204 or a malformed body. It reports whether the request was
// answered, or given up by the client during the hang.
func (b *Broker) garble(c *call, fault *OpBehavior, status int, malformed string) bool {
	if fault.Hang && !b.hang(c.r, fault) {
		return true
	}
	switch {
	case fault.Status204:
		c.w.WriteHeader(http.StatusNoContent)
		return true
	case fault.malformed():
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(status)
		_, _ = io.WriteString(c.w, malformed)
		return true
	}
	return false
}

// hang waits until the client goes away, the broker closes, or the hang time
// passes. It reports whether the client is still waiting.
func (b *Broker) hang(r *http.Request, ob *OpBehavior) bool {
	d := b.maxHang
	if ob.HangSeconds > 0 {
		d = min(d, time.Duration(ob.HangSeconds)*time.Second)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-b.stop:
		return r.Context().Err() == nil
	case <-t.C:
		return r.Context().Err() == nil
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	data := []byte(`{"description":"encoding the answer failed"}`)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
	} else {
		data = buf.Bytes()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, errorBody{Error: code, Description: description})
}

// writeFault answers with an injected FailStatus.
func writeFault(w http.ResponseWriter, ob *OpBehavior) {
	if ob.FailBody != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(ob.FailStatus)
		_, _ = io.WriteString(w, ob.FailBody)
		return
	}
	desc := ob.FailDescription
	if desc == "" && ob.FailError == "" {
		desc = "test broker: injected failure"
	}
	writeJSON(w, ob.FailStatus, errorBody{
		Error: ob.FailError, Description: desc, InstanceUsable: ob.InstanceUsable, UpdateRepeatable: ob.UpdateRepeatable,
	})
}
