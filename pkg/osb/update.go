package osb

import (
	"context"
	"net/http"
)

// UpdateRequest is a request to change a service instance's plan, parameters,
// context or maintenance version.
type UpdateRequest struct {
	// InstanceID is the instance's id.
	InstanceID string
	// AcceptsIncomplete allows the broker to answer asynchronously (202).
	AcceptsIncomplete bool
	// ServiceID is the offering's id.
	ServiceID string
	// PlanID is the new plan; nil leaves the plan unchanged.
	PlanID *string
	// Parameters are the parameters to change; nil omits them (the broker
	// keeps its values), an empty map sends {}.
	Parameters map[string]any
	// Context is the Kubernetes context object.
	Context *Context
	// PreviousValues describes the instance before the update.
	PreviousValues *PreviousValues
	// MaintenanceInfo requests a maintenance update (API 2.15).
	MaintenanceInfo *MaintenanceInfo
	// OriginatingIdentity is the user who asked for the change.
	OriginatingIdentity *OriginatingIdentity
}

// UpdateResponse is a successful update answer: 200 (done) or 202 (in progress).
type UpdateResponse struct {
	// Async is true for 202: poll the last operation (with the old plan id
	// after a plan change) until it finishes.
	Async bool
	// DashboardURL is the new dashboard URL; nil means keep the previous one.
	DashboardURL *string
	// OperationKey is the broker's operation for an async answer, or nil.
	OperationKey *string
	// Metadata holds the instance's labels and attributes, if sent.
	Metadata *InstanceMetadata
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

type updateBody struct {
	ServiceID       string           `json:"service_id"`
	PlanID          *string          `json:"plan_id,omitempty"`
	Parameters      any              `json:"parameters,omitempty"`
	Context         *Context         `json:"context,omitempty"`
	PreviousValues  *PreviousValues  `json:"previous_values,omitempty"`
	MaintenanceInfo *MaintenanceInfo `json:"maintenance_info,omitempty"`
}

// Update changes a service instance:
// PATCH /v2/service_instances/:instance_id[?accepts_incomplete=true].
func (c *client) Update(ctx context.Context, r *UpdateRequest) (*UpdateResponse, error) {
	const op = OperationUpdate
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
	case r.ServiceID == "":
		return nil, invalid(op, "service id is required")
	case r.PlanID != nil && *r.PlanID == "":
		return nil, invalid(op, "plan id must not be empty when set")
	}
	if r.MaintenanceInfo != nil || (r.PreviousValues != nil && r.PreviousValues.MaintenanceInfo != nil) {
		if err := c.requireVersion(op, FeatureMaintenanceInfo); err != nil {
			return nil, err
		}
	}
	if err := c.checkContext(op, r.Context); err != nil {
		return nil, err
	}
	body := &updateBody{
		ServiceID:       r.ServiceID,
		PlanID:          r.PlanID,
		Context:         r.Context.wire(),
		PreviousValues:  r.PreviousValues,
		MaintenanceInfo: r.MaintenanceInfo,
	}
	if r.Parameters != nil {
		body.Parameters = r.Parameters
	}
	var q query
	if r.AcceptsIncomplete {
		q.add("accepts_incomplete", "true")
	}
	resp, err := c.do(ctx, &request{
		op:       op,
		method:   http.MethodPatch,
		path:     instancePath(r.InstanceID),
		query:    q.String(),
		body:     body,
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseUpdate(resp)
}

func (c *client) parseUpdate(r *response) (*UpdateResponse, error) {
	const op = OperationUpdate
	if r.status != http.StatusOK && r.status != http.StatusAccepted {
		return nil, c.statusError(op, r)
	}
	var body instanceResponseBody
	if err := decodeObject(op, r, &body); err != nil {
		return nil, err
	}
	out := &UpdateResponse{
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
