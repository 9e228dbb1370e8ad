package broker

import (
	"net/http"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

type bindIn struct {
	ServiceID            string         `json:"service_id"`
	PlanID               string         `json:"plan_id"`
	Context              map[string]any `json:"context"`
	AppGUID              string         `json:"app_guid"`
	BindResource         map[string]any `json:"bind_resource"`
	Parameters           map[string]any `json:"parameters"`
	PredecessorBindingID string         `json:"predecessor_binding_id"`

	paramsKey, resourceKey string
}

// bind answers PUT /v2/service_instances/{instance_id}/service_bindings/{binding_id}.
func (b *Broker) bind(c *call) {
	var in bindIn
	if problem := parseBind(c, &in); problem != "" {
		b.send(c, badRequest(problem))
		return
	}
	if c.asyncBindingsTooOld() {
		b.send(c, errorReply(http.StatusPreconditionFailed, "", "asynchronous bindings need API version 2.14 or later"))
		return
	}
	b.send(c, b.decideBind(c, bindingKey{c.instanceID(), c.bindingID()}, &in))
}

// parseBind decodes and checks a bind body; it returns the problem, or "".
func parseBind(c *call, in *bindIn) string {
	if err := decodeBody(c.body, in); err != nil {
		return err.Error()
	}
	if in.ServiceID == "" || in.PlanID == "" {
		return "service_id and plan_id are required"
	}
	in.paramsKey, in.resourceKey = canonical(in.Parameters), canonical(in.BindResource)
	return checkContext(c, in.Context, false)
}

// decideBind creates the binding, or says why not.
func (b *Broker) decideBind(c *call, key bindingKey, in *bindIn) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	ref, msg := b.planOfLocked(in.ServiceID, in.PlanID)
	if msg != "" {
		return badRequest(msg)
	}
	if !osb.EffectiveBindable(ref.service, ref.plan) {
		return badRequest("plan " + ref.plan.Name + " is not bindable")
	}
	inst := b.instances[key.instanceID]
	if rp, refused := refuseBindTo(inst, key.instanceID, in); refused {
		return rp
	}
	if msg := b.refusePredecessorLocked(c, ref, key, in.PredecessorBindingID); msg != "" {
		return badRequest(msg)
	}
	ob := b.opBehaviorLocked(in.PlanID, osb.OperationBind)
	if appGUID, _ := in.BindResource["app_guid"].(string); ob.RequiresApp && appGUID == "" {
		return errorReply(http.StatusUnprocessableEntity, osb.ErrorCodeRequiresApp,
			"This service supports generation of credentials through binding an application only.")
	}
	if needsAsync(c, &ob) {
		return asyncRequired("binding")
	}
	// A bind that failed may be tried again with the same id.
	if old := b.bindings[key]; old != nil && !old.failedToBind() {
		return b.rebindLocked(c, old, in)
	}
	fault := b.takeFaultLocked(in.PlanID, osb.OperationBind, &ob)
	if rejects(fault) {
		return rejection(fault)
	}
	rp := b.createBindingLocked(c, ref, inst, key.bindingID, in, &ob)
	rp.fault = fault
	return rp
}

// refuseBindTo says why inst cannot be bound: it does not exist, an
// operation on it is in progress, it failed to provision, or it is not of
// the offering and plan the bind names.
func refuseBindTo(inst *instance, instanceID string, in *bindIn) (reply, bool) {
	switch {
	case inst == nil:
		return errorReply(http.StatusNotFound, "", "service instance "+instanceID+" does not exist"), true
	case inst.busy():
		return concurrencyError("An operation on the service instance is in progress."), true
	case inst.failedToProvision():
		return errorReply(http.StatusUnprocessableEntity, "", "the service instance failed to provision"), true
	case inst.planID != in.PlanID || inst.serviceID != in.ServiceID:
		return badRequest("service_id and plan_id do not match the instance's"), true
	}
	return reply{}, false
}

// rebindLocked answers a bind of an id the broker holds. The same request
// again gets the bind in progress (202) or the binding (200); another is a
// conflict, or a concurrency error while an unbind runs.
func (b *Broker) rebindLocked(c *call, old *binding, in *bindIn) reply {
	same := old.serviceID == in.ServiceID && old.planID == in.PlanID && old.paramsKey == in.paramsKey &&
		old.resourceKey == in.resourceKey && old.appGUID == in.AppGUID
	switch {
	case old.busy() && old.op.kind == osb.OperationBind && same:
		return reply{status: http.StatusAccepted, body: bindingAnswer{Operation: old.op.key}}
	case old.busy() && old.op.kind != osb.OperationBind:
		return concurrencyError("An operation on the service binding is in progress.")
	case same:
		return reply{status: http.StatusOK, body: b.bindingAnswerLocked(c, old, false)}
	}
	return errorReply(http.StatusConflict, "", "a service binding with this id already exists with different attributes")
}

// createBindingLocked stores a new binding with its credentials: bound now
// (201, with the credentials), or being bound by an asynchronous operation
// (202). Its malformed answer is cut short inside the credentials.
func (b *Broker) createBindingLocked(c *call, ref planRef, inst *instance, bindingID string, in *bindIn, ob *OpBehavior) reply {
	bd := &binding{
		id: bindingID, instanceID: inst.id, serviceID: in.ServiceID, planID: in.PlanID,
		params: in.Parameters, paramsKey: in.paramsKey, context: in.Context, bindResource: in.BindResource,
		resourceKey: in.resourceKey, appGUID: in.AppGUID, lastOp: osb.OperationBind, state: osb.StateSucceeded, created: time.Now(),
	}
	bd.credentials = b.credentialsLocked(ref, inst, bd)
	if bh, ok := b.behaviorLocked(in.PlanID); ok && bh.Credentials != nil {
		bd.credentials = deepCopyMap(bh.Credentials)
	}
	b.bindings[bindingKey{inst.id, bindingID}] = bd
	inst.bindings[bindingID] = struct{}{}
	b.goneBindings.remove(inst.id + "/" + bindingID)
	malformed := malformedCredentials(bd.credentials)
	if !ob.async() {
		return reply{status: http.StatusCreated, body: b.bindingAnswerLocked(c, bd, false), malformed: malformed}
	}
	bd.op = b.newOpLocked(osb.OperationBind, ob)
	bd.state = osb.StateInProgress
	return reply{status: http.StatusAccepted, body: bindingAnswer{Operation: bd.op.key}, malformed: malformed}
}

// refusePredecessorLocked says why a rotation (predecessor_binding_id) may not be asked
// for, or "": it needs API 2.17, a binding_rotatable plan, and a binding of the same
// instance to rotate.
func (b *Broker) refusePredecessorLocked(c *call, ref planRef, key bindingKey, predecessor string) string {
	switch {
	case predecessor == "":
		return ""
	case c.minor < 17:
		return "predecessor_binding_id needs API version 2.17 or later"
	case !osb.EffectiveBindingRotatable(ref.plan):
		return "plan " + ref.plan.Name + " is not binding_rotatable"
	case predecessor == key.bindingID:
		return "a binding cannot be its own predecessor"
	case b.bindings[bindingKey{key.instanceID, predecessor}] == nil:
		return "predecessor binding " + predecessor + " does not exist for this instance"
	}
	return ""
}
