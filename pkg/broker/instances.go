package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
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
	// An update's new values, applied when it succeeds.
	planID      string
	params      map[string]any
	paramsKey   string
	hasParams   bool
	maintenance *osb.MaintenanceInfo
	context     map[string]any
}

// busy reports an operation still in progress.
func (i *instance) busy() bool { return i.op != nil && !i.op.done }

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

// canonical is a comparable form of a JSON object; empty and absent are equal.
func canonical(m map[string]any) string {
	if len(m) == 0 {
		return ""
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// decodeBody decodes a JSON request body, keeping numbers exact.
func decodeBody(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("the request body is empty")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the request body is not a valid JSON object: %v", err)
	}
	return nil
}

// checkContext validates a context object against the profile: platform set
// and equal to the originating identity's; for kubernetes, namespace and
// clusterid (2.14), and instance_name (2.15) on provision and update.
func checkContext(c *call, ctx map[string]any, wantInstanceName bool) string {
	if ctx == nil {
		return ""
	}
	platform, _ := ctx["platform"].(string)
	if platform == "" {
		return "context.platform is required"
	}
	if c.platform != "" && c.platform != platform {
		return fmt.Sprintf("context.platform %q differs from the originating identity platform %q", platform, c.platform)
	}
	if platform != osb.PlatformKubernetes {
		return ""
	}
	required := []string{"namespace"}
	if c.minor >= 14 {
		required = append(required, "clusterid")
	}
	if wantInstanceName && c.minor >= 15 {
		required = append(required, "instance_name")
	}
	for _, k := range required {
		if s, _ := ctx[k].(string); s == "" {
			return "context." + k + " is required for the kubernetes platform"
		}
	}
	for _, k := range []string{"namespace_annotations", "instance_annotations"} {
		if v, ok := ctx[k]; ok {
			if _, isObj := v.(map[string]any); !isObj {
				return "context." + k + " must be an object"
			}
		}
	}
	return ""
}

// dashboardURL is the instance's dashboard on this broker.
func dashboardURL(c *call, id string) string {
	scheme := "http"
	if c.r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.r.Host + "/dashboard/instances/" + url.PathEscape(id)
}

// instanceAnswer is the body of provision and update answers.
type instanceAnswer struct {
	DashboardURL string         `json:"dashboard_url,omitempty"`
	Operation    string         `json:"operation,omitempty"`
	Metadata     map[string]any `json:"metadata,omitempty"`
}

// metadataFor returns instance metadata (API 2.16).
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

type provisionIn struct {
	ServiceID        string               `json:"service_id"`
	PlanID           string               `json:"plan_id"`
	OrganizationGUID string               `json:"organization_guid"`
	SpaceGUID        string               `json:"space_guid"`
	Context          map[string]any       `json:"context"`
	Parameters       map[string]any       `json:"parameters"`
	MaintenanceInfo  *osb.MaintenanceInfo `json:"maintenance_info"`
}

func (b *Broker) provision(c *call, id string) {
	var in provisionIn
	if err := decodeBody(c.body, &in); err != nil {
		writeError(c.w, http.StatusBadRequest, "", err.Error())
		return
	}
	for _, f := range []struct{ name, v string }{
		{"service_id", in.ServiceID}, {"plan_id", in.PlanID},
		{"organization_guid", in.OrganizationGUID}, {"space_guid", in.SpaceGUID},
	} {
		if f.v == "" {
			writeError(c.w, http.StatusBadRequest, "", f.name+" is required")
			return
		}
	}
	if msg := checkContext(c, in.Context, true); msg != "" {
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	acceptsIncomplete := c.query.Get("accepts_incomplete") == "true"

	b.mu.Lock()
	ref, msg := b.planOfLocked(in.ServiceID, in.PlanID)
	if msg != "" {
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	if in.MaintenanceInfo != nil && (ref.plan.MaintenanceInfo == nil || ref.plan.MaintenanceInfo.Version != in.MaintenanceInfo.Version) {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeMaintenanceInfoConflict,
			"maintenance_info.version does not match the plan's; refresh the catalog")
		return
	}
	ob := b.opBehaviorLocked(in.PlanID, osb.OperationProvision)
	if ob.async() && !acceptsIncomplete {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeAsyncRequired,
			"This service plan requires client support for asynchronous service operations.")
		return
	}
	paramsKey := canonical(in.Parameters)
	if old := b.instances[id]; old != nil && !(old.lastOp == osb.OperationProvision && old.state == osb.StateFailed) {
		same := old.serviceID == in.ServiceID && old.planID == in.PlanID && old.orgGUID == in.OrganizationGUID &&
			old.spaceGUID == in.SpaceGUID && old.paramsKey == paramsKey
		switch {
		case old.busy() && old.op.kind == osb.OperationProvision && same:
			a := answer{status: http.StatusAccepted, body: instanceAnswer{DashboardURL: old.dashboardURL, Operation: old.op.key}}
			b.mu.Unlock()
			b.send(c, a, nil)
		case old.busy() && old.op.kind != osb.OperationProvision:
			b.mu.Unlock()
			writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError,
				"Another operation for this service instance is in progress.")
		case same:
			a := answer{status: http.StatusOK, body: instanceAnswer{DashboardURL: old.dashboardURL, Metadata: b.metadataLocked(c, old)}}
			b.mu.Unlock()
			b.send(c, a, nil)
		default:
			b.mu.Unlock()
			writeError(c.w, http.StatusConflict, "", "a service instance with this id already exists with different attributes")
		}
		return
	}
	fault := b.takeFaultLocked(in.PlanID, osb.OperationProvision, &ob)
	if fault != nil && fault.FailStatus != 0 {
		b.mu.Unlock()
		writeFault(c.w, fault)
		return
	}
	inst := &instance{
		id: id, serviceID: in.ServiceID, planID: in.PlanID, orgGUID: in.OrganizationGUID, spaceGUID: in.SpaceGUID,
		params: in.Parameters, paramsKey: paramsKey, context: in.Context, maintenance: in.MaintenanceInfo,
		dashboardURL: dashboardURL(c, id), lastOp: osb.OperationProvision, state: osb.StateSucceeded,
		bindings: map[string]struct{}{}, created: time.Now(),
	}
	a := answer{status: http.StatusCreated}
	if ob.async() {
		inst.op = b.newOpLocked(osb.OperationProvision, &ob)
		inst.state = osb.StateInProgress
		a = answer{status: http.StatusAccepted, body: instanceAnswer{DashboardURL: inst.dashboardURL, Operation: inst.op.key}}
	} else {
		a.body = instanceAnswer{DashboardURL: inst.dashboardURL, Metadata: b.metadataLocked(c, inst)}
	}
	b.instances[id] = inst
	b.goneInstances.remove(id)
	b.mu.Unlock()
	b.send(c, a, fault)
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

type updateIn struct {
	ServiceID       string               `json:"service_id"`
	PlanID          *string              `json:"plan_id"`
	Context         map[string]any       `json:"context"`
	Parameters      map[string]any       `json:"parameters"`
	MaintenanceInfo *osb.MaintenanceInfo `json:"maintenance_info"`
	PreviousValues  map[string]any       `json:"previous_values"`
}

func (b *Broker) update(c *call, id string) {
	var in updateIn
	if err := decodeBody(c.body, &in); err != nil {
		writeError(c.w, http.StatusBadRequest, "", err.Error())
		return
	}
	if in.ServiceID == "" {
		writeError(c.w, http.StatusBadRequest, "", "service_id is required")
		return
	}
	if msg := checkContext(c, in.Context, true); msg != "" {
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(c.body, &raw)
	_, hasParams := raw["parameters"]
	acceptsIncomplete := c.query.Get("accepts_incomplete") == "true"

	b.mu.Lock()
	inst := b.instances[id]
	if inst == nil {
		b.mu.Unlock()
		writeError(c.w, http.StatusNotFound, "", "service instance "+id+" does not exist")
		return
	}
	if inst.serviceID != in.ServiceID {
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", "service_id does not match the instance's")
		return
	}
	newPlan := inst.planID
	if in.PlanID != nil {
		newPlan = *in.PlanID
	}
	ref, msg := b.planOfLocked(in.ServiceID, newPlan)
	if msg != "" {
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	paramsKey := canonical(in.Parameters)
	if inst.busy() {
		op := inst.op
		if op.kind == osb.OperationUpdate && op.planID == newPlan && (!hasParams || op.paramsKey == paramsKey) {
			a := answer{status: http.StatusAccepted, body: instanceAnswer{Operation: op.key}}
			b.mu.Unlock()
			b.send(c, a, nil)
			return
		}
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError, "Another operation for this service instance is in progress.")
		return
	}
	if inst.lastOp == osb.OperationProvision && inst.state == osb.StateFailed {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, "", "the service instance failed to provision and cannot be updated")
		return
	}
	cur := b.plans[inst.planID]
	if newPlan != inst.planID && !osb.EffectivePlanUpdatable(cur.service, cur.plan) {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, "", "plan "+cur.plan.Name+" does not allow plan changes")
		return
	}
	contextOnly := in.PlanID == nil && !hasParams && in.MaintenanceInfo == nil
	if contextOnly && in.Context != nil && !cur.service.AllowContextUpdates {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, "", "offering "+cur.service.Name+" does not allow context updates")
		return
	}
	if in.MaintenanceInfo != nil && (ref.plan.MaintenanceInfo == nil || ref.plan.MaintenanceInfo.Version != in.MaintenanceInfo.Version) {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeMaintenanceInfoConflict,
			"maintenance_info.version does not match the plan's; refresh the catalog")
		return
	}
	// The behaviour of the plan the instance is on before the update applies.
	ob := b.opBehaviorLocked(inst.planID, osb.OperationUpdate)
	if ob.async() && !acceptsIncomplete {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeAsyncRequired,
			"This service plan requires client support for asynchronous service operations.")
		return
	}
	fault := b.takeFaultLocked(inst.planID, osb.OperationUpdate, &ob)
	if fault != nil && fault.FailStatus != 0 {
		b.mu.Unlock()
		writeFault(c.w, fault)
		return
	}
	op := &asyncOp{planID: newPlan, params: in.Parameters, paramsKey: paramsKey, hasParams: hasParams, maintenance: in.MaintenanceInfo, context: in.Context}
	var a answer
	if ob.async() {
		async := b.newOpLocked(osb.OperationUpdate, &ob)
		async.planID, async.params, async.paramsKey, async.hasParams, async.maintenance, async.context =
			op.planID, op.params, op.paramsKey, op.hasParams, op.maintenance, op.context
		inst.op, inst.lastOp, inst.state = async, osb.OperationUpdate, osb.StateInProgress
		a = answer{status: http.StatusAccepted, body: instanceAnswer{Operation: async.key}}
	} else {
		applyUpdate(inst, op)
		inst.lastOp, inst.state = osb.OperationUpdate, osb.StateSucceeded
		a = answer{status: http.StatusOK, body: instanceAnswer{Metadata: b.metadataLocked(c, inst)}}
	}
	b.mu.Unlock()
	b.send(c, a, fault)
}

