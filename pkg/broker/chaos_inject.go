package broker

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// chaosFailed is the description of an operation the chaos made fail.
const chaosFailed = "test broker chaos: the operation failed"

// inject lets the broker answer r through a fault drawn for it and returns
// the fault injected ("" when none was, including an asyncFailed that did not
// apply to what the broker did).
func (c *Chaos) inject(w *statusWriter, r *http.Request, ev *HistoryEvent) Fault {
	f := c.pick(r, ev.Operation)
	switch f {
	case FaultServerError, FaultConflict, FaultConcurrency:
		c.reject(w, r, f)
	case FaultGone:
		if c.makeGone(r, ev.Operation) {
			c.reject(w, r, f)
		} else {
			f = ""
			c.b.ServeHTTP(w, r)
		}
	case FaultSlow:
		c.wait(r, c.slowDelay())
		c.b.ServeHTTP(w, r)
	case FaultTimeout:
		buf := c.work(r)
		if c.wait(r, c.opts.MaxHang) {
			buf.writeTo(w)
		}
	case FaultMalformed:
		c.work(r).writeMalformed(w)
	case FaultAsyncFailed:
		buf := c.work(r)
		if !c.failAsync(r, ev.Operation, buf) {
			f = ""
		}
		buf.writeTo(w)
	default:
		c.b.ServeHTTP(w, r)
	}
	c.count(f)
	return f
}

// work has the broker serve r into a buffer, so that the chaos can hold or
// change its answer.
func (c *Chaos) work(r *http.Request) *answerBuffer {
	buf := &answerBuffer{header: http.Header{}}
	c.b.ServeHTTP(buf, r)
	return buf
}

// wait waits d, or until the client goes away or the broker closes. It
// reports whether the client is still waiting.
func (c *Chaos) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
	case <-c.b.stop:
	case <-t.C:
	}
	return r.Context().Err() == nil
}

// reject answers r with fault f without the broker seeing it: nothing
// changes. The request is recorded all the same (GET /admin/requests).
func (c *Chaos) reject(w *statusWriter, r *http.Request, f Fault) {
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	rec := c.b.rec.add(&RecordedRequest{
		Time: time.Now(), Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body,
	})
	defer func() { c.b.rec.setStatus(rec, w.status) }()
	if id := r.Header.Get(osb.HeaderRequestIdentity); id != "" {
		w.Header().Set(osb.HeaderRequestIdentity, id)
	}
	switch f {
	case FaultServerError:
		writeError(w, c.serverErrorStatus(), "", "test broker chaos: injected server error")
	case FaultConflict:
		writeError(w, http.StatusConflict, "", "test broker chaos: injected conflict")
	case FaultConcurrency:
		writeError(w, http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError, "test broker chaos: injected concurrency error")
	case FaultGone:
		writeJSON(w, http.StatusGone, struct{}{})
	}
}

// makeGone makes a 410 to the poll r true: a delete in progress that is to
// succeed finishes now. It reports whether the 410 may be sent: not to a
// poll of a delete that is to fail, or failed.
func (c *Chaos) makeGone(r *http.Request, op osb.Operation) bool {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	id := r.PathValue("instance_id")
	if op == osb.OperationBindingLastOperation {
		bd := c.b.bindings[bindingKey{id, r.PathValue("binding_id")}]
		if bd == nil || bd.lastOp != osb.OperationUnbind {
			return true
		}
		if !finishDelete(bd.op) {
			return false
		}
		c.b.removeBindingLocked(bd)
		return true
	}
	inst := c.b.instances[id]
	if inst == nil || inst.lastOp != osb.OperationDeprovision {
		return true
	}
	if !finishDelete(inst.op) {
		return false
	}
	c.b.removeInstanceLocked(inst)
	return true
}

// finishDelete ends a delete operation that is to succeed, and reports
// whether it was one.
func finishDelete(op *asyncOp) bool {
	if op == nil || op.done || op.final != osb.StateSucceeded {
		return false
	}
	op.done = true
	return true
}

