package osb

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
)

// BindRequest is a request to create a service binding.
type BindRequest struct {
	// BindingID is the new binding's globally unique id.
	BindingID string
	// InstanceID is the instance to bind.
	InstanceID string
	// AcceptsIncomplete allows an asynchronous answer (API 2.14). Set it only
	// when the offering is bindings_retrievable, so the credentials can be
	// fetched once the bind finishes.
	AcceptsIncomplete bool
	// ServiceID is the offering's id.
	ServiceID string
	// PlanID is the instance's plan id.
	PlanID string
	// Context is the Kubernetes context object (platform, namespace, clusterid).
	Context *Context
	// AppGUID is the deprecated top-level app_guid; prefer BindResource.
	AppGUID string
	// BindResource identifies what is being bound (app_guid, route).
	BindResource *BindResource
	// Parameters are the user's bind parameters; nil or empty omits them.
	Parameters map[string]any
	// PredecessorBindingID rotates that binding (API 2.17).
	PredecessorBindingID string
	// OriginatingIdentity is the user who asked for the binding.
	OriginatingIdentity *OriginatingIdentity
}

// BindResponse is a successful bind answer: 200 (already exists), 201
// (created) or 202 (in progress; no credentials, fetch them with GetBinding
// once the binding's last operation succeeds).
//
// Credentials are secrets: never log the response or put it in an event.
type BindResponse struct {
	// Async is true for 202.
	Async bool
	// OperationKey is the broker's operation for an async answer, or nil.
	OperationKey *string
	// Credentials is the free-form credentials object. Numbers decode as
	// json.Number so large values keep their precision.
	Credentials map[string]any
	// SyslogDrainURL is where the application's logs should be streamed.
	SyslogDrainURL *string
	// RouteServiceURL is where requests to the application should be proxied.
	RouteServiceURL *string
	// VolumeMounts are volumes to mount into the application.
	VolumeMounts []VolumeMount
	// Endpoints are network endpoints the application may need to reach.
	Endpoints []Endpoint
	// Metadata holds the binding's expiry times, if sent.
	Metadata *BindingMetadata
	// RequestIdentity is the X-Broker-API-Request-Identity sent.
	RequestIdentity string
}

// String hides the credentials.
func (r BindResponse) String() string {
	return "osb.BindResponse{Async:" + strconv.FormatBool(r.Async) + " Credentials:<redacted> RequestIdentity:" + r.RequestIdentity + "}"
}

// GoString hides the credentials.
func (r BindResponse) GoString() string { return r.String() }

type bindBody struct {
	ServiceID            string         `json:"service_id"`
	PlanID               string         `json:"plan_id"`
	Context              *Context       `json:"context,omitempty"`
	AppGUID              string         `json:"app_guid,omitempty"`
	BindResource         *BindResource  `json:"bind_resource,omitempty"`
	Parameters           map[string]any `json:"parameters,omitempty"`
	PredecessorBindingID string         `json:"predecessor_binding_id,omitempty"`
}

// bindingResponseBody is the body of bind and get-binding answers.
type bindingResponseBody struct {
	Operation       *string         `json:"operation"`
	Credentials     map[string]any  `json:"credentials"`
	SyslogDrainURL  *string         `json:"syslog_drain_url"`
	RouteServiceURL *string         `json:"route_service_url"`
	VolumeMounts    json.RawMessage `json:"volume_mounts"`
	Endpoints       json.RawMessage `json:"endpoints"`
	Metadata        json.RawMessage `json:"metadata"`
	Parameters      map[string]any  `json:"parameters"`
}

// Bind creates a service binding:
// PUT /v2/service_instances/:instance_id/service_bindings/:binding_id[?accepts_incomplete=true].
func (c *client) Bind(ctx context.Context, r *BindRequest) (*BindResponse, error) {
	const op = OperationBind
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
	if r.PredecessorBindingID != "" {
		if err := c.requireVersion(op, FeatureBindingRotation); err != nil {
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
		path:   bindingPath(r.InstanceID, r.BindingID),
		query:  q.String(),
		body: &bindBody{
			ServiceID:            r.ServiceID,
			PlanID:               r.PlanID,
			Context:              r.Context.wire(),
			AppGUID:              r.AppGUID,
			BindResource:         r.BindResource,
			Parameters:           r.Parameters,
			PredecessorBindingID: r.PredecessorBindingID,
		},
		identity: r.OriginatingIdentity,
	})
	if err != nil {
		return nil, err
	}
	return c.parseBind(resp)
}

func (c *client) parseBind(r *response) (*BindResponse, error) {
	const op = OperationBind
	switch r.status {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted:
	default:
		return nil, c.statusError(op, r)
	}
	var body bindingResponseBody
	if err := decodeObject(op, r, &body); err != nil {
		return nil, err
	}
	if r.status == http.StatusAccepted {
		key, err := operationKey(op, r, body.Operation)
		if err != nil {
			return nil, err
		}
		return &BindResponse{Async: true, OperationKey: key, RequestIdentity: r.requestID}, nil
	}
	return &BindResponse{
		Credentials:     body.Credentials,
		SyslogDrainURL:  nonEmpty(body.SyslogDrainURL),
		RouteServiceURL: nonEmpty(body.RouteServiceURL),
		VolumeMounts:    lenient[[]VolumeMount](body.VolumeMounts),
		Endpoints:       lenient[[]Endpoint](body.Endpoints),
		Metadata:        lenient[*BindingMetadata](body.Metadata),
		RequestIdentity: r.requestID,
	}, nil
}