// applyUpdate applies an update's new values to an instance.
func applyUpdate(inst *instance, op *asyncOp) {
	inst.planID = op.planID
	if op.hasParams {
		inst.params, inst.paramsKey = op.params, op.paramsKey
	}
	if op.maintenance != nil {
		inst.maintenance = op.maintenance
	}
	if op.context != nil {
		inst.context = op.context
	}
}

func (b *Broker) deprovision(c *call, id string) {
	serviceID, planID := c.query.Get("service_id"), c.query.Get("plan_id")
	if serviceID == "" || planID == "" {
		writeError(c.w, http.StatusBadRequest, "", "the service_id and plan_id query parameters are required")
		return
	}
	acceptsIncomplete := c.query.Get("accepts_incomplete") == "true"
	b.mu.Lock()
	inst := b.instances[id]
	if inst == nil {
		b.mu.Unlock()
		writeError(c.w, http.StatusGone, "", "service instance "+id+" does not exist")
		return
	}
	if inst.busy() {
		switch inst.op.kind {
		case osb.OperationDeprovision:
			a := answer{status: http.StatusAccepted, body: instanceAnswer{Operation: inst.op.key}}
			b.mu.Unlock()
			b.send(c, a, nil)
			return
		case osb.OperationUpdate:
			b.mu.Unlock()
			writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError, "The service instance is being updated.")
			return
		}
		// A delete during provisioning stops the provisioning.
	}
	if len(inst.bindings) > 0 {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, "BindingsExist",
			fmt.Sprintf("the service instance still has %d binding(s); unbind them first", len(inst.bindings)))
		return
	}
	ob := b.opBehaviorLocked(inst.planID, osb.OperationDeprovision)
	if ob.async() && !acceptsIncomplete {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeAsyncRequired,
			"This service plan requires client support for asynchronous service operations.")
		return
	}
	fault := b.takeFaultLocked(inst.planID, osb.OperationDeprovision, &ob)
	if fault != nil && fault.FailStatus != 0 {
		b.mu.Unlock()
		writeFault(c.w, fault)
		return
	}
	var a answer
	if ob.async() {
		inst.op = b.newOpLocked(osb.OperationDeprovision, &ob)
		inst.lastOp, inst.state = osb.OperationDeprovision, osb.StateInProgress
		a = answer{status: http.StatusAccepted, body: instanceAnswer{Operation: inst.op.key}}
	} else {
		b.removeInstanceLocked(inst)
		a = answer{status: http.StatusOK, body: struct{}{}}
	}
	b.mu.Unlock()
	b.send(c, a, fault)
}

