package osb

import (
	"context"
	"net/http"
)

// BindingLastOperationRequest polls an asynchronous operation on a binding
// (API 2.14).
type BindingLastOperationRequest struct {
	// InstanceID is the instance's id.
	InstanceID string
	// BindingID is the binding's id.
	BindingID string
	// ServiceID is the offering's id (should be sent).
	ServiceID string
	// PlanID is the plan's id (should be sent).
	PlanID string
	// OperationKey is the operation the broker returned; it must be sent
	// verbatim when the broker gave one.
	OperationKey *string
	// OriginatingIdentity is the user who caused the operation, if known.
	OriginatingIdentity *OriginatingIdentity
}

// PollBindingLastOperation polls a binding operation:
// GET .../service_bindings/:binding_id/last_operation?service_id=&plan_id=&operation=.
// 410 Gone is an error for which IsGone is true: after an asynchronous unbind
// it means the unbind finished.
func (c *client) PollBindingLastOperation(ctx context.Context, r *BindingLastOperationRequest) (*LastOperationResponse, error) {
	const op = OperationBindingLastOperation
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
	case r.BindingID == "":
		return nil, invalid(op, "binding id is required")
	}
	if err := c.requireVersion(op, FeatureAsyncBindings); err != nil {
		return nil, err
	}
	var q query
	q.add("service_id", r.ServiceID)
	q.add("plan_id", r.PlanID)
	if r.OperationKey != nil {
		q.add("operation", *r.OperationKey)
	}
	resp, err := c.do(ctx, &request{
		op:       op,
		method:   http.MethodGet,
		path:     bindingPath(r.InstanceID, r.BindingID) + "/last_operation",
		query:    q.String(),
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseLastOperation(op, resp)
}
