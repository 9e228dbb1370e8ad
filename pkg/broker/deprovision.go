package broker

import (
	"fmt"
	"net/http"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// deprovision answers DELETE /v2/service_instances/{instance_id}.
func (b *Broker) deprovision(c *call) {
	if c.query.Get("service_id") == "" || c.query.Get("plan_id") == "" {
		b.send(c, badRequest("the service_id and plan_id query parameters are required"))
		return
	}
	b.send(c, b.decideDeprovision(c, c.instanceID()))
}

// decideDeprovision deletes the instance or starts deleting it, or says why not.
func (b *Broker) decideDeprovision(c *call, id string) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	inst := b.instances[id]
	if inst == nil {
		return errorReply(http.StatusGone, "", "service instance "+id+" does not exist")
	}
	if inst.busy() {
		switch inst.op.kind {
		case osb.OperationDeprovision:
			return reply{status: http.StatusAccepted, body: instanceAnswer{Operation: inst.op.key}}
		case osb.OperationUpdate:
			return concurrencyError("The service instance is being updated.")
		}
		// A delete during provisioning stops the provisioning.
	}
	if n := len(inst.bindings); n > 0 {
		return errorReply(http.StatusUnprocessableEntity, "BindingsExist",
			fmt.Sprintf("the service instance still has %d binding(s); unbind them first", n))
	}
	ob := b.opBehaviorLocked(inst.planID, osb.OperationDeprovision)
	if needsAsync(c, &ob) {
		return asyncRequired("service")
	}
	fault := b.takeFaultLocked(inst.planID, osb.OperationDeprovision, &ob)
	if rejects(fault) {
		return rejection(fault)
	}
	if !ob.async() {
		b.removeInstanceLocked(inst)
		return reply{status: http.StatusOK, body: struct{}{}, fault: fault}
	}
	inst.op = b.newOpLocked(osb.OperationDeprovision, &ob)
	inst.lastOp, inst.state = osb.OperationDeprovision, osb.StateInProgress
	return reply{status: http.StatusAccepted, body: instanceAnswer{Operation: inst.op.key}, fault: fault}
}
