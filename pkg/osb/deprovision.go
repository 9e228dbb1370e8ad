package osb

import (
	"context"
	"net/http"
)

// DeprovisionRequest is a request to delete a service instance.
type DeprovisionRequest struct {
	// InstanceID is the instance's id.
	InstanceID string
	// AcceptsIncomplete allows the broker to answer asynchronously (202).
	AcceptsIncomplete bool
	// ServiceID is the offering's id (required).
	ServiceID string
	// PlanID is the instance's plan id (required).
	PlanID string
	// OriginatingIdentity is the user who asked for the deletion; orphan
	// mitigation may leave it nil.
	OriginatingIdentity *OriginatingIdentity
}

// DeprovisionResponse is a successful deprovision answer: 200 (deleted) or
// 202 (in progress). A 410 Gone answer (the instance does not exist) is an
// error for which IsGone is true; callers treat it as deleted.
type DeprovisionResponse struct {
	// Async is true for 202: poll the last operation until it finishes; a
	// 410 Gone while polling means the delete finished.
	Async bool
	// OperationKey is the broker's operation for an async answer, or nil.
	OperationKey *string
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

// Deprovision deletes a service instance:
// DELETE /v2/service_instances/:instance_id?service_id=&plan_id=[&accepts_incomplete=true].
func (c *client) Deprovision(ctx context.Context, r *DeprovisionRequest) (*DeprovisionResponse, error) {
	const op = OperationDeprovision
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
	case r.ServiceID == "":
		return nil, invalid(op, "service id is required")
	case r.PlanID == "":
		return nil, invalid(op, "plan id is required")
	}
	var q query
	q.add("service_id", r.ServiceID)
	q.add("plan_id", r.PlanID)
	if r.AcceptsIncomplete {
		q.add("accepts_incomplete", "true")
	}
	resp, err := c.do(ctx, &request{
		op:       op,
		method:   http.MethodDelete,
		path:     instancePath(r.InstanceID),
		query:    q.String(),
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseDeprovision(resp)
}

func (c *client) parseDeprovision(r *response) (*DeprovisionResponse, error) {
	const op = OperationDeprovision
	if r.status != http.StatusOK && r.status != http.StatusAccepted {
		return nil, c.statusError(op, r)
	}
	key, err := decodeOperation(op, r)
	if err != nil {
		return nil, err
	}
	return &DeprovisionResponse{Async: r.status == http.StatusAccepted, OperationKey: key, RequestIdentity: r.requestID}, nil
}

// decodeOperation checks that a delete answer's body is a JSON object and, for
// 202, returns its operation. Other fields are ignored.
func decodeOperation(op Operation, r *response) (*string, error) {
	if r.status != http.StatusAccepted {
		return nil, decodeObject(op, r, &struct{}{})
	}
	var body struct {
		Operation *string `json:"operation"`
	}
	if err := decodeObject(op, r, &body); err != nil {
		return nil, err
	}
	return operationKey(op, r, body.Operation)
}