func (b *Broker) removeInstanceLocked(inst *instance) {
	delete(b.instances, inst.id)
	b.goneInstances.add(inst.id)
}

// lastOperationAnswer is the body of a last_operation answer.
type lastOperationAnswer struct {
	State            osb.LastOperationState `json:"state"`
	Description      string                 `json:"description,omitempty"`
	InstanceUsable   *bool                  `json:"instance_usable,omitempty"`
	UpdateRepeatable *bool                  `json:"update_repeatable,omitempty"`
}

// pollFaults applies the faults of a poll or fetch before it reads any state.
// It reports whether the request was answered.
func (b *Broker) pollFaults(c *call, planID string, op osb.Operation) bool {
	b.mu.Lock()
	ob := b.opBehaviorLocked(planID, op)
	fault := b.takeFaultLocked(planID, op, &ob)
	b.mu.Unlock()
	if fault == nil {
		return false
	}
	if fault.FailStatus != 0 {
		writeFault(c.w, fault)
		return true
	}
	if fault.Hang && !b.hang(c.r, fault) {
		return true
	}
	switch {
	case fault.Status204:
		c.w.WriteHeader(http.StatusNoContent)
		return true
	case fault.malformed():
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write([]byte(`{"state": "in progr`))
		return true
	}
	return false
}

