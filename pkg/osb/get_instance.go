package osb

import (
	"context"
	"encoding/json"
	"net/http"
)

// GetInstanceRequest fetches a service instance (API 2.14). Only call it for
// offerings with instances_retrievable.
type GetInstanceRequest struct {
	// InstanceID is the instance's id.
	InstanceID string
	// ServiceID is an optional hint, the offering's id.
	ServiceID string
	// PlanID is an optional hint, the plan's id.
	PlanID string
	// OriginatingIdentity is the user on whose behalf the fetch is made, if any.
	OriginatingIdentity *OriginatingIdentity
}

// GetInstanceResponse is a fetched service instance (status 200). A 404 (no
// such instance, or its provision is still in progress) is an error for which
// IsNotFound is true.
type GetInstanceResponse struct {
	// ServiceID is the instance's offering.
	ServiceID string
	// PlanID is the instance's plan.
	PlanID string
	// DashboardURL is the instance's dashboard, if any.
	DashboardURL *string
	// Parameters are the instance's parameters; the broker may omit some.
	Parameters map[string]any
	// MaintenanceInfo is the instance's maintenance version, if sent.
	MaintenanceInfo *MaintenanceInfo
	// Metadata holds the instance's labels and attributes, if sent.
	Metadata *InstanceMetadata
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

type getInstanceBody struct {
	ServiceID       string           `json:"service_id"`
	PlanID          string           `json:"plan_id"`
	DashboardURL    *string          `json:"dashboard_url"`
	Parameters      map[string]any   `json:"parameters"`
	MaintenanceInfo *MaintenanceInfo `json:"maintenance_info"`
	Metadata        json.RawMessage  `json:"metadata"`
}

// GetInstance fetches a service instance:
// GET /v2/service_instances/:instance_id[?service_id=&plan_id=].
func (c *client) GetInstance(ctx context.Context, r *GetInstanceRequest) (*GetInstanceResponse, error) {
	const op = OperationGetInstance
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
	}
	if err := c.requireVersion(op, FeatureGetInstance); err != nil {
		return nil, err
	}
	var q query
	q.add("service_id", r.ServiceID)
	q.add("plan_id", r.PlanID)
	resp, err := c.do(ctx, &request{
		op:       op,
		method:   http.MethodGet,
		path:     instancePath(r.InstanceID),
		query:    q.String(),
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseGetInstance(resp)
}

func (c *client) parseGetInstance(r *response) (*GetInstanceResponse, error) {
	const op = OperationGetInstance
	if r.status != http.StatusOK {
		return nil, c.statusError(op, r)
	}
	var body getInstanceBody
	if err := decodeObject(op, r, &body); err != nil {
		return nil, err
	}
	return &GetInstanceResponse{
		ServiceID:       body.ServiceID,
		PlanID:          body.PlanID,
		DashboardURL:    nonEmpty(body.DashboardURL),
		Parameters:      body.Parameters,
		MaintenanceInfo: body.MaintenanceInfo,
		Metadata:        lenient[*InstanceMetadata](body.Metadata),
		RequestIdentity: r.requestID,
	}, nil
}
