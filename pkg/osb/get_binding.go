package osb

import (
	"context"
	"net/http"
)

// GetBindingRequest fetches a service binding (API 2.14). Only call it for
// offerings with bindings_retrievable.
type GetBindingRequest struct {
	// InstanceID is the bound instance's id.
	InstanceID string
	// BindingID is the binding's id.
	BindingID string
	// ServiceID is an optional hint, the offering's id.
	ServiceID string
	// PlanID is an optional hint, the plan's id.
	PlanID string
	// OriginatingIdentity is the user on whose behalf the fetch is made, if any.
	OriginatingIdentity *OriginatingIdentity
}

// GetBindingResponse is a fetched service binding (status 200). A 404 (no
// such binding, or its creation is still in progress) is an error for which
// IsNotFound is true.
//
// Credentials are secrets: never log the response or put it in an event.
type GetBindingResponse struct {
	// Credentials is the free-form credentials object. Numbers decode as
	// json.Number.
	Credentials map[string]any
	// SyslogDrainURL is where the application's logs should be streamed.
	SyslogDrainURL *string
	// RouteServiceURL is where requests to the application should be proxied.
	RouteServiceURL *string
	// VolumeMounts are volumes to mount into the application.
	VolumeMounts []VolumeMount
	// Endpoints are network endpoints the application may need to reach.
	Endpoints []Endpoint
	// Parameters are the binding's parameters, if the broker returns them.
	Parameters map[string]any
	// Metadata holds the binding's expiry times, if sent.
	Metadata *BindingMetadata
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

// String hides the credentials.
func (r GetBindingResponse) String() string {
	return "osb.GetBindingResponse{Credentials:<redacted> RequestIdentity:" + r.RequestIdentity + "}"
}

// GoString hides the credentials.
func (r GetBindingResponse) GoString() string { return r.String() }

// GetBinding fetches a service binding:
// GET .../service_bindings/:binding_id[?service_id=&plan_id=].
func (c *client) GetBinding(ctx context.Context, r *GetBindingRequest) (*GetBindingResponse, error) {
	const op = OperationGetBinding
	switch {
	case r == nil:
		return nil, invalid(op, "nil request")
	case r.InstanceID == "":
		return nil, invalid(op, "instance id is required")
	case r.BindingID == "":
		return nil, invalid(op, "binding id is required")
	}
	if err := c.requireVersion(op, FeatureGetBinding); err != nil {
		return nil, err
	}
	var q query
	q.add("service_id", r.ServiceID)
	q.add("plan_id", r.PlanID)
	resp, err := c.do(ctx, &request{
		op:       op,
		method:   http.MethodGet,
		path:     bindingPath(r.InstanceID, r.BindingID),
		query:    q.String(),
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseGetBinding(resp)
}

func (c *client) parseGetBinding(r *response) (*GetBindingResponse, error) {
	const op = OperationGetBinding
	if r.status != http.StatusOK {
		return nil, c.statusError(op, r)
	}
	var body bindingResponseBody
	if err := decodeObject(op, r, &body); err != nil {
		return nil, err
	}
	return &GetBindingResponse{
		Credentials:     body.Credentials,
		SyslogDrainURL:  nonEmpty(body.SyslogDrainURL),
		RouteServiceURL: nonEmpty(body.RouteServiceURL),
		VolumeMounts:    lenient[[]VolumeMount](body.VolumeMounts),
		Endpoints:       lenient[[]Endpoint](body.Endpoints),
		Parameters:      body.Parameters,
		Metadata:        lenient[*BindingMetadata](body.Metadata),
		RequestIdentity: r.requestID,
	}, nil
}
