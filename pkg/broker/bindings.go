package broker

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
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

// failedToBind reports a binding whose bind failed: a bind may replace it.
func (b *binding) failedToBind() bool {
	return b.lastOp == osb.OperationBind && b.state == osb.StateFailed
}

// bindingAnswer is the body of bind and GET binding answers.
type bindingAnswer struct {
	Operation       string         `json:"operation,omitempty"`
	Credentials     map[string]any `json:"credentials,omitempty"`
	Endpoints       any            `json:"endpoints,omitempty"`
	Parameters      map[string]any `json:"parameters,omitempty"`
	Metadata        any            `json:"metadata,omitempty"`
	SyslogDrainURL  any            `json:"syslog_drain_url,omitempty"`
	RouteServiceURL any            `json:"route_service_url,omitempty"`
	VolumeMounts    any            `json:"volume_mounts,omitempty"`
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
	if bh, _ := b.behaviorLocked(bd.planID); bh.BindingFields != nil {
		f := bh.BindingFields
		if f.Endpoints != nil {
			a.Endpoints = f.Endpoints
		}
		a.Metadata, a.SyslogDrainURL, a.RouteServiceURL, a.VolumeMounts = f.Metadata, f.SyslogDrainURL, f.RouteServiceURL, f.VolumeMounts
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

func (b *Broker) removeBindingLocked(bd *binding) {
	delete(b.bindings, bindingKey{bd.instanceID, bd.id})
	if inst := b.instances[bd.instanceID]; inst != nil {
		delete(inst.bindings, bd.id)
	}
	b.goneBindings.add(bd.instanceID + "/" + bd.id)
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
	slices.SortFunc(out, func(a, b Binding) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}
