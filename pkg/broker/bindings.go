package broker

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Binding is a snapshot of a service binding the broker holds.
type Binding struct {
	// ID is the binding id.
	ID string `json:"id"`
	// InstanceID is the bound instance.
	InstanceID string `json:"instanceID"`
	// ServiceID is the offering id sent.
	ServiceID string `json:"serviceID"`
	// PlanID is the plan id sent.
	PlanID string `json:"planID"`
	// Parameters are the bind parameters.
	Parameters map[string]any `json:"parameters,omitempty"`
	// Context is the context object sent.
	Context map[string]any `json:"context,omitempty"`
	// BindResource is the bind_resource object sent.
	BindResource map[string]any `json:"bindResource,omitempty"`
	// AppGUID is the deprecated top-level app_guid sent.
	AppGUID string `json:"appGUID,omitempty"`
	// Credentials are the credentials handed out.
	Credentials map[string]any `json:"credentials,omitempty"`
	// LastOperation is bind or unbind.
	LastOperation osb.Operation `json:"lastOperation"`
	// State is that operation's state.
	State osb.LastOperationState `json:"state"`
	// OperationKey is that operation's key if it was asynchronous.
	OperationKey string `json:"operationKey,omitempty"`
	// CreatedAt is when the bind request arrived.
	CreatedAt time.Time `json:"createdAt"`
}

type bindingKey struct{ instanceID, bindingID string }

type binding struct {
	id, instanceID, serviceID, planID string
	params                            map[string]any
	paramsKey                         string
	context                           map[string]any
	bindResource                      map[string]any
	resourceKey                       string
	appGUID                           string
	credentials                       map[string]any
	lastOp                            osb.Operation
	state                             osb.LastOperationState
	op                                *asyncOp
	created                           time.Time
}

func (b *binding) busy() bool { return b.op != nil && !b.op.done }

type bindIn struct {
	ServiceID            string         `json:"service_id"`
	PlanID               string         `json:"plan_id"`
	Context              map[string]any `json:"context"`
	AppGUID              string         `json:"app_guid"`
	BindResource         map[string]any `json:"bind_resource"`
	Parameters           map[string]any `json:"parameters"`
	PredecessorBindingID string         `json:"predecessor_binding_id"`
}

// bindingAnswer is the body of bind and GET binding answers.
type bindingAnswer struct {
	Operation   string           `json:"operation,omitempty"`
	Credentials map[string]any   `json:"credentials,omitempty"`
	Endpoints   []map[string]any `json:"endpoints,omitempty"`
	Parameters  map[string]any   `json:"parameters,omitempty"`
}

