package broker

import (
	"encoding/json"
	"net/http"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

type updateIn struct {
	ServiceID       string               `json:"service_id"`
	PlanID          *string              `json:"plan_id"`
	Context         map[string]any       `json:"context"`
	Parameters      map[string]any       `json:"parameters"`
	MaintenanceInfo *osb.MaintenanceInfo `json:"maintenance_info"`
	PreviousValues  map[string]any       `json:"previous_values"`

	// hasParams is whether the body has "parameters" at all: an update
	// without them keeps the instance's.
	hasParams bool
}

// update answers PATCH /v2/service_instances/{instance_id}.
func (b *Broker) update(c *call) {
	var in updateIn
	if problem := parseUpdate(c, &in); problem != "" {
		b.send(c, badRequest(problem))
		return
	}
	b.send(c, b.decideUpdate(c, c.instanceID(), &in))
}

// parseUpdate decodes and checks an update body; it returns the problem, or "".
func parseUpdate(c *call, in *updateIn) string {
	if err := decodeBody(c.body, in); err != nil {
		return err.Error()
	}
	if in.ServiceID == "" {
		return "service_id is required"
	}
	if msg := checkContext(c, in.Context, true); msg != "" {
		return msg
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(c.body, &raw)
	_, in.hasParams = raw["parameters"]
	return ""
}

// decideUpdate applies or starts the update, or says why not.
func (b *Broker) decideUpdate(c *call, id string, in *updateIn) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	inst := b.instances[id]
	if inst == nil {
		return errorReply(http.StatusNotFound, "", "service instance "+id+" does not exist")
	}
	if inst.serviceID != in.ServiceID {
		return badRequest("service_id does not match the instance's")
	}
	change := &instanceChange{
		planID: inst.planID, params: in.Parameters, paramsKey: canonical(in.Parameters), hasParams: in.hasParams,
		maintenance: in.MaintenanceInfo, context: in.Context,
	}
	if in.PlanID != nil {
		change.planID = *in.PlanID
	}
	newPlan, msg := b.planOfLocked(in.ServiceID, change.planID)
	if msg != "" {
		return badRequest(msg)
	}
	if inst.busy() {
		return updateDuring(inst.op, change)
	}
	if rp, refused := b.refuseUpdateLocked(inst, in, change.planID, newPlan); refused {
		return rp
	}
	// The behaviour of the plan the instance is on before the update applies.
	ob := b.opBehaviorLocked(inst.planID, osb.OperationUpdate)
	if needsAsync(c, &ob) {
		return asyncRequired("service")
	}
	fault := b.takeFaultLocked(inst.planID, osb.OperationUpdate, &ob)
	if rejects(fault) {
		return rejection(fault)
	}
	rp := b.startUpdateLocked(c, inst, change, &ob)
	rp.fault = fault
	return rp
}

// updateDuring answers an update while an operation runs: the same update
// again gets its operation (202); anything else is a concurrency error.
func updateDuring(running *asyncOp, change *instanceChange) reply {
	if running.kind == osb.OperationUpdate && running.change.planID == change.planID &&
		(!change.hasParams || running.change.paramsKey == change.paramsKey) {
		return reply{status: http.StatusAccepted, body: instanceAnswer{Operation: running.key}}
	}
	return concurrencyError("Another operation for this service instance is in progress.")
}

// refuseUpdateLocked says why an update cannot apply: the instance failed to
// provision, its plan does not allow plan changes, its offering does not
// allow context-only updates, or the maintenance version is not the new plan's.
func (b *Broker) refuseUpdateLocked(inst *instance, in *updateIn, newPlanID string, newPlan planRef) (reply, bool) {
	if inst.failedToProvision() {
		return errorReply(http.StatusUnprocessableEntity, "", "the service instance failed to provision and cannot be updated"), true
	}
	cur := b.plans[inst.planID]
	contextOnly := in.PlanID == nil && !in.hasParams && in.MaintenanceInfo == nil
	switch {
	case newPlanID != inst.planID && !osb.EffectivePlanUpdatable(cur.service, cur.plan):
		return errorReply(http.StatusUnprocessableEntity, "", "plan "+cur.plan.Name+" does not allow plan changes"), true
	case contextOnly && in.Context != nil && !cur.service.AllowContextUpdates:
		return errorReply(http.StatusUnprocessableEntity, "", "offering "+cur.service.Name+" does not allow context updates"), true
	case maintenanceConflicts(newPlan.plan, in.MaintenanceInfo):
		return maintenanceInfoConflict(), true
	}
	return reply{}, false
}

// startUpdateLocked applies change now (200), or starts an asynchronous
// update that applies it when it succeeds (202).
func (b *Broker) startUpdateLocked(c *call, inst *instance, change *instanceChange, ob *OpBehavior) reply {
	if !ob.async() {
		applyUpdate(inst, change)
		inst.lastOp, inst.state = osb.OperationUpdate, osb.StateSucceeded
		return reply{status: http.StatusOK, body: instanceAnswer{Metadata: b.metadataLocked(c, inst)}}
	}
	op := b.newOpLocked(osb.OperationUpdate, ob)
	op.change = *change
	inst.op, inst.lastOp, inst.state = op, osb.OperationUpdate, osb.StateInProgress
	return reply{status: http.StatusAccepted, body: instanceAnswer{Operation: op.key}}
}
