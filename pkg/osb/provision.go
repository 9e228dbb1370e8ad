package osb

import (
	"context"
	"encoding/json"
	"net/http"
)

// ProvisionRequest is a request to create a service instance.
type ProvisionRequest struct {
	// InstanceID is the new instance's globally unique id.
	InstanceID string
	// AcceptsIncomplete allows the broker to answer asynchronously (202).
	AcceptsIncomplete bool
	// ServiceID is the offering's id.
	ServiceID string
	// PlanID is the plan's id.
	PlanID string
	// OrganizationGUID is the deprecated but still required organization_guid
	// (for example the cluster id).
	OrganizationGUID string
	// SpaceGUID is the deprecated but still required space_guid (for example
	// the namespace's UID).
	SpaceGUID string
	// Context is the Kubernetes context object; send it with
	// platform, namespace, clusterid and instance_name.
	Context *Context
	// Parameters are the user's configuration parameters; nil or empty omits them.
	Parameters map[string]any
	// MaintenanceInfo is the plan's maintenance_info (API 2.15).
	MaintenanceInfo *MaintenanceInfo
	// OriginatingIdentity is the user who asked for the instance.
	OriginatingIdentity *OriginatingIdentity
}

// ProvisionResponse is a successful provision answer: 200 (already exists),
// 201 (created) or 202 (in progress).
type ProvisionResponse struct {
	// Async is true for 202: poll the last operation until it finishes.
	Async bool
	// DashboardURL is the instance's dashboard, if any.
	DashboardURL *string
	// OperationKey is the broker's operation for an async answer, to send
	// verbatim on polls; nil when the broker gave none.
	OperationKey *string
	// Metadata holds the instance's labels and attributes, if sent.
	Metadata *InstanceMetadata
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

type provisionBody struct {
	ServiceID        string           `json:"service_id"`
	PlanID           string           `json:"plan_id"`
	OrganizationGUID string           `json:"organization_guid"`
	SpaceGUID        string           `json:"space_guid"`
	Context          *Context         `json:"context,omitempty"`
	Parameters       map[string]any   `json:"parameters,omitempty"`
	MaintenanceInfo  *MaintenanceInfo `json:"maintenance_info,omitempty"`
}

// instanceResponseBody is the body of provision, update and deprovision answers.
type instanceResponseBody struct {
	DashboardURL *string         `json:"dashboard_url"`
	Operation    *string         `json:"operation"`
	Metadata     json.RawMessage `json:"metadata"`
}

// Provision creates a service instance:
// PUT /v2/service_instances/:instance_id[?accepts_incomplete=true].
func (c *client) Provision(ctx context.Context, r *ProvisionRequest) (*ProvisionResponse, error) {
	const op = OperationProvision
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
	case r.ServiceID == "":
		return nil, invalid(op, "service id is required")
	case r.PlanID == "":
		return nil, invalid(op, "plan id is required")
	case r.OrganizationGUID == "":
		return nil, invalid(op, "organization guid is required")
	case r.SpaceGUID == "":
		return nil, invalid(op, "space guid is required")
	}
	if r.MaintenanceInfo != nil {
		if err := c.requireVersion(op, FeatureMaintenanceInfo); err != nil {
			return nil, err
		}
	}
	if err := c.checkContext(op, r.Context); err != nil {
		return nil, err
	}
	var q query
	if r.AcceptsIncomplete {
		q.add("accepts_incomplete", "true")
	}
	resp, err := c.do(ctx, &request{
		op:     op,
		method: http.MethodPut,
		path:   instancePath(r.InstanceID),
		query:  q.String(),
		body: &provisionBody{
			ServiceID:        r.ServiceID,
			PlanID:           r.PlanID,
			OrganizationGUID: r.OrganizationGUID,
			SpaceGUID:        r.SpaceGUID,
			Context:          r.Context.wire(),
			Parameters:       r.Parameters,
			MaintenanceInfo:  r.MaintenanceInfo,
		},
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseProvision(resp)
}

func (c *client) parseProvision(r *response) (*ProvisionResponse, error) {
	const op = OperationProvision
	switch r.status {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted:
	default:
		return nil, c.statusError(op, r)
	}
	var body instanceResponseBody
	if err := decodeObject(op, r, &body); err != nil {
		return nil, err
	}
	out := &ProvisionResponse{
		Async:           r.status == http.StatusAccepted,
		DashboardURL:    nonEmpty(body.DashboardURL),
		Metadata:        lenient[*InstanceMetadata](body.Metadata),
		RequestIdentity: r.requestID,
	}
	if out.Async {
		key, err := operationKey(op, r, body.Operation)
		if err != nil {
			return nil, err
		}
		out.OperationKey = key
	}
	return out, nil
}
