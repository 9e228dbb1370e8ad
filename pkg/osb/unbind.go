package osb

import (
	"context"
	"net/http"
)

// UnbindRequest is a request to delete a service binding.
type UnbindRequest struct {
	// BindingID is the binding's id.
	BindingID string
	// InstanceID is the bound instance's id.
	InstanceID string
	// AcceptsIncomplete allows an asynchronous answer (API 2.14).
	AcceptsIncomplete bool
	// ServiceID is the offering's id (required).
	ServiceID string
	// PlanID is the instance's plan id (required).
	PlanID string
	// OriginatingIdentity is the user who asked for the deletion; orphan
	// mitigation may leave it nil.
	OriginatingIdentity *OriginatingIdentity
}

// UnbindResponse is a successful unbind answer: 200 (deleted) or 202 (in
// progress). A 410 Gone answer (the binding does not exist) is an error for
// which IsGone is true; callers treat it as deleted.
type UnbindResponse struct {
	// Async is true for 202: poll the binding's last operation.
	Async bool
	// OperationKey is the broker's operation for an async answer, or nil.
	OperationKey *string
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

// Unbind deletes a service binding:
// DELETE .../service_bindings/:binding_id?service_id=&plan_id=[&accepts_incomplete=true].
func (c *client) Unbind(ctx context.Context, r *UnbindRequest) (*UnbindResponse, error) {
	const op = OperationUnbind
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
	case r.BindingID == "":
		return nil, invalid(op, "binding id is required")
	case r.ServiceID == "":
		return nil, invalid(op, "service id is required")
	case r.PlanID == "":
		return nil, invalid(op, "plan id is required")
	}
	if r.AcceptsIncomplete {
		if err := c.requireVersion(op, FeatureAsyncBindings); err != nil {
			return nil, err
		}
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
		path:     bindingPath(r.InstanceID, r.BindingID),
		query:    q.String(),
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseUnbind(resp)
}

func (c *client) parseUnbind(r *response) (*UnbindResponse, error) {
	const op = OperationUnbind
	if r.status != http.StatusOK && r.status != http.StatusAccepted {
		return nil, c.statusError(op, r)
	}
	key, err := decodeOperation(op, r)
	if err != nil {
		return nil, err
	}
	return &UnbindResponse{Async: r.status == http.StatusAccepted, OperationKey: key, RequestIdentity: r.requestID}, nil
}
