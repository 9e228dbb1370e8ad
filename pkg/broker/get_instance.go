package broker

import (
	"net/http"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// getInstanceAnswer is the body of a GET instance answer.
type getInstanceAnswer struct {
	ServiceID       string               `json:"service_id"`
	PlanID          string               `json:"plan_id"`
	DashboardURL    string               `json:"dashboard_url,omitempty"`
	Parameters      map[string]any       `json:"parameters,omitempty"`
	MaintenanceInfo *osb.MaintenanceInfo `json:"maintenance_info,omitempty"`
	Metadata        map[string]any       `json:"metadata,omitempty"`
}

// getInstance answers GET /v2/service_instances/{instance_id}.
func (b *Broker) getInstance(c *call) {
	if c.minor < 14 {
		b.send(c, errorReply(http.StatusPreconditionFailed, "", "fetching a service instance needs API version 2.14 or later"))
		return
	}
	id := c.instanceID()
	planID, rp, ok := b.fetchableInstance(id)
	if !ok {
		b.send(c, rp)
		return
	}
	if b.pollFaults(c, planID, osb.OperationGetInstance) {
		return
	}
	b.send(c, b.fetchInstance(c, id))
}

// fetchableInstance returns the plan of an instance the platform may fetch,
// or the answer why it may not: no such instance (404), or an offering that
// is not instances_retrievable (400).
func (b *Broker) fetchableInstance(id string) (string, reply, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	inst := b.instances[id]
	if inst == nil {
		return "", errorReply(http.StatusNotFound, "", "service instance "+id+" does not exist"), false
	}
	if svc := b.services[inst.serviceID]; svc == nil || !svc.InstancesRetrievable {
		return "", badRequest("the offering is not instances_retrievable; platforms must not fetch its instances"), false
	}
	return inst.planID, reply{}, true
}

// fetchInstance answers with the instance, unless it is still being
// provisioned (404) or being updated (422).
func (b *Broker) fetchInstance(c *call, id string) reply {
	b.mu.Lock()
	defer b.mu.Unlock()
	inst := b.instances[id]
	switch {
	case inst == nil || !inst.provisioned():
		return errorReply(http.StatusNotFound, "", "service instance "+id+" does not exist or is being provisioned")
	case inst.busy() && inst.op.kind == osb.OperationUpdate:
		return concurrencyError("The service instance is being updated.")
	}
	a := getInstanceAnswer{
		ServiceID: inst.serviceID, PlanID: inst.planID, DashboardURL: inst.dashboardURL,
		Parameters: deepCopyMap(inst.params), Metadata: b.metadataLocked(c, inst),
	}
	if c.minor >= 15 {
		a.MaintenanceInfo = inst.maintenance
		if a.MaintenanceInfo == nil {
			a.MaintenanceInfo = b.plans[inst.planID].plan.MaintenanceInfo
		}
	}
	return reply{status: http.StatusOK, body: a}
}