func (b *Broker) bind(c *call, instanceID, bindingID string) {
	var in bindIn
	if err := decodeBody(c.body, &in); err != nil {
		writeError(c.w, http.StatusBadRequest, "", err.Error())
		return
	}
	if in.ServiceID == "" || in.PlanID == "" {
		writeError(c.w, http.StatusBadRequest, "", "service_id and plan_id are required")
		return
	}
	if msg := checkContext(c, in.Context, false); msg != "" {
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	if _, ok := c.query["accepts_incomplete"]; ok && c.minor < 14 {
		writeError(c.w, http.StatusPreconditionFailed, "", "asynchronous bindings need API version 2.14 or later")
		return
	}
	acceptsIncomplete := c.query.Get("accepts_incomplete") == "true"
	appGUID, _ := in.BindResource["app_guid"].(string)
	resourceKey := canonical(in.BindResource)
	paramsKey := canonical(in.Parameters)

	b.mu.Lock()
	ref, msg := b.planOfLocked(in.ServiceID, in.PlanID)
	if msg != "" {
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	if !osb.EffectiveBindable(ref.service, ref.plan) {
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", "plan "+ref.plan.Name+" is not bindable")
		return
	}
	inst := b.instances[instanceID]
	switch {
	case inst == nil:
		b.mu.Unlock()
		writeError(c.w, http.StatusNotFound, "", "service instance "+instanceID+" does not exist")
		return
	case inst.busy():
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError, "An operation on the service instance is in progress.")
		return
	case inst.lastOp == osb.OperationProvision && inst.state == osb.StateFailed:
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, "", "the service instance failed to provision")
		return
	case inst.planID != in.PlanID || inst.serviceID != in.ServiceID:
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", "service_id and plan_id do not match the instance's")
		return
	}
	ob := b.opBehaviorLocked(in.PlanID, osb.OperationBind)
	if ob.RequiresApp && appGUID == "" {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeRequiresApp,
			"This service supports generation of credentials through binding an application only.")
		return
	}
	if ob.async() && !acceptsIncomplete {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeAsyncRequired,
			"This service plan requires client support for asynchronous binding operations.")
		return
	}
	key := bindingKey{instanceID, bindingID}
	if old := b.bindings[key]; old != nil && !(old.lastOp == osb.OperationBind && old.state == osb.StateFailed) {
		same := old.serviceID == in.ServiceID && old.planID == in.PlanID && old.paramsKey == paramsKey &&
			old.resourceKey == resourceKey && old.appGUID == in.AppGUID
		switch {
		case old.busy() && old.op.kind == osb.OperationBind && same:
			a := answer{status: http.StatusAccepted, body: bindingAnswer{Operation: old.op.key}}
			b.mu.Unlock()
			b.send(c, a, nil)
		case old.busy() && old.op.kind != osb.OperationBind:
			b.mu.Unlock()
			writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeConcurrencyError, "An operation on the service binding is in progress.")
		case same:
			a := answer{status: http.StatusOK, body: b.bindingAnswerLocked(c, old, false)}
			b.mu.Unlock()
			b.send(c, a, nil)
		default:
			b.mu.Unlock()
			writeError(c.w, http.StatusConflict, "", "a service binding with this id already exists with different attributes")
		}
		return
	}
	fault := b.takeFaultLocked(in.PlanID, osb.OperationBind, &ob)
	if fault != nil && fault.FailStatus != 0 {
		b.mu.Unlock()
		writeFault(c.w, fault)
		return
	}
	bd := &binding{
		id: bindingID, instanceID: instanceID, serviceID: in.ServiceID, planID: in.PlanID,
		params: in.Parameters, paramsKey: paramsKey, context: in.Context, bindResource: in.BindResource,
		resourceKey: resourceKey, appGUID: in.AppGUID, lastOp: osb.OperationBind, state: osb.StateSucceeded, created: time.Now(),
	}
	bd.credentials = b.credentialsLocked(ref, inst, bd)
	if bh, ok := b.behaviorLocked(in.PlanID); ok && bh.Credentials != nil {
		bd.credentials = deepCopyMap(bh.Credentials)
	}
	var a answer
	if ob.async() {
		bd.op = b.newOpLocked(osb.OperationBind, &ob)
		bd.state = osb.StateInProgress
		a = answer{status: http.StatusAccepted, body: bindingAnswer{Operation: bd.op.key}}
	} else {
		a = answer{status: http.StatusCreated, body: b.bindingAnswerLocked(c, bd, false)}
	}
	a.malformed = malformedCredentials(bd.credentials)
	b.bindings[key] = bd
	inst.bindings[bindingID] = struct{}{}
	b.goneBindings.remove(instanceID + "/" + bindingID)
	b.mu.Unlock()
	b.send(c, a, fault)
}

// malformedCredentials is a bind answer cut short inside the credentials, so
// tests can check that a platform does not echo it.
func malformedCredentials(creds map[string]any) string {
	data, _ := json.Marshal(map[string]any{"credentials": creds})
	if len(data) > 20 {
		data = data[:len(data)-3]
	}
	return string(data)
}

// behaviorLocked returns a plan's behaviour (override or catalog).
func (b *Broker) behaviorLocked(planID string) (Behavior, bool) {
	if o, ok := b.overrides[planID]; ok {
		return o, true
	}
	bh, ok := b.catalog.Behaviors[planID]
	return bh, ok
}