// checkOperation validates the operation query parameter of a poll against
// the operation the broker returned; it returns a problem or "".
func checkOperation(c *call, op *asyncOp) string {
	got, sent := c.query["operation"]
	switch {
	case op == nil || op.key == "":
		return ""
	case !sent:
		return "the operation query parameter is required: the broker returned one"
	case got[0] != op.key:
		return fmt.Sprintf("unknown operation %q", got[0])
	}
	return ""
}

// progressLocked advances an asynchronous operation by one poll. It returns
// the answer for this poll and whether the operation finished now.
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

func (b *Broker) lastOperation(c *call, id string) {
	b.mu.Lock()
	inst := b.instances[id]
	gone := inst == nil && b.goneInstances.has(id)
	planID := ""
	if inst != nil {
		planID = inst.planID
	}
	b.mu.Unlock()
	if inst == nil {
		if gone {
			writeJSON(c.w, http.StatusGone, struct{}{})
			return
		}
		writeError(c.w, http.StatusNotFound, "", "service instance "+id+" does not exist")
		return
	}
	if sid := c.query.Get("service_id"); sid != "" && sid != inst.serviceID {
		writeError(c.w, http.StatusBadRequest, "", "service_id does not match the instance's")
		return
	}
	if b.pollFaults(c, planID, osb.OperationLastOperation) {
		return
	}
	b.mu.Lock()
	if b.instances[id] != inst {
		b.mu.Unlock()
		writeJSON(c.w, http.StatusGone, struct{}{})
		return
	}
	if msg := checkOperation(c, inst.op); msg != "" {
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	if inst.op == nil {
		a := lastOperationAnswer{State: inst.state}
		b.mu.Unlock()
		writeJSON(c.w, http.StatusOK, a)
		return
	}
	a, retry, finished := progressLocked(inst.op)
	if finished {
		inst.state = inst.op.final
		switch {
		case inst.op.kind == osb.OperationUpdate && inst.op.final == osb.StateSucceeded:
			applyUpdate(inst, inst.op)
		case inst.op.kind == osb.OperationDeprovision && inst.op.final == osb.StateSucceeded:
			b.removeInstanceLocked(inst)
		}
	}
	b.mu.Unlock()
	if retry > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(retry))
	}
	writeJSON(c.w, http.StatusOK, a)
}

