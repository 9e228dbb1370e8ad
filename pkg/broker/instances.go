package broker

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Instance is a snapshot of a service instance the broker holds.
type Instance struct {
	// ID is the instance id.
	ID string `json:"id"`
	// ServiceID is the offering id.
	ServiceID string `json:"serviceID"`
	// PlanID is the current plan id.
	PlanID string `json:"planID"`
	// OrganizationGUID is the organization_guid sent at provision.
	OrganizationGUID string `json:"organizationGUID"`
	// SpaceGUID is the space_guid sent at provision.
	SpaceGUID string `json:"spaceGUID"`
	// Parameters are the current parameters.
	Parameters map[string]any `json:"parameters,omitempty"`
	// Context is the last context object received.
	Context map[string]any `json:"context,omitempty"`
	// MaintenanceInfo is the maintenance_info last received, if any.
	MaintenanceInfo *osb.MaintenanceInfo `json:"maintenanceInfo,omitempty"`
	// DashboardURL is the instance's dashboard.
	DashboardURL string `json:"dashboardURL"`
	// LastOperation is the last operation applied: provision, update or deprovision.
	LastOperation osb.Operation `json:"lastOperation"`
	// State is that operation's state.
	State osb.LastOperationState `json:"state"`
	// OperationKey is that operation's key if it was asynchronous.
	OperationKey string `json:"operationKey,omitempty"`
	// Bindings are the ids of the instance's bindings.
	Bindings []string `json:"bindings,omitempty"`
	// CreatedAt is when the instance was provisioned.
	CreatedAt time.Time `json:"createdAt"`
}

// instance is a service instance in the broker's memory.
type instance struct {
	id, serviceID, planID string
	orgGUID, spaceGUID    string
	params                map[string]any
	paramsKey             string
	context               map[string]any
	maintenance           *osb.MaintenanceInfo
	dashboardURL          string
	lastOp                osb.Operation
	state                 osb.LastOperationState
	op                    *asyncOp // the last asynchronous operation, if any
	bindings              map[string]struct{}
	created               time.Time
}

// busy reports an operation still in progress.
func (i *instance) busy() bool { return i.op != nil && !i.op.done }

// failedToProvision reports an instance whose provision failed: a provision
// may replace it, and nothing else may use it.
func (i *instance) failedToProvision() bool {
	return i.lastOp == osb.OperationProvision && i.state == osb.StateFailed
}

// provisioned reports whether the instance's provision has succeeded.
func (i *instance) provisioned() bool {
	return i.lastOp != osb.OperationProvision || i.state == osb.StateSucceeded
}

// asyncOp is an asynchronous operation on an instance or binding.
type asyncOp struct {
	kind        osb.Operation
	key         string
	pollsLeft   int
	retryAfter  int
	final       osb.LastOperationState
	description string
	usable      *bool
	repeatable  *bool
	done        bool
	// change holds an update's new values, applied when it succeeds.
	change instanceChange
}

// instanceChange is what an update changes.
type instanceChange struct {
	planID      string
	params      map[string]any
	paramsKey   string
	hasParams   bool
	maintenance *osb.MaintenanceInfo
	context     map[string]any
}

// newOpLocked starts an asynchronous operation.
func (b *Broker) newOpLocked(kind osb.Operation, ob *OpBehavior) *asyncOp {
	b.opSeq++
	return &asyncOp{
		// The key holds characters that must be percent-encoded, to check that
		// platforms echo it verbatim.
		key:         fmt.Sprintf("%s/%d ?step=1&x=y", kind, b.opSeq),
		kind:        kind,
		pollsLeft:   ob.AsyncPolls,
		retryAfter:  ob.RetryAfterSeconds,
		final:       ob.finalState(),
		description: ob.AsyncDescription,
		usable:      ob.InstanceUsable,
		repeatable:  ob.UpdateRepeatable,
	}
}

// applyUpdate applies an update's new values to an instance.
func applyUpdate(inst *instance, ch *instanceChange) {
	inst.planID = ch.planID
	if ch.hasParams {
		inst.params, inst.paramsKey = ch.params, ch.paramsKey
	}
	if ch.maintenance != nil {
		inst.maintenance = ch.maintenance
	}
	if ch.context != nil {
		inst.context = ch.context
	}
}