// bindingAnswerLocked builds a binding's body.
func (b *Broker) bindingAnswerLocked(c *call, bd *binding, withParams bool) bindingAnswer {
	a := bindingAnswer{Credentials: deepCopyMap(bd.credentials)}
	if withParams {
		a.Parameters = deepCopyMap(bd.params)
	}
	if c.minor >= 16 {
		if host, _ := bd.credentials["host"].(string); host != "" {
			a.Endpoints = []map[string]any{{"host": host, "ports": []string{fmt.Sprint(bd.credentials["port"])}, "protocol": "tcp"}}
		}
	}
	return a
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

func short(id string) string {
	id = strings.ReplaceAll(id, "-", "")
	if len(id) > 8 {
		id = id[:8]
	}
	return strings.ToLower(id)
}

// credentialsLocked generates a binding's credentials: string values (uri,
// username, password, host) and a number (port), shaped like the offering.
func (b *Broker) credentialsLocked(ref planRef, inst *instance, bd *binding) map[string]any {
	user := "u-" + short(bd.id)
	password := randomHex(12)
	name := ref.service.Name
	host := fmt.Sprintf("%s-%s.test-broker.svc.cluster.local", name, short(inst.id))
	switch name {
	case "postgresql":
		db := "db_" + short(inst.id)
		return map[string]any{
			"uri":      fmt.Sprintf("postgresql://%s:%s@%s:5432/%s", user, password, host, db),
			"username": user, "password": password, "host": host, "port": 5432, "database": db, "sslmode": "require",
		}
	case "redis":
		return map[string]any{
			"uri":      fmt.Sprintf("redis://%s:%s@%s:6379/0", user, password, host),
			"username": user, "password": password, "host": host, "port": 6379, "tls": false,
		}
	case "rabbitmq":
		return map[string]any{
			"uri":      fmt.Sprintf("amqp://%s:%s@%s:5672/%s", user, password, host, short(inst.id)),
			"username": user, "password": password, "host": host, "port": 5672, "vhost": short(inst.id),
		}
	case "s3-bucket":
		bucket := "bucket-" + short(inst.id)
		return map[string]any{
			"uri":      "https://" + bucket + ".s3.test-broker.svc.cluster.local",
			"username": strings.ToUpper("AK" + randomHex(8)), "password": password, "host": "s3.test-broker.svc.cluster.local",
			"port": 443, "bucket": bucket, "region": "eu-west-1",
		}
	}
	return map[string]any{
		"uri":      fmt.Sprintf("test://%s:%s@%s:443", user, password, host),
		"username": user, "password": password, "host": host, "port": 443,
	}
}

func (b *Broker) unbind(c *call, instanceID, bindingID string) {
	serviceID, planID := c.query.Get("service_id"), c.query.Get("plan_id")
	if serviceID == "" || planID == "" {
		writeError(c.w, http.StatusBadRequest, "", "the service_id and plan_id query parameters are required")
		return
	}
	if _, ok := c.query["accepts_incomplete"]; ok && c.minor < 14 {
		writeError(c.w, http.StatusPreconditionFailed, "", "asynchronous bindings need API version 2.14 or later")
		return
	}
	acceptsIncomplete := c.query.Get("accepts_incomplete") == "true"
	b.mu.Lock()
	bd := b.bindings[bindingKey{instanceID, bindingID}]
	if bd == nil {
		b.mu.Unlock()
		writeError(c.w, http.StatusGone, "", "service binding "+bindingID+" does not exist")
		return
	}
	if bd.busy() && bd.op.kind == osb.OperationUnbind {
		a := answer{status: http.StatusAccepted, body: bindingAnswer{Operation: bd.op.key}}
		b.mu.Unlock()
		b.send(c, a, nil)
		return
	}
	// An unbind during an async bind stops the bind.
	ob := b.opBehaviorLocked(bd.planID, osb.OperationUnbind)
	if ob.async() && !acceptsIncomplete {
		b.mu.Unlock()
		writeError(c.w, http.StatusUnprocessableEntity, osb.ErrorCodeAsyncRequired,
			"This service plan requires client support for asynchronous binding operations.")
		return
	}
	fault := b.takeFaultLocked(bd.planID, osb.OperationUnbind, &ob)
	if fault != nil && fault.FailStatus != 0 {
		b.mu.Unlock()
		writeFault(c.w, fault)
		return
	}
	var a answer
	if ob.async() {
		bd.op = b.newOpLocked(osb.OperationUnbind, &ob)
		bd.lastOp, bd.state = osb.OperationUnbind, osb.StateInProgress
		a = answer{status: http.StatusAccepted, body: bindingAnswer{Operation: bd.op.key}}
	} else {
		b.removeBindingLocked(bd)
		a = answer{status: http.StatusOK, body: struct{}{}}
	}
	b.mu.Unlock()
	b.send(c, a, fault)
}

func (b *Broker) removeBindingLocked(bd *binding) {
	delete(b.bindings, bindingKey{bd.instanceID, bd.id})
	if inst := b.instances[bd.instanceID]; inst != nil {
		delete(inst.bindings, bd.id)
	}
	b.goneBindings.add(bd.instanceID + "/" + bd.id)
}

func (b *Broker) bindingLastOperation(c *call, instanceID, bindingID string) {
	if c.minor < 14 {
		writeError(c.w, http.StatusPreconditionFailed, "", "binding last_operation needs API version 2.14 or later")
		return
	}
	key := bindingKey{instanceID, bindingID}
	b.mu.Lock()
	bd := b.bindings[key]
	gone := bd == nil && b.goneBindings.has(instanceID+"/"+bindingID)
	planID := ""
	if bd != nil {
		planID = bd.planID
	}
	b.mu.Unlock()
	if bd == nil {
		if gone {
			writeJSON(c.w, http.StatusGone, struct{}{})
			return
		}
		writeError(c.w, http.StatusNotFound, "", "service binding "+bindingID+" does not exist")
		return
	}
	if b.pollFaults(c, planID, osb.OperationBindingLastOperation) {
		return
	}
	b.mu.Lock()
	if b.bindings[key] != bd {
		b.mu.Unlock()
		writeJSON(c.w, http.StatusGone, struct{}{})
		return
	}
	if msg := checkOperation(c, bd.op); msg != "" {
		b.mu.Unlock()
		writeError(c.w, http.StatusBadRequest, "", msg)
		return
	}
	if bd.op == nil {
		a := lastOperationAnswer{State: bd.state}
		b.mu.Unlock()
		writeJSON(c.w, http.StatusOK, a)
		return
	}
	a, retry, finished := progressLocked(bd.op)
	if finished {
		bd.state = bd.op.final
		if bd.op.kind == osb.OperationUnbind && bd.op.final == osb.StateSucceeded {
			b.removeBindingLocked(bd)
		}
	}
	b.mu.Unlock()
	if retry > 0 {
		c.w.Header().Set("Retry-After", fmt.Sprint(retry))
	}
	writeJSON(c.w, http.StatusOK, a)
}

func (b *Broker) getBinding(c *call, instanceID, bindingID string) {
	if c.minor < 14 {
		writeError(c.w, http.StatusPreconditionFailed, "", "fetching a service binding needs API version 2.14 or later")
		return
	}
	key := bindingKey{instanceID, bindingID}
	b.mu.Lock()
	bd := b.bindings[key]
	if bd == nil {
		b.mu.Unlock()
		writeError(c.w, http.StatusNotFound, "", "service binding "+bindingID+" does not exist")
		return
	}
	planID := bd.planID
	svc := b.services[bd.serviceID]
	b.mu.Unlock()
	if svc == nil || !svc.BindingsRetrievable {
		writeError(c.w, http.StatusBadRequest, "", "the offering is not bindings_retrievable; platforms must not fetch its bindings")
		return
	}
	if b.pollFaults(c, planID, osb.OperationGetBinding) {
		return
	}
	b.mu.Lock()
	bd = b.bindings[key]
	if bd == nil || (bd.lastOp == osb.OperationBind && bd.state != osb.StateSucceeded) {
		b.mu.Unlock()
		writeError(c.w, http.StatusNotFound, "", "service binding "+bindingID+" does not exist or is being created")
		return
	}
	a := b.bindingAnswerLocked(c, bd, true)
	b.mu.Unlock()
	writeJSON(c.w, http.StatusOK, a)
}

// Bindings returns snapshots of the bindings the broker holds, ordered by
// creation time.
func (b *Broker) Bindings() []Binding {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Binding, 0, len(b.bindings))
	for _, bd := range b.bindings {
		s := Binding{
			ID: bd.id, InstanceID: bd.instanceID, ServiceID: bd.serviceID, PlanID: bd.planID,
			Parameters: deepCopyMap(bd.params), Context: deepCopyMap(bd.context), BindResource: deepCopyMap(bd.bindResource),
			AppGUID: bd.appGUID, Credentials: deepCopyMap(bd.credentials), LastOperation: bd.lastOp, State: bd.state, CreatedAt: bd.created,
		}
		if bd.op != nil {
			s.OperationKey = bd.op.key
		}
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