// getInstanceAnswer is the body of a GET instance answer.
type getInstanceAnswer struct {
	ServiceID       string               `json:"service_id"`
	PlanID          string               `json:"plan_id"`
	DashboardURL    string               `json:"dashboard_url,omitempty"`
	Parameters      map[string]any       `json:"parameters,omitempty"`
	MaintenanceInfo *osb.MaintenanceInfo `json:"maintenance_info,omitempty"`
	Metadata        map[string]any       `json:"metadata,omitempty"`
}

func (b *Broker) getInstance(c *call, id string) {
	if c.minor < 14 {
		writeError(c.w, http.StatusPreconditionFailed, "", "fetching a service instance needs API version 2.14 or later")
		return
	}
	b.mu.Lock()
	inst := b.instances[id]
	if inst == nil {
		b.mu.Unlock()
		writeError(c.w, http.StatusNotFound, "", "service instance "+id+" does not exist")
		return
	}
	planID := inst.planID
	retrievable := b.services[inst.serviceID] != nil && b.services[inst.serviceID].InstancesRetrievable
	b.mu.Unlock()
	if !retrievable {
		writeError(c.w, http.StatusBadRequest, "", "the offering is not instances_retrievable; platforms must not fetch its instances")
		return
	}
	if b.pollFaults(c, planID, osb.OperationGetInstance) {
		return
	}
	b.mu.Lock()
	inst = b.instances[id]
	switch {
	case inst == nil || (inst.lastOp == osb.OperationProvision && inst.state != osb.StateSucceeded):
		b.mu.Unlock()
		writeError(c.w, http.StatusNotFound, "", "service instance "+id+" does not exist or is being provisioned")
		return
	case inst.busy() && inst.op.kind == osb.OperationUpdate:
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError, "The service instance is being updated.")
		return
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
	b.mu.Unlock()
	writeJSON(c.w, http.StatusOK, a)
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
		}
		if i.maintenance != nil {
			m := *i.maintenance
			s.MaintenanceInfo = &m
		}
		if i.op != nil {
			s.OperationKey = i.op.key
		}
		for bid := range i.bindings {
			s.Bindings = append(s.Bindings, bid)
		}
		sort.Strings(s.Bindings)
		out = append(out, s)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
			return out[a].CreatedAt.Before(out[b].CreatedAt)
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// Instance returns a snapshot of one instance.
func (b *Broker) Instance(id string) (Instance, bool) {
	for _, i := range b.Instances() {
		if i.ID == id {
			return i, true
		}
	}
	return Instance{}, false
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
