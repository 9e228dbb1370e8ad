package osb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// Operation names an OSB operation. It selects a row of the orphan-mitigation
// table (NeedsOrphanMitigation), labels errors, and names the actions recorded
// by the fake client. The values double as the test broker's behaviour keys.
type Operation string

// The OSB operations.
const (
	OperationGetCatalog           Operation = "getCatalog"
	OperationProvision            Operation = "provision"
	OperationUpdate               Operation = "update"
	OperationDeprovision          Operation = "deprovision"
	OperationLastOperation        Operation = "lastOperation"
	OperationGetInstance          Operation = "getInstance"
	OperationBind                 Operation = "bind"
	OperationUnbind               Operation = "unbind"
	OperationBindingLastOperation Operation = "bindingLastOperation"
	OperationGetBinding           Operation = "getBinding"
)

// Operations returns every Operation, in lifecycle order.
func Operations() []Operation {
	return []Operation{
		OperationGetCatalog, OperationProvision, OperationUpdate, OperationDeprovision,
		OperationLastOperation, OperationGetInstance, OperationBind, OperationUnbind,
		OperationBindingLastOperation, OperationGetBinding,
	}
}

// PlatformKubernetes is the platform name sent in the context object and in the
// originating-identity header.
const PlatformKubernetes = "kubernetes"

// Service is one service offering of a broker catalog. Decoding is lenient: a
// field of the wrong type does not fail the catalog, it is reported by
// ValidateService for this offering only.
type Service struct {
	// Name is the CLI-friendly name of the offering, unique within the catalog.
	Name string `json:"name"`
	// ID is the offering's identifier, the only immutable property.
	ID string `json:"id"`
	// Description is a short user-facing description.
	Description string `json:"description"`
	// Tags are keywords describing the offering.
	Tags []string `json:"tags,omitempty"`
	// Requires lists permissions the offering needs: syslog_drain,
	// route_forwarding or volume_mount.
	Requires []string `json:"requires,omitempty"`
	// Bindable is whether instances of the offering can be bound by default;
	// a plan may override it (see EffectiveBindable).
	Bindable bool `json:"bindable"`
	// InstancesRetrievable is whether GET on a service instance is supported.
	InstancesRetrievable bool `json:"instances_retrievable,omitempty"`
	// BindingsRetrievable is whether GET on a service binding is supported.
	BindingsRetrievable bool `json:"bindings_retrievable,omitempty"`
	// AllowContextUpdates is whether a context-only update may be sent.
	AllowContextUpdates bool `json:"allow_context_updates,omitempty"`
	// PlanUpdatable is whether instances may change plan; nil means false. Note
	// the wire spelling "plan_updateable".
	PlanUpdatable *bool `json:"plan_updateable,omitempty"`
	// Metadata is the offering's opaque metadata object, verbatim.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// DashboardClient is the Cloud Foundry dashboard SSO extension. Its Secret is
	// a credential: never log it.
	DashboardClient *DashboardClient `json:"dashboard_client,omitempty"`
	// Plans are the offering's plans; at least one is required.
	Plans []Plan `json:"plans"`

	// decodeErr records a type error found while decoding this offering.
	decodeErr error
}

// DashboardClient is the Cloud Foundry dashboard_client extension of an offering.
type DashboardClient struct {
	// ID is the OAuth client id.
	ID string `json:"id"`
	// Secret is the OAuth client secret.
	Secret string `json:"secret"`
	// RedirectURI is the dashboard's redirect URI.
	RedirectURI string `json:"redirect_uri,omitempty"`
}

// String hides the client secret.
func (d DashboardClient) String() string {
	return fmt.Sprintf("{ID:%s Secret:<redacted> RedirectURI:%s}", d.ID, d.RedirectURI)
}

// GoString hides the client secret.
func (d DashboardClient) GoString() string { return d.String() }

// Plan is one plan of a service offering.
type Plan struct {
	// ID is the plan's identifier, the only immutable property.
	ID string `json:"id"`
	// Name is the CLI-friendly plan name, unique within its offering.
	Name string `json:"name"`
	// Description is a short user-facing description.
	Description string `json:"description"`
	// Metadata is the plan's opaque metadata object, verbatim.
	Metadata json.RawMessage `json:"metadata,omitempty"`
	// Free is whether the plan is free of charge; nil means true (see EffectiveFree).
	Free *bool `json:"free,omitempty"`
	// Bindable overrides the offering's Bindable when set.
	Bindable *bool `json:"bindable,omitempty"`
	// BindingRotatable is whether bindings may be rotated; nil means false.
	BindingRotatable *bool `json:"binding_rotatable,omitempty"`
	// PlanUpdatable overrides the offering's PlanUpdatable when set.
	PlanUpdatable *bool `json:"plan_updateable,omitempty"`
	// Schemas holds the JSON schemas of the plan's input parameters.
	Schemas *Schemas `json:"schemas,omitempty"`
	// MaximumPollingDuration is the plan's polling limit in seconds.
	MaximumPollingDuration *int `json:"maximum_polling_duration,omitempty"`
	// MaintenanceInfo describes the plan's current maintenance version.
	MaintenanceInfo *MaintenanceInfo `json:"maintenance_info,omitempty"`
}

