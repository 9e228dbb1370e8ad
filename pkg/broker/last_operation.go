package broker

import (
	"fmt"
	"net/http"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// lastOperationAnswer is the body of a last_operation answer.
type lastOperationAnswer struct {
	State            osb.LastOperationState `json:"state"`
	Description      string                 `json:"description,omitempty"`
	InstanceUsable   *bool                  `json:"instance_usable,omitempty"`
	UpdateRepeatable *bool                  `json:"update_repeatable,omitempty"`
}

// lastOperation answers GET /v2/service_instances/{instance_id}/last_operation.
func (b *Broker) lastOperation(c *call) {
	id := c.instanceID()
	inst, planID, rp := b.polledInstance(c, id)
	if inst == nil {
		b.send(c, rp)
		return
	}
	if b.pollFaults(c, planID, osb.OperationLastOperation) {
		return
	}
	b.send(c, b.pollInstance(c, id, inst))
}

// polledInstance finds the instance a poll is about and its plan. Without
// one it returns the answer instead: 410 after a delete, 404 for an id it
// never held, 400 for a service_id that is not the instance's.
func (b *Broker) polledInstance(c *call, id string) (*instance, string, reply) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inst := b.instances[id]
	switch {
	case inst == nil && b.goneInstances.has(id):
		return nil, "", gone()
	case inst == nil:
		return nil, "", errorReply(http.StatusNotFound, "", "service instance "+id+" does not exist")
	}
	if sid := c.query.Get("service_id"); sid != "" && sid != inst.serviceID {
		return nil, "", badRequest("service_id does not match the instance's")
	}
	return inst, inst.planID, reply{}
}

// pollInstance advances the instance's operation by one poll and answers
// its state; an update that succeeds now is applied and a delete that
// succeeds now removes the instance.
func (b *Broker) pollInstance(c *call, id string, inst *instance) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.instances[id] != inst {
		return gone()
	}
	if msg := checkOperation(c, inst.op); msg != "" {
		return badRequest(msg)
	}
	if inst.op == nil {
		return reply{status: http.StatusOK, body: lastOperationAnswer{State: inst.state}}
	}
	a, retry, finished := progressLocked(inst.op)
	if finished {
		inst.state = inst.op.final
		switch {
		case inst.op.kind == osb.OperationUpdate && inst.op.final == osb.StateSucceeded:
			applyUpdate(inst, &inst.op.change)
		case inst.op.kind == osb.OperationDeprovision && inst.op.final == osb.StateSucceeded:
			b.removeInstanceLocked(inst)
		}
	}
	return reply{status: http.StatusOK, body: a, retryAfter: retry}
}

// bindingLastOperation answers GET .../service_bindings/{binding_id}/last_operation.
func (b *Broker) bindingLastOperation(c *call) {
	if c.minor < 14 {
		b.send(c, errorReply(http.StatusPreconditionFailed, "", "binding last_operation needs API version 2.14 or later"))
		return
	}
	key := bindingKey{c.instanceID(), c.bindingID()}
	bd, planID, rp := b.polledBinding(key)
	if bd == nil {
		b.send(c, rp)
		return
	}
	if b.pollFaults(c, planID, osb.OperationBindingLastOperation) {
		return
	}
	b.send(c, b.pollBinding(c, key, bd))
}

// polledBinding finds the binding a poll is about and its plan. Without one
// it returns the answer instead: 410 after an unbind, 404 for an id it never
// held.
func (b *Broker) polledBinding(key bindingKey) (*binding, string, reply) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bd := b.bindings[key]
	switch {
	case bd == nil && b.goneBindings.has(key.instanceID+"/"+key.bindingID):
		return nil, "", gone()
	case bd == nil:
		return nil, "", errorReply(http.StatusNotFound, "", "service binding "+key.bindingID+" does not exist")
	}
	return bd, bd.planID, reply{}
}

// pollBinding advances the binding's operation by one poll and answers its
// state; an unbind that succeeds now removes the binding.
func (b *Broker) pollBinding(c *call, key bindingKey, bd *binding) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.bindings[key] != bd {
		return gone()
	}
	if msg := checkOperation(c, bd.op); msg != "" {
		return badRequest(msg)
	}
	if bd.op == nil {
		return reply{status: http.StatusOK, body: lastOperationAnswer{State: bd.state}}
	}
	a, retry, finished := progressLocked(bd.op)
	if finished {
		bd.state = bd.op.final
		if bd.op.kind == osb.OperationUnbind && bd.op.final == osb.StateSucceeded {
			b.removeBindingLocked(bd)
		}
	}
	return reply{status: http.StatusOK, body: a, retryAfter: retry}
}

// checkOperation validates the operation query parameter of a poll against
// the operation the broker returned; it returns a problem or "". A poll
// without the parameter asks for the last operation, whatever it is: a
// platform that lost the broker's answer has no key to send.
func checkOperation(c *call, op *asyncOp) string {
	got, sent := c.query["operation"]
	if op == nil || op.key == "" || !sent || got[0] == op.key {
		return ""
	}
	return fmt.Sprintf("unknown operation %q", got[0])
}

// progressLocked advances an asynchronous operation by one poll. It returns
// the answer for this poll, the Retry-After to send, and whether the
// operation finished now.
func progressLocked(op *asyncOp) (lastOperationAnswer, int, bool) {
	if op.done {
		return finalAnswer(op), 0, false
	}
	if op.pollsLeft > 0 {
		op.pollsLeft--
		return lastOperationAnswer{State: osb.StateInProgress, Description: fmt.Sprintf("%s in progress", op.kind)}, op.retryAfter, false
	}
	op.done = true
	return finalAnswer(op), 0, true
}

func finalAnswer(op *asyncOp) lastOperationAnswer {
	a := lastOperationAnswer{State: op.final, Description: op.description}
	if op.final == osb.StateFailed {
		a.InstanceUsable, a.UpdateRepeatable = op.usable, op.repeatable
	}
	return a
}