// failAsync makes the operation the broker just answered end failed at its
// poll: an asynchronous operation of this request's kind keeps its answer
// and fails; a provision or bind that created its resource synchronously is
// turned into an asynchronous one that fails, and buf into its 202. It
// reports whether it applied.
func (c *Chaos) failAsync(r *http.Request, op osb.Operation, buf *answerBuffer) bool {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if op == osb.OperationBind || op == osb.OperationUnbind {
		return c.failBindingLocked(r, op, buf)
	}
	inst := c.b.instances[r.PathValue("instance_id")]
	if inst == nil {
		return false
	}
	if op == osb.OperationProvision && buf.status == http.StatusCreated && c.doomNewLocked(&inst.op, &inst.state, op) {
		buf.reset(http.StatusAccepted, instanceAnswer{DashboardURL: inst.dashboardURL, Operation: inst.op.key})
		return true
	}
	return doomRunning(inst.op, op, buf)
}

// failBindingLocked is failAsync for a bind or an unbind.
func (c *Chaos) failBindingLocked(r *http.Request, op osb.Operation, buf *answerBuffer) bool {
	bd := c.b.bindings[bindingKey{r.PathValue("instance_id"), r.PathValue("binding_id")}]
	if bd == nil {
		return false
	}
	if op == osb.OperationBind && buf.status == http.StatusCreated && asyncBindings(c.b, r) && c.doomNewLocked(&bd.op, &bd.state, op) {
		buf.reset(http.StatusAccepted, bindingAnswer{Operation: bd.op.key})
		return true
	}
	return doomRunning(bd.op, op, buf)
}

// asyncBindings reports whether r's API version has asynchronous bindings.
func asyncBindings(b *Broker, r *http.Request) bool {
	minor, err := b.checkVersion(r.Header.Get(osb.HeaderAPIVersion))
	return err == nil && minor >= 14
}

// doomRunning makes running, the asynchronous operation the broker answered
// 202 for, end failed.
func doomRunning(running *asyncOp, op osb.Operation, buf *answerBuffer) bool {
	if buf.status != http.StatusAccepted || running == nil || running.done || running.kind != op {
		return false
	}
	running.final, running.description = osb.StateFailed, chaosFailed
	return true
}

// doomNewLocked gives a resource the broker created synchronously just now an
// asynchronous operation of kind op that fails at its second poll.
func (c *Chaos) doomNewLocked(opp **asyncOp, state *osb.LastOperationState, op osb.Operation) bool {
	if *opp != nil {
		return false
	}
	*opp = c.b.newOpLocked(op, &OpBehavior{Mode: ModeAsync, AsyncPolls: 1, AsyncState: string(osb.StateFailed), AsyncDescription: chaosFailed})
	*state = osb.StateInProgress
	return true
}

// answerBuffer holds an answer of the broker until the chaos sends it.
type answerBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header returns the answer's header.
func (a *answerBuffer) Header() http.Header { return a.header }

// WriteHeader records the first status.
func (a *answerBuffer) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

// Write buffers the body, with an implicit 200.
func (a *answerBuffer) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	return a.body.Write(p)
}

// reset replaces the answer with status and v as JSON.
func (a *answerBuffer) reset(status int, v any) {
	a.header, a.status = http.Header{}, 0
	a.body.Reset()
	writeJSON(a, status, v)
}

// writeTo sends the answer to w; an answer never written sends nothing.
func (a *answerBuffer) writeTo(w http.ResponseWriter) {
	if a.status == 0 {
		return
	}
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body.Bytes())
}

// writeMalformed sends a 2xx answer with its body cut short, so that it is
// not JSON but still holds what it held (a bind's credentials); other
// answers go as they are.
func (a *answerBuffer) writeMalformed(w http.ResponseWriter) {
	if a.status < 200 || a.status > 299 || a.status == http.StatusNoContent {
		a.writeTo(w)
		return
	}
	body := bytes.TrimSpace(a.body.Bytes())
	if len(body) > 4 {
		body = body[:len(body)-2]
	} else {
		body = []byte(cutShort)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = w.Write(body)
}
