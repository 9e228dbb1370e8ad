package broker

import (
	"net/http"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

type provisionIn struct {
	ServiceID        string               `json:"service_id"`
	PlanID           string               `json:"plan_id"`
	OrganizationGUID string               `json:"organization_guid"`
	SpaceGUID        string               `json:"space_guid"`
	Context          map[string]any       `json:"context"`
	Parameters       map[string]any       `json:"parameters"`
	MaintenanceInfo  *osb.MaintenanceInfo `json:"maintenance_info"`

	paramsKey string
}

// provision answers PUT /v2/service_instances/{instance_id}.
func (b *Broker) provision(c *call) {
	var in provisionIn
	if problem := parseProvision(c, &in); problem != "" {
		b.send(c, badRequest(problem))
		return
	}
	b.send(c, b.decideProvision(c, c.instanceID(), &in))
}

// parseProvision decodes and checks a provision body; it returns the
// problem, or "".
func parseProvision(c *call, in *provisionIn) string {
	if err := decodeBody(c.body, in); err != nil {
		return err.Error()
	}
	for _, f := range []struct{ name, v string }{
		{"service_id", in.ServiceID}, {"plan_id", in.PlanID},
		{"organization_guid", in.OrganizationGUID}, {"space_guid", in.SpaceGUID},
	} {
		if f.v == "" {
			return f.name + " is required"
		}
	}
	in.paramsKey = canonical(in.Parameters)
	return checkContext(c, in.Context, true)
}

// decideProvision creates the instance, or says why not.
func (b *Broker) decideProvision(c *call, id string, in *provisionIn) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	ref, msg := b.planOfLocked(in.ServiceID, in.PlanID)
	if msg != "" {
		return badRequest(msg)
	}
	if maintenanceConflicts(ref.plan, in.MaintenanceInfo) {
		return maintenanceInfoConflict()
	}
	ob := b.opBehaviorLocked(in.PlanID, osb.OperationProvision)
	if needsAsync(c, &ob) {
		return asyncRequired("service")
	}
	// A provision that failed may be tried again with the same id.
	if old := b.instances[id]; old != nil && !old.failedToProvision() {
		return b.reprovisionLocked(c, old, in)
	}
	fault := b.takeFaultLocked(in.PlanID, osb.OperationProvision, &ob)
	if rejects(fault) {
		return rejection(fault)
	}
	rp := b.createInstanceLocked(c, id, in, &ob)
	rp.fault = fault
	return rp
}

// reprovisionLocked answers a provision of an id the broker holds. The same
// request again gets the operation in progress (202) or the instance (200);
// another is a conflict, or a concurrency error while an update or delete
// runs.
func (b *Broker) reprovisionLocked(c *call, old *instance, in *provisionIn) reply {
	same := old.serviceID == in.ServiceID && old.planID == in.PlanID && old.orgGUID == in.OrganizationGUID &&
		old.spaceGUID == in.SpaceGUID && old.paramsKey == in.paramsKey
	switch {
	case old.busy() && old.op.kind == osb.OperationProvision && same:
		return reply{status: http.StatusAccepted, body: instanceAnswer{DashboardURL: old.dashboardURL, Operation: old.op.key}}
	case old.busy() && old.op.kind != osb.OperationProvision:
		return concurrencyError("Another operation for this service instance is in progress.")
	case same:
		return reply{status: http.StatusOK, body: instanceAnswer{DashboardURL: old.dashboardURL, Metadata: b.metadataLocked(c, old)}}
	}
	return errorReply(http.StatusConflict, "", "a service instance with this id already exists with different attributes")
}

// createInstanceLocked stores a new instance: provisioned now (201), or
// being provisioned by an asynchronous operation (202).
func (b *Broker) createInstanceLocked(c *call, id string, in *provisionIn, ob *OpBehavior) reply {
	inst := &instance{
		id: id, serviceID: in.ServiceID, planID: in.PlanID, orgGUID: in.OrganizationGUID, spaceGUID: in.SpaceGUID,
		params: in.Parameters, paramsKey: in.paramsKey, context: in.Context, maintenance: in.MaintenanceInfo,
		dashboardURL: dashboardURL(c, id), lastOp: osb.OperationProvision, state: osb.StateSucceeded,
		bindings: map[string]struct{}{}, created: time.Now(),
	}
	b.instances[id] = inst
	b.goneInstances.remove(id)
	if !ob.async() {
		return reply{status: http.StatusCreated, body: instanceAnswer{DashboardURL: inst.dashboardURL, Metadata: b.metadataLocked(c, inst)}}
	}
	inst.op = b.newOpLocked(osb.OperationProvision, ob)
	inst.state = osb.StateInProgress
	return reply{status: http.StatusAccepted, body: instanceAnswer{DashboardURL: inst.dashboardURL, Operation: inst.op.key}}
}
