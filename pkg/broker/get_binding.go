package broker

import (
	"net/http"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// getBinding answers GET /v2/service_instances/{instance_id}/service_bindings/{binding_id}.
func (b *Broker) getBinding(c *call) {
	if c.minor < 14 {
		b.send(c, errorReply(http.StatusPreconditionFailed, "", "fetching a service binding needs API version 2.14 or later"))
		return
	}
	key := bindingKey{c.instanceID(), c.bindingID()}
	planID, rp, ok := b.fetchableBinding(key)
	if !ok {
		b.send(c, rp)
		return
	}
	if b.pollFaults(c, planID, osb.OperationGetBinding) {
		return
	}
	b.send(c, b.fetchBinding(c, key))
}

// fetchableBinding returns the plan of a binding the platform may fetch, or
// the answer why it may not: no such binding (404), or an offering that is
// not bindings_retrievable (400).
func (b *Broker) fetchableBinding(key bindingKey) (string, reply, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	bd := b.bindings[key]
	if bd == nil {
		return "", errorReply(http.StatusNotFound, "", "service binding "+key.bindingID+" does not exist"), false
	}
	if svc := b.services[bd.serviceID]; svc == nil || !svc.BindingsRetrievable {
		return "", badRequest("the offering is not bindings_retrievable; platforms must not fetch its bindings"), false
	}
	return bd.planID, reply{}, true
}

// fetchBinding answers with the binding and its parameters, unless it is
// still being created (404).
func (b *Broker) fetchBinding(c *call, key bindingKey) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	bd := b.bindings[key]
	if bd == nil || (bd.lastOp == osb.OperationBind && bd.state != osb.StateSucceeded) {
		return errorReply(http.StatusNotFound, "", "service binding "+key.bindingID+" does not exist or is being created")
	}
	return reply{status: http.StatusOK, body: b.bindingAnswerLocked(c, bd, true)}
}
