package broker

import (
	"net/http"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// unbind answers DELETE /v2/service_instances/{instance_id}/service_bindings/{binding_id}.
func (b *Broker) unbind(c *call) {
	if c.query.Get("service_id") == "" || c.query.Get("plan_id") == "" {
		b.send(c, badRequest("the service_id and plan_id query parameters are required"))
		return
	}
	if c.asyncBindingsTooOld() {
		b.send(c, errorReply(http.StatusPreconditionFailed, "", "asynchronous bindings need API version 2.14 or later"))
		return
	}
	b.send(c, b.decideUnbind(c, bindingKey{c.instanceID(), c.bindingID()}))
}

// decideUnbind deletes the binding or starts deleting it, or says why not.
func (b *Broker) decideUnbind(c *call, key bindingKey) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	bd := b.bindings[key]
	if bd == nil {
		return errorReply(http.StatusGone, "", "service binding "+key.bindingID+" does not exist")
	}
	if bd.busy() && bd.op.kind == osb.OperationUnbind {
		return reply{status: http.StatusAccepted, body: bindingAnswer{Operation: bd.op.key}}
	}
	// An unbind during an async bind stops the bind.
	ob := b.opBehaviorLocked(bd.planID, osb.OperationUnbind)
	if needsAsync(c, &ob) {
		return asyncRequired("binding")
	}
	fault := b.takeFaultLocked(bd.planID, osb.OperationUnbind, &ob)
	if rejects(fault) {
		return rejection(fault)
	}
	if !ob.async() {
		b.removeBindingLocked(bd)
		return reply{status: http.StatusOK, body: struct{}{}, fault: fault}
	}
	bd.op = b.newOpLocked(osb.OperationUnbind, &ob)
	bd.lastOp, bd.state = osb.OperationUnbind, osb.StateInProgress
	return reply{status: http.StatusAccepted, body: bindingAnswer{Operation: bd.op.key}, fault: fault}
}