// Schemas are the input-parameter schemas of a plan.
type Schemas struct {
	// ServiceInstance holds the provision and update schemas.
	ServiceInstance *ServiceInstanceSchemas `json:"service_instance,omitempty"`
	// ServiceBinding holds the bind schema.
	ServiceBinding *ServiceBindingSchemas `json:"service_binding,omitempty"`
}

// ServiceInstanceSchemas are the schemas for creating and updating an instance.
type ServiceInstanceSchemas struct {
	// Create applies to provision parameters.
	Create *InputParametersSchema `json:"create,omitempty"`
	// Update applies to update parameters.
	Update *InputParametersSchema `json:"update,omitempty"`
}

// ServiceBindingSchemas are the schemas for creating a binding.
type ServiceBindingSchemas struct {
	// Create applies to bind parameters.
	Create *InputParametersSchema `json:"create,omitempty"`
}

// InputParametersSchema wraps one JSON schema.
type InputParametersSchema struct {
	// Parameters is the JSON schema object, verbatim.
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// InstanceCreateSchema returns the plan's provision parameter schema, or nil.
func (p *Plan) InstanceCreateSchema() json.RawMessage {
	if p == nil || p.Schemas == nil || p.Schemas.ServiceInstance == nil || p.Schemas.ServiceInstance.Create == nil {
		return nil
	}
	return p.Schemas.ServiceInstance.Create.Parameters
}

// InstanceUpdateSchema returns the plan's update parameter schema, or nil.
func (p *Plan) InstanceUpdateSchema() json.RawMessage {
	if p == nil || p.Schemas == nil || p.Schemas.ServiceInstance == nil || p.Schemas.ServiceInstance.Update == nil {
		return nil
	}
	return p.Schemas.ServiceInstance.Update.Parameters
}

// BindingCreateSchema returns the plan's bind parameter schema, or nil.
func (p *Plan) BindingCreateSchema() json.RawMessage {
	if p == nil || p.Schemas == nil || p.Schemas.ServiceBinding == nil || p.Schemas.ServiceBinding.Create == nil {
		return nil
	}
	return p.Schemas.ServiceBinding.Create.Parameters
}

// MaximumPollingTime returns the plan's maximum_polling_duration as a
// duration, and false when the plan sets none (or a non-positive one).
func (p *Plan) MaximumPollingTime() (time.Duration, bool) {
	if p == nil || p.MaximumPollingDuration == nil || *p.MaximumPollingDuration <= 0 {
		return 0, false
	}
	return time.Duration(*p.MaximumPollingDuration) * time.Second, true
}

// EffectiveBindable returns whether instances of plan can be bound: the
// plan's bindable if set, otherwise the offering's (catalog.Bindable).
func EffectiveBindable(svc *Service, plan *Plan) bool {
	var planBindable *bool
	if plan != nil {
		planBindable = plan.Bindable
	}
	return catalog.Bindable(planBindable, svc != nil && svc.Bindable)
}

// EffectivePlanUpdatable returns whether an instance on plan may change plan:
// the plan's plan_updateable if set, otherwise the offering's, otherwise false
// (catalog.PlanUpdatable).
func EffectivePlanUpdatable(svc *Service, plan *Plan) bool {
	var planUpdatable *bool
	if plan != nil {
		planUpdatable = plan.PlanUpdatable
	}
	return catalog.PlanUpdatable(planUpdatable, svc != nil && svc.PlanUpdatable != nil && *svc.PlanUpdatable)
}

// EffectiveFree returns whether plan is free; absent means true.
func EffectiveFree(plan *Plan) bool {
	return plan == nil || plan.Free == nil || *plan.Free
}

// EffectiveBindingRotatable returns whether bindings on plan may be rotated;
// absent means false.
func EffectiveBindingRotatable(plan *Plan) bool {
	return plan != nil && plan.BindingRotatable != nil && *plan.BindingRotatable
}

// MaintenanceInfo is the maintenance_info object of a plan or request.
type MaintenanceInfo struct {
	// Version is a semantic version of the plan's maintenance level.
	Version string `json:"version"`
	// Description explains what an update to Version does.
	Description string `json:"description,omitempty"`
}

// Context is the Kubernetes context object sent on provision, update and bind
// (OSB profile, Kubernetes Context Object).
type Context struct {
	// Platform is "kubernetes"; empty means "kubernetes".
	Platform string `json:"platform"`
	// Namespace is the namespace of the ServiceInstance or ServiceBinding.
	Namespace string `json:"namespace,omitempty"`
	// ClusterID identifies the cluster; it should be stable for its lifetime.
	ClusterID string `json:"clusterid,omitempty"`
	// InstanceName is the Kubernetes name of the ServiceInstance (provision and update).
	InstanceName string `json:"instance_name,omitempty"`
	// NamespaceAnnotations are the namespace's annotations (API 2.16 and later).
	NamespaceAnnotations map[string]string `json:"namespace_annotations,omitempty"`
	// InstanceAnnotations are the ServiceInstance's annotations (API 2.16 and later).
	InstanceAnnotations map[string]string `json:"instance_annotations,omitempty"`
}

// wire returns the context as sent: the platform defaulted to kubernetes.
func (c *Context) wire() *Context {
	if c == nil {
		return nil
	}
	if c.Platform != "" {
		return c
	}
	cp := *c
	cp.Platform = PlatformKubernetes
	return &cp
}

// OriginatingIdentity is the Kubernetes user whose action caused a request.
type OriginatingIdentity struct {
	// Username is the user's name.
	Username string `json:"username"`
	// UID is the user's unique id.
	UID string `json:"uid"`
	// Groups are the user's groups.
	Groups []string `json:"groups"`
	// Extra holds additional user information.
	Extra map[string][]string `json:"extra"`
}

// HeaderValue returns the X-Broker-API-Originating-Identity header value:
// "kubernetes " followed by the padded standard Base64 of a JSON object with
// username, uid, groups (always an array) and extra (always an object).
func (o *OriginatingIdentity) HeaderValue() (string, error) {
	w := *o
	if w.Groups == nil {
		w.Groups = []string{}
	}
	if w.Extra == nil {
		w.Extra = map[string][]string{}
	}
	b, err := json.Marshal(&w)
	if err != nil {
		return "", fmt.Errorf("encoding originating identity: %w", err)
	}
	return PlatformKubernetes + " " + base64.StdEncoding.EncodeToString(b), nil
}

// ParseOriginatingIdentity decodes an X-Broker-API-Originating-Identity header
// value into its platform and, for the kubernetes platform, the user. For other
// platforms only the platform is returned and the value is checked to be Base64
// of a JSON object. A kubernetes value must contain username, uid, groups and
// extra.
func ParseOriginatingIdentity(header string) (platform string, identity *OriginatingIdentity, err error) {
	platform, value, ok := strings.Cut(header, " ")
	if !ok || platform == "" || value == "" || strings.Contains(value, " ") {
		return "", nil, errors.New(`originating identity must be "<platform> <base64 JSON>"`)
	}
	raw, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(value); err != nil {
			return "", nil, errors.New("originating identity value is not Base64")
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return "", nil, errors.New("originating identity value is not a Base64-encoded JSON object")
	}
	if platform != PlatformKubernetes {
		return platform, nil, nil
	}
	for _, k := range []string{"username", "uid", "groups", "extra"} {
		if v, ok := fields[k]; !ok || bytes.Equal(v, []byte("null")) {
			return "", nil, fmt.Errorf("kubernetes originating identity lacks %q", k)
		}
	}
	identity = &OriginatingIdentity{}
	if err := json.Unmarshal(raw, identity); err != nil {
		return "", nil, errors.New("kubernetes originating identity has a field of the wrong type")
	}
	return platform, identity, nil
}

// InstanceMetadata is the metadata object of a service instance (API 2.16).
type InstanceMetadata struct {
	// Labels are key-value pairs to organise instances. Values that are not
	// strings are dropped while decoding.
	Labels map[string]string `json:"labels,omitempty"`
	// Attributes are broker-defined instance attributes.
	Attributes map[string]any `json:"attributes,omitempty"`
}

// UnmarshalJSON decodes leniently: metadata is informational, so labels that
// are not strings, attributes that are not an object, or metadata that is not
// an object are dropped rather than failing the whole answer.
func (m *InstanceMetadata) UnmarshalJSON(b []byte) error {
	*m = InstanceMetadata{}
	var raw struct {
		Labels     json.RawMessage `json:"labels"`
		Attributes json.RawMessage `json:"attributes"`
	}
	if unmarshalNumbers(b, &raw) != nil {
		return nil
	}
	var labels map[string]json.RawMessage
	if json.Unmarshal(raw.Labels, &labels) == nil {
		for k, v := range labels {
			var s string
			if json.Unmarshal(v, &s) != nil {
				continue
			}
			if m.Labels == nil {
				m.Labels = make(map[string]string, len(labels))
			}
			m.Labels[k] = s
		}
	}
	var attrs map[string]any
	if len(raw.Attributes) > 0 && unmarshalNumbers(raw.Attributes, &attrs) == nil {
		m.Attributes = attrs
	}
	return nil
}

// BindResource is the bind_resource object of a bind request.
type BindResource struct {
	// AppGUID identifies the application being bound; on Kubernetes it
	// typically maps to the namespace.
	AppGUID string `json:"app_guid,omitempty"`
	// Route is the URL of the route for route services.
	Route string `json:"route,omitempty"`
}

// BindingMetadata is the metadata object of a binding.
type BindingMetadata struct {
	// ExpiresAt is when the binding expires (ISO 8601).
	ExpiresAt string `json:"expires_at,omitempty"`
	// RenewBefore is when the binding should be renewed (ISO 8601).
	RenewBefore string `json:"renew_before,omitempty"`
}

// ExpiresAtTime parses ExpiresAt; it returns false when unset or unparsable.
func (m *BindingMetadata) ExpiresAtTime() (time.Time, bool) {
	if m == nil {
		return time.Time{}, false
	}
	return parseISOTime(m.ExpiresAt)
}

// RenewBeforeTime parses RenewBefore; it returns false when unset or unparsable.
func (m *BindingMetadata) RenewBeforeTime() (time.Time, bool) {
	if m == nil {
		return time.Time{}, false
	}
	return parseISOTime(m.RenewBefore)
}

func parseISOTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// VolumeMount is one entry of a binding's volume_mounts.
type VolumeMount struct {
	// Driver is the name of the volume driver plugin.
	Driver string `json:"driver"`
	// ContainerDir is the path to mount the volume at.
	ContainerDir string `json:"container_dir"`
	// Mode is "r" or "rw".
	Mode string `json:"mode"`
	// DeviceType is "shared".
	DeviceType string `json:"device_type"`
	// Device describes the volume to mount.
	Device VolumeDevice `json:"device"`
}

// VolumeDevice is the device of a VolumeMount.
type VolumeDevice struct {
	// VolumeID is the volume's identifier.
	VolumeID string `json:"volume_id"`
	// MountConfig holds driver-specific configuration.
	MountConfig map[string]any `json:"mount_config,omitempty"`
}

// Endpoint is one network endpoint of a binding.
type Endpoint struct {
	// Host is a host name or IP address.
	Host string `json:"host"`
	// Ports are ports or port ranges such as "443" or "9000-9010".
	Ports []string `json:"ports"`
	// Protocol is tcp, udp or all; empty means tcp.
	Protocol string `json:"protocol,omitempty"`
}

// UnmarshalJSON decodes an endpoint leniently: ports given as numbers (5432), as the
// specification's strings do not say, are taken as their decimal strings.
func (e *Endpoint) UnmarshalJSON(data []byte) error {
	var wire struct {
		Host     string            `json:"host"`
		Ports    []json.RawMessage `json:"ports"`
		Protocol string            `json:"protocol"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return err
	}
	*e = Endpoint{Host: wire.Host, Protocol: wire.Protocol}
	for _, raw := range wire.Ports {
		var port string
		if err := json.Unmarshal(raw, &port); err != nil {
			var n json.Number
			if err := json.Unmarshal(raw, &n); err != nil {
				return fmt.Errorf("port %s is neither a string nor a number", raw)
			}
			port = n.String()
		}
		e.Ports = append(e.Ports, port)
	}
	return nil
}

// LastOperationState is the state of an asynchronous operation.
type LastOperationState string

// The states of an asynchronous operation.
const (
	StateInProgress LastOperationState = "in progress"
	StateSucceeded  LastOperationState = "succeeded"
	StateFailed     LastOperationState = "failed"
)

// PreviousValues is the previous_values object of an update request.
type PreviousValues struct {
	// PlanID is the instance's plan before the update.
	PlanID string `json:"plan_id,omitempty"`
	// ServiceID is deprecated; the offering's id.
	ServiceID string `json:"service_id,omitempty"`
	// OrganizationID is deprecated; the organization_guid used at provision.
	OrganizationID string `json:"organization_id,omitempty"`
	// SpaceID is deprecated; the space_guid used at provision.
	SpaceID string `json:"space_id,omitempty"`
	// MaintenanceInfo is what was sent at provision or at the last update.
	MaintenanceInfo *MaintenanceInfo `json:"maintenance_info,omitempty"`
}
