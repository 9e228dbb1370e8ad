package osb

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// LastOperationRequest polls an asynchronous operation on a service instance.
type LastOperationRequest struct {
	// InstanceID is the instance's id.
	InstanceID string
	// ServiceID is the offering's id (should be sent).
	ServiceID string
	// PlanID is the instance's plan id (should be sent); after a plan change,
	// the plan before the change.
	PlanID string
	// OperationKey is the operation the broker returned; it must be sent
	// verbatim when the broker gave one.
	OperationKey *string
	// OriginatingIdentity is the user who caused the operation, if known.
	OriginatingIdentity *OriginatingIdentity
}

// LastOperationResponse is the state of an asynchronous operation (status 200).
// A 410 Gone answer is an error for which IsGone is true: after an
// asynchronous delete it means the delete finished; while polling a create or
// update it is an invalid answer and polling continues.
type LastOperationResponse struct {
	// State is in progress, succeeded or failed.
	State LastOperationState
	// Description is the broker's user-facing message, if any.
	Description *string
	// InstanceUsable is set for a failed update or delete; nil means true.
	InstanceUsable *bool
	// UpdateRepeatable is set for a failed update; nil means true.
	UpdateRepeatable *bool
	// RetryAfter is how long to wait before polling again, from the
	// Retry-After header (seconds or an HTTP date); zero when absent.
	RetryAfter time.Duration
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

// PollLastOperation polls an instance operation:
// GET /v2/service_instances/:instance_id/last_operation?service_id=&plan_id=&operation=.
func (c *client) PollLastOperation(ctx context.Context, r *LastOperationRequest) (*LastOperationResponse, error) {
	const op = OperationLastOperation
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
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
		path:     instancePath(r.InstanceID) + "/last_operation",
		query:    q.String(),
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseLastOperation(op, resp)
}

type lastOperationBody struct {
	State            json.RawMessage `json:"state"`
	Description      json.RawMessage `json:"description"`
	InstanceUsable   json.RawMessage `json:"instance_usable"`
	UpdateRepeatable json.RawMessage `json:"update_repeatable"`
}

// parseLastOperation decodes an instance or binding last_operation answer.
// A missing or unknown state is malformed; the other fields are tolerant.
func (c *client) parseLastOperation(op Operation, r *response) (*LastOperationResponse, error) {
	if r.status != http.StatusOK {
		return nil, c.statusError(op, r)
	}
	var body lastOperationBody
	if err := decodeObject(op, r, &body); err != nil {
		return nil, err
	}
	state, ok := parseState(body.State)
	if !ok {
		if len(body.State) == 0 {
			return nil, malformed(op, r, `"state" is missing`)
		}
		return nil, malformed(op, r, `"state" is not one of "in progress", "succeeded", "failed"`)
	}
	out := &LastOperationResponse{
		State:            state,
		InstanceUsable:   jsonBool(body.InstanceUsable),
		UpdateRepeatable: jsonBool(body.UpdateRepeatable),
		RetryAfter:       parseRetryAfter(r.header.Get("Retry-After"), time.Now()),
		RequestIdentity:  r.requestID,
	}
	if d := jsonText(body.Description); d != "" {
		out.Description = &d
	}
	return out, nil
}

// parseState accepts the three states, ignoring case, surrounding space and
// "_" or "-" in place of the space of "in progress".
func parseState(raw json.RawMessage) (LastOperationState, bool) {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer("_", " ", "-", " ").Replace(s)
	switch LastOperationState(s) {
	case StateInProgress, StateSucceeded, StateFailed:
		return LastOperationState(s), true
	}
	return "", false
}