func (b *Broker) removeInstanceLocked(inst *instance) {
	delete(b.instances, inst.id)
	b.goneInstances.add(inst.id)
}

// planOfLocked finds a plan of an offering, or says why not.
func (b *Broker) planOfLocked(serviceID, planID string) (planRef, string) {
	if _, ok := b.services[serviceID]; !ok {
		return planRef{}, fmt.Sprintf("service_id %q is not in the catalog", serviceID)
	}
	ref, ok := b.plans[planID]
	if !ok || ref.service.ID != serviceID {
		return planRef{}, fmt.Sprintf("plan_id %q is not a plan of service %q", planID, serviceID)
	}
	return ref, ""
}

// maintenanceConflicts reports a maintenance_info sent that is not the plan's.
func maintenanceConflicts(plan *osb.Plan, sent *osb.MaintenanceInfo) bool {
	return sent != nil && (plan.MaintenanceInfo == nil || plan.MaintenanceInfo.Version != sent.Version)
}

// instanceAnswer is the body of provision, update and deprovision answers.
type instanceAnswer struct {
	DashboardURL string         `json:"dashboard_url,omitempty"`
	Operation    string         `json:"operation,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

// metadataLocked returns the instance's metadata object for API 2.16 and
// later, and nil before: labels naming its offering and plan (when the plan
// is known), and its creation time as an attribute.
func (b *Broker) metadataLocked(c *call, inst *instance) map[string]any {
	if c.minor < 16 {
		return nil
	}
	labels := map[string]any{}
	if ref, ok := b.plans[inst.planID]; ok {
		labels["test-broker/offering"] = ref.service.Name
		labels["test-broker/plan"] = ref.plan.Name
	}
	return map[string]any{"labels": labels, "attributes": map[string]any{"createdAt": inst.created.UTC().Format(time.RFC3339)}}
}

// dashboardURL is the instance's dashboard on this broker.
func dashboardURL(c *call, id string) string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + "/dashboard/instances/" + url.PathEscape(id)
}

// Instances returns snapshots of the instances the broker holds, ordered by
// creation time.
func (b *Broker) Instances() []Instance {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Instance, 0, len(b.instances))
	for _, i := range b.instances {
		s := Instance{
			ID: i.id, ServiceID: i.serviceID, PlanID: i.planID, OrganizationGUID: i.orgGUID, SpaceGUID: i.spaceGUID,
			Parameters: deepCopyMap(i.params), Context: deepCopyMap(i.context), DashboardURL: i.dashboardURL,
			LastOperation: i.lastOp, State: i.state, CreatedAt: i.created,
			Bindings: slices.Sorted(maps.Keys(i.bindings)),
		}
		if i.maintenance != nil {
			m := *i.maintenance
			s.MaintenanceInfo = &m
		}
		if i.op != nil {
			s.OperationKey = i.op.key
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Instance) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Instance returns a snapshot of one instance.
func (b *Broker) Instance(id string) (Instance, bool) {
	all := b.Instances()
	if i := slices.IndexFunc(all, func(s Instance) bool { return s.ID == id }); i >= 0 {
		return all[i], true
	}
	return Instance{}, false
}

// canonical is a comparable form of a JSON object; empty and absent are equal.
func canonical(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// deepCopyMap copies a decoded JSON object.
func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return deepCopyMap(t)
	case []any:
		out := make([]any, len(t))
		for i := range t {
			out[i] = deepCopyValue(t[i])
		}
		return out
	}
	return v
}

// LoseInstance forgets an instance and its bindings as a broker that lost them would:
// no record of a delete is kept, so it answers 404 for them from then on. It reports
// whether the broker held the instance.
func (b *Broker) LoseInstance(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	inst, ok := b.instances[id]
	if !ok {
		return false
	}
	for bindingID := range inst.bindings {
		delete(b.bindings, bindingKey{id, bindingID})
	}
	delete(b.instances, id)
	return true
}
