package osb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// capturedRequest is what a test server saw.
type capturedRequest struct {
	Method  string
	Path    string // escaped path as sent
	Query   string
	Header  http.Header
	Body    []byte
	Request *http.Request
}

// testServer is an httptest server bound to 127.0.0.1 that answers with
// handler and remembers every request.
type testServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []capturedRequest
}

func (s *testServer) last(t *testing.T) capturedRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.requests) == 0 {
		t.Fatal("server received no request")
	}
	return s.requests[len(s.requests)-1]
}

func (s *testServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

func newTestServer(t *testing.T, handler http.HandlerFunc) *testServer {
	t.Helper()
	ts := &testServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts.mu.Lock()
		ts.requests = append(ts.requests, capturedRequest{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body, Request: r,
		})
		ts.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// reply answers with a fixed status, body and headers (name, value pairs).
func reply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func newClientFor(t *testing.T, url string, mods ...func(*Config)) Client {
	t.Helper()
	cfg := &Config{Name: "test", URL: url, Timeout: 5 * time.Second}
	for _, m := range mods {
		m(cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

var testIdentity = &OriginatingIdentity{
	Username: "duke", UID: "c2dde242-5ce4-11e7-988c-000c2946f14f",
	Groups: []string{"admin", "dev"}, Extra: map[string][]string{"mydata": {"data1", "data3"}},
}

var testContext = &Context{Namespace: "development", ClusterID: "8263feba-9b5d-4b1b-9c5f-1e2a6a7f0b61", InstanceName: "my-db"}

// call invokes op with a valid request and returns its response and error.
func call(ctx context.Context, c Client, op Operation) (any, error) {
	switch op {
	case OperationGetCatalog:
		return c.GetCatalog(ctx)
	case OperationProvision:
		return c.Provision(ctx, &ProvisionRequest{
			InstanceID: "inst-1", AcceptsIncomplete: true, ServiceID: "svc-1", PlanID: "plan-1",
			OrganizationGUID: "org-1", SpaceGUID: "space-1", Context: testContext,
			Parameters: map[string]any{"size": 3}, OriginatingIdentity: testIdentity,
		})
	case OperationUpdate:
		return c.Update(ctx, &UpdateRequest{
			InstanceID: "inst-1", AcceptsIncomplete: true, ServiceID: "svc-1", PlanID: ptr("plan-2"),
			Context: testContext, PreviousValues: &PreviousValues{PlanID: "plan-1"}, OriginatingIdentity: testIdentity,
		})
	case OperationDeprovision:
		return c.Deprovision(ctx, &DeprovisionRequest{
			InstanceID: "inst-1", AcceptsIncomplete: true, ServiceID: "svc-1", PlanID: "plan-1", OriginatingIdentity: testIdentity,
		})
	case OperationLastOperation:
		return c.PollLastOperation(ctx, &LastOperationRequest{
			InstanceID: "inst-1", ServiceID: "svc-1", PlanID: "plan-1", OperationKey: ptr("op 1/a&b=c"), OriginatingIdentity: testIdentity,
		})
	case OperationGetInstance:
		return c.GetInstance(ctx, &GetInstanceRequest{InstanceID: "inst-1", ServiceID: "svc-1", PlanID: "plan-1"})
	case OperationBind:
		return c.Bind(ctx, &BindRequest{
			BindingID: "bind-1", InstanceID: "inst-1", AcceptsIncomplete: true, ServiceID: "svc-1", PlanID: "plan-1",
			Context:      &Context{Namespace: "development", ClusterID: testContext.ClusterID},
			BindResource: &BindResource{AppGUID: "development"}, Parameters: map[string]any{"role": "ro"},
			OriginatingIdentity: testIdentity,
		})
	case OperationUnbind:
		return c.Unbind(ctx, &UnbindRequest{
			BindingID: "bind-1", InstanceID: "inst-1", AcceptsIncomplete: true, ServiceID: "svc-1", PlanID: "plan-1", OriginatingIdentity: testIdentity,
		})
	case OperationBindingLastOperation:
		return c.PollBindingLastOperation(ctx, &BindingLastOperationRequest{
			InstanceID: "inst-1", BindingID: "bind-1", ServiceID: "svc-1", PlanID: "plan-1", OperationKey: ptr("bind op"),
		})
	case OperationGetBinding:
		return c.GetBinding(ctx, &GetBindingRequest{InstanceID: "inst-1", BindingID: "bind-1", ServiceID: "svc-1", PlanID: "plan-1"})
	}
	panic("unknown operation " + op)
}

// isNil reports whether a response returned through an interface is nil.
func isNil(v any) bool {
	switch r := v.(type) {
	case nil:
		return true
	case *CatalogResponse:
		return r == nil
	case *ProvisionResponse:
		return r == nil
	case *UpdateResponse:
		return r == nil
	case *DeprovisionResponse:
		return r == nil
	case *LastOperationResponse:
		return r == nil
	case *GetInstanceResponse:
		return r == nil
	case *BindResponse:
		return r == nil
	case *UnbindResponse:
		return r == nil
	case *GetBindingResponse:
		return r == nil
	}
	return false
}

func TestNewConfig(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "minimal", cfg: Config{URL: "http://127.0.0.1:1"}},
		{name: "path prefix", cfg: Config{URL: "https://broker.example/osb/"}},
		{name: "relative", cfg: Config{URL: "/v2"}, wantErr: "absolute http or https URL"},
		{name: "ftp", cfg: Config{URL: "ftp://x"}, wantErr: "absolute http or https URL"},
		{name: "user info", cfg: Config{URL: "http://u:hunter22@x"}, wantErr: "must not contain user info"},
		{name: "query", cfg: Config{URL: "http://x/?a=b"}, wantErr: "query or fragment"},
		{name: "bad version", cfg: Config{URL: "http://x", APIVersion: "2.12"}, wantErr: `unsupported API version "2.12"`},
		{name: "both auths", cfg: Config{URL: "http://x", Auth: &AuthConfig{Basic: &BasicAuthConfig{}, Bearer: &BearerConfig{Token: "t"}}}, wantErr: "only one"},
		{name: "empty bearer", cfg: Config{URL: "http://x", Auth: &AuthConfig{Bearer: &BearerConfig{}}}, wantErr: "bearer token is empty"},
		{name: "bad CA", cfg: Config{URL: "https://x", CABundle: []byte("not pem")}, wantErr: "no PEM certificates"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(&tc.cfg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "hunter22") {
				t.Fatalf("error leaks the URL password: %v", err)
			}
		})
	}
	if _, err := New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
}

func TestConfigStringHidesCredentials(t *testing.T) {
	cfg := Config{URL: "http://x", Auth: &AuthConfig{Basic: &BasicAuthConfig{Username: "admin", Password: "pa55-word"}}}
	bearer := Config{URL: "http://x", Auth: &AuthConfig{Bearer: &BearerConfig{Token: "tok-123456"}}}
	for _, s := range []string{
		cfg.String(), bearer.String(), fmtAll(cfg), fmtAll(&cfg), fmtAll(bearer), fmtAll(*cfg.Auth.Basic), fmtAll(cfg.Auth.Basic), fmtAll(bearer.Auth.Bearer),
	} {
		if strings.Contains(s, "pa55-word") || strings.Contains(s, "tok-123456") {
			t.Errorf("formatted config leaks a credential: %s", s)
		}
	}
	c, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmtAll(c); strings.Contains(s, "pa55-word") || strings.Contains(s, base64.StdEncoding.EncodeToString([]byte("admin:pa55-word"))) {
		t.Errorf("formatted client leaks a credential: %s", s)
	}
}

func TestSharedTransport(t *testing.T) {
	a, err := New(&Config{URL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(&Config{URL: "http://127.0.0.1:2", Auth: &AuthConfig{Bearer: &BearerConfig{Token: "x-token"}}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(&Config{URL: "http://127.0.0.1:2", InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	ta := a.(*client).httpClient.Transport
	if ta != b.(*client).httpClient.Transport {
		t.Error("clients with the same TLS settings do not share a transport")
	}
	if ta == c.(*client).httpClient.Transport {
		t.Error("clients with different TLS settings share a transport")
	}
	tr := ta.(*http.Transport)
	if tr.MaxIdleConnsPerHost < 100 || tr.ForceAttemptHTTP2 {
		t.Errorf("transport MaxIdleConnsPerHost=%d ForceAttemptHTTP2=%t", tr.MaxIdleConnsPerHost, tr.ForceAttemptHTTP2)
	}
}

func TestHeadersOnEveryRequest(t *testing.T) {
	for _, auth := range []struct {
		name string
		cfg  *AuthConfig
		want string
	}{
		{"basic", &AuthConfig{Basic: &BasicAuthConfig{Username: "user", Password: "s3cr3t"}}, "Basic " + base64.StdEncoding.EncodeToString([]byte("user:s3cr3t"))},
		{"bearer", &AuthConfig{Bearer: &BearerConfig{Token: "opaque-token"}}, "Bearer opaque-token"},
		{"none", nil, ""},
	} {
		t.Run(auth.name, func(t *testing.T) {
			ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/v2/catalog":
					reply(200, `{"services":[]}`)(w, r)
				case strings.HasSuffix(r.URL.Path, "last_operation"):
					reply(200, `{"state":"succeeded"}`)(w, r)
				case r.Method == http.MethodPut && !strings.Contains(r.URL.Path, "bindings"):
					reply(201, `{}`)(w, r)
				default:
					reply(200, `{}`)(w, r)
				}
			})
			c := newClientFor(t, ts.URL, func(c *Config) { c.Auth = auth.cfg; c.APIVersion = APIVersion2_16 })
			seen := map[string]bool{}
			for _, op := range Operations() {
				resp, err := call(context.Background(), c, op)
				if err != nil {
					t.Fatalf("%s: %v", op, err)
				}
				got := ts.last(t)
				if v := got.Header.Get(HeaderAPIVersion); v != "2.16" {
					t.Errorf("%s: %s = %q, want 2.16", op, HeaderAPIVersion, v)
				}
				if v := got.Header.Get("Authorization"); v != auth.want {
					t.Errorf("%s: Authorization = %q, want %q", op, v, auth.want)
				}
				id := got.Header.Get(HeaderRequestIdentity)
				if len(id) != 36 || seen[id] {
					t.Errorf("%s: request identity %q is not a fresh UUID", op, id)
				}
				seen[id] = true
				if ri := requestIdentityOfResponse(resp); ri != id {
					t.Errorf("%s: response RequestIdentity = %q, want %q", op, ri, id)
				}
				hasBody := len(got.Body) > 0
				if ct := got.Header.Get("Content-Type"); hasBody != (ct == "application/json") {
					t.Errorf("%s: body=%t but Content-Type=%q", op, hasBody, ct)
				}
			}
		})
	}
}

func requestIdentityOfResponse(v any) string {
	switch r := v.(type) {
	case *CatalogResponse:
		return r.RequestIdentity
	case *ProvisionResponse:
		return r.RequestIdentity
	case *UpdateResponse:
		return r.RequestIdentity
	case *DeprovisionResponse:
		return r.RequestIdentity
	case *LastOperationResponse:
		return r.RequestIdentity
	case *GetInstanceResponse:
		return r.RequestIdentity
	case *BindResponse:
		return r.RequestIdentity
	case *UnbindResponse:
		return r.RequestIdentity
	case *GetBindingResponse:
		return r.RequestIdentity
	}
	return ""
}

func TestRequestShapes(t *testing.T) {
	cases := []struct {
		op        Operation
		method    string
		path      string
		query     string
		body      string // expected JSON, compared semantically; "" means no body
		identity  bool
		requestOK func(Client) (any, error)
	}{
		{op: OperationGetCatalog, method: "GET", path: "/v2/catalog"},
		{
			op: OperationProvision, method: "PUT", path: "/v2/service_instances/inst-1", query: "accepts_incomplete=true", identity: true,
			body: `{"service_id":"svc-1","plan_id":"plan-1","organization_guid":"org-1","space_guid":"space-1",
				"context":{"platform":"kubernetes","namespace":"development","clusterid":"8263feba-9b5d-4b1b-9c5f-1e2a6a7f0b61","instance_name":"my-db"},
				"parameters":{"size":3}}`,
		},
		{
			op: OperationUpdate, method: "PATCH", path: "/v2/service_instances/inst-1", query: "accepts_incomplete=true", identity: true,
			body: `{"service_id":"svc-1","plan_id":"plan-2",
				"context":{"platform":"kubernetes","namespace":"development","clusterid":"8263feba-9b5d-4b1b-9c5f-1e2a6a7f0b61","instance_name":"my-db"},
				"previous_values":{"plan_id":"plan-1"}}`,
		},
		{op: OperationDeprovision, method: "DELETE", path: "/v2/service_instances/inst-1", query: "service_id=svc-1&plan_id=plan-1&accepts_incomplete=true", identity: true},
		{op: OperationLastOperation, method: "GET", path: "/v2/service_instances/inst-1/last_operation", query: "service_id=svc-1&plan_id=plan-1&operation=op%201%2Fa%26b%3Dc", identity: true},
		{op: OperationGetInstance, method: "GET", path: "/v2/service_instances/inst-1", query: "service_id=svc-1&plan_id=plan-1"},
		{
			op: OperationBind, method: "PUT", path: "/v2/service_instances/inst-1/service_bindings/bind-1", query: "accepts_incomplete=true", identity: true,
			body: `{"service_id":"svc-1","plan_id":"plan-1","context":{"platform":"kubernetes","namespace":"development","clusterid":"8263feba-9b5d-4b1b-9c5f-1e2a6a7f0b61"},
				"bind_resource":{"app_guid":"development"},"parameters":{"role":"ro"}}`,
		},
		{op: OperationUnbind, method: "DELETE", path: "/v2/service_instances/inst-1/service_bindings/bind-1", query: "service_id=svc-1&plan_id=plan-1&accepts_incomplete=true", identity: true},
		{op: OperationBindingLastOperation, method: "GET", path: "/v2/service_instances/inst-1/service_bindings/bind-1/last_operation", query: "service_id=svc-1&plan_id=plan-1&operation=bind%20op"},
		{op: OperationGetBinding, method: "GET", path: "/v2/service_instances/inst-1/service_bindings/bind-1", query: "service_id=svc-1&plan_id=plan-1"},
	}
	ts := newTestServer(t, reply(500, ""))
	c := newClientFor(t, ts.URL)
	for _, tc := range cases {
		t.Run(string(tc.op), func(t *testing.T) {
			_, _ = call(context.Background(), c, tc.op)
			got := ts.last(t)
			if got.Method != tc.method || got.Path != tc.path || got.Query != tc.query {
				t.Errorf("got %s %s?%s, want %s %s?%s", got.Method, got.Path, got.Query, tc.method, tc.path, tc.query)
			}
			if tc.body == "" {
				if len(got.Body) != 0 {
					t.Errorf("unexpected body %s", got.Body)
				}
			} else {
				assertJSONEqual(t, got.Body, tc.body)
			}
			if has := got.Header.Get(HeaderOriginatingIdentity) != ""; has != tc.identity {
				t.Errorf("originating identity present = %t, want %t", has, tc.identity)
			}
		})
	}
}

func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("body\n got: %s\nwant: %s", gb, wb)
	}
}

func TestEscapesIDs(t *testing.T) {
	ts := newTestServer(t, reply(200, `{"state":"succeeded"}`))
	c := newClientFor(t, ts.URL+"/prefix/")
	_, err := c.PollLastOperation(context.Background(), &LastOperationRequest{InstanceID: "a/b c?d", OperationKey: ptr("x+y z%")})
	if err != nil {
		t.Fatal(err)
	}
	got := ts.last(t)
	if want := "/prefix/v2/service_instances/a%2Fb%20c%3Fd/last_operation"; got.Path != want {
		t.Errorf("path = %s, want %s", got.Path, want)
	}
	if op := got.Request.URL.Query().Get("operation"); op != "x+y z%" {
		t.Errorf("operation decodes to %q, want it verbatim", op)
	}
}

func TestUpdateOptionalFields(t *testing.T) {
	ts := newTestServer(t, reply(200, `{}`))
	c := newClientFor(t, ts.URL)
	ctx := context.Background()
	// No plan, no parameters: both omitted.
	if _, err := c.Update(ctx, &UpdateRequest{InstanceID: "i", ServiceID: "s"}); err != nil {
		t.Fatal(err)
	}
	assertJSONEqual(t, ts.last(t).Body, `{"service_id":"s"}`)
	// Empty parameters are sent as {}; maintenance info with previous values.
	_, err := c.Update(ctx, &UpdateRequest{
		InstanceID: "i", ServiceID: "s", Parameters: map[string]any{},
		MaintenanceInfo: &MaintenanceInfo{Version: "2.0.0"},
		PreviousValues:  &PreviousValues{PlanID: "p", ServiceID: "s", MaintenanceInfo: &MaintenanceInfo{Version: "1.0.0"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	assertJSONEqual(t, ts.last(t).Body, `{"service_id":"s","parameters":{},"maintenance_info":{"version":"2.0.0"},
		"previous_values":{"plan_id":"p","service_id":"s","maintenance_info":{"version":"1.0.0"}}}`)
}

func TestBindOptionalFields(t *testing.T) {
	ts := newTestServer(t, reply(201, `{}`))
	c := newClientFor(t, ts.URL)
	_, err := c.Bind(context.Background(), &BindRequest{
		BindingID: "b", InstanceID: "i", ServiceID: "s", PlanID: "p", AppGUID: "app",
		BindResource: &BindResource{AppGUID: "app", Route: "r.example"}, PredecessorBindingID: "old",
		Context: &Context{Platform: "kubernetes", Namespace: "ns", ClusterID: "c", NamespaceAnnotations: map[string]string{"a": "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := ts.last(t)
	if got.Query != "" {
		t.Errorf("accepts_incomplete sent although not asked for: %q", got.Query)
	}
	assertJSONEqual(t, got.Body, `{"service_id":"s","plan_id":"p","app_guid":"app","bind_resource":{"app_guid":"app","route":"r.example"},
		"predecessor_binding_id":"old","context":{"platform":"kubernetes","namespace":"ns","clusterid":"c","namespace_annotations":{"a":"b"}}}`)
}

func TestInvalidRequestsAreRefusedLocally(t *testing.T) {
	ts := newTestServer(t, reply(200, `{}`))
	c := newClientFor(t, ts.URL)
	ctx := context.Background()
	checks := map[string]func() error{
		"provision nil":   func() error { _, err := c.Provision(ctx, nil); return err },
		"provision no id": func() error { _, err := c.Provision(ctx, &ProvisionRequest{}); return err },
		"provision no org": func() error {
			_, err := c.Provision(ctx, &ProvisionRequest{InstanceID: "i", ServiceID: "s", PlanID: "p", SpaceGUID: "x"})
			return err
		},
		"provision no space": func() error {
			_, err := c.Provision(ctx, &ProvisionRequest{InstanceID: "i", ServiceID: "s", PlanID: "p", OrganizationGUID: "x"})
			return err
		},
		"provision bad params": func() error {
			_, err := c.Provision(ctx, &ProvisionRequest{InstanceID: "i", ServiceID: "s", PlanID: "p", OrganizationGUID: "o", SpaceGUID: "x", Parameters: map[string]any{"f": func() {}}})
			return err
		},
		"update empty plan": func() error {
			_, err := c.Update(ctx, &UpdateRequest{InstanceID: "i", ServiceID: "s", PlanID: ptr("")})
			return err
		},
		"update no service": func() error { _, err := c.Update(ctx, &UpdateRequest{InstanceID: "i"}); return err },
		"deprovision no plan": func() error {
			_, err := c.Deprovision(ctx, &DeprovisionRequest{InstanceID: "i", ServiceID: "s"})
			return err
		},
		"poll no instance":   func() error { _, err := c.PollLastOperation(ctx, &LastOperationRequest{}); return err },
		"get instance no id": func() error { _, err := c.GetInstance(ctx, &GetInstanceRequest{}); return err },
		"bind no binding id": func() error {
			_, err := c.Bind(ctx, &BindRequest{InstanceID: "i", ServiceID: "s", PlanID: "p"})
			return err
		},
		"unbind no service": func() error {
			_, err := c.Unbind(ctx, &UnbindRequest{InstanceID: "i", BindingID: "b", PlanID: "p"})
			return err
		},
		"binding poll no id": func() error {
			_, err := c.PollBindingLastOperation(ctx, &BindingLastOperationRequest{InstanceID: "i"})
			return err
		},
		"get binding no id": func() error { _, err := c.GetBinding(ctx, &GetBindingRequest{InstanceID: "i"}); return err },
	}
	for name, f := range checks {
		if err := f(); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: error = %v, want ErrInvalidRequest", name, err)
		}
		if NeedsOrphanMitigation(OperationProvision, f()) {
			t.Errorf("%s: a request never sent needs orphan mitigation", name)
		}
	}
	if n := ts.count(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestVersionGating(t *testing.T) {
	ts := newTestServer(t, reply(200, `{}`))
	ctx := context.Background()
	type check struct {
		name    string
		version APIVersion
		feature Feature
		do      func(Client) error
	}
	checks := []check{
		{"get instance", APIVersion2_13, FeatureGetInstance, func(c Client) error { _, err := c.GetInstance(ctx, &GetInstanceRequest{InstanceID: "i"}); return err }},
		{"get binding", APIVersion2_13, FeatureGetBinding, func(c Client) error {
			_, err := c.GetBinding(ctx, &GetBindingRequest{InstanceID: "i", BindingID: "b"})
			return err
		}},
		{"binding poll", APIVersion2_13, FeatureAsyncBindings, func(c Client) error {
			_, err := c.PollBindingLastOperation(ctx, &BindingLastOperationRequest{InstanceID: "i", BindingID: "b"})
			return err
		}},
		{"async bind", APIVersion2_13, FeatureAsyncBindings, func(c Client) error {
			_, err := c.Bind(ctx, &BindRequest{InstanceID: "i", BindingID: "b", ServiceID: "s", PlanID: "p", AcceptsIncomplete: true})
			return err
		}},
		{"async unbind", APIVersion2_13, FeatureAsyncBindings, func(c Client) error {
			_, err := c.Unbind(ctx, &UnbindRequest{InstanceID: "i", BindingID: "b", ServiceID: "s", PlanID: "p", AcceptsIncomplete: true})
			return err
		}},
		{"provision maintenance", APIVersion2_14, FeatureMaintenanceInfo, func(c Client) error {
			_, err := c.Provision(ctx, &ProvisionRequest{InstanceID: "i", ServiceID: "s", PlanID: "p", OrganizationGUID: "o", SpaceGUID: "x", MaintenanceInfo: &MaintenanceInfo{Version: "1"}})
			return err
		}},
		{"update previous maintenance", APIVersion2_14, FeatureMaintenanceInfo, func(c Client) error {
			_, err := c.Update(ctx, &UpdateRequest{InstanceID: "i", ServiceID: "s", PreviousValues: &PreviousValues{MaintenanceInfo: &MaintenanceInfo{Version: "1"}}})
			return err
		}},
		{"annotations", APIVersion2_15, FeatureContextAnnotations, func(c Client) error {
			_, err := c.Update(ctx, &UpdateRequest{InstanceID: "i", ServiceID: "s", Context: &Context{InstanceAnnotations: map[string]string{"a": "b"}}})
			return err
		}},
		{"rotation", APIVersion2_16, FeatureBindingRotation, func(c Client) error {
			_, err := c.Bind(ctx, &BindRequest{InstanceID: "i", BindingID: "b", ServiceID: "s", PlanID: "p", PredecessorBindingID: "a"})
			return err
		}},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			old := newClientFor(t, ts.URL, func(c *Config) { c.APIVersion = ch.version })
			err := ch.do(old)
			var ufe *UnsupportedFeatureError
			if !errors.As(err, &ufe) || ufe.Feature != ch.feature || !IsUnsupportedFeature(err) {
				t.Fatalf("error = %v, want UnsupportedFeatureError for %s", err, ch.feature.Name)
			}
			if !strings.Contains(err.Error(), string(ch.feature.MinVersion)) || !strings.Contains(err.Error(), string(ch.version)) {
				t.Errorf("error %q does not name both versions", err)
			}
			if ch.version.Supports(ch.feature) {
				t.Errorf("%s claims to support %s", ch.version, ch.feature.Name)
			}
			before := ts.count()
			if err := ch.do(newClientFor(t, ts.URL, func(c *Config) { c.APIVersion = ch.feature.MinVersion })); IsUnsupportedFeature(err) {
				t.Errorf("refused at %s: %v", ch.feature.MinVersion, err)
			}
			if ts.count() != before+1 {
				t.Errorf("request at %s was not sent", ch.feature.MinVersion)
			}
		})
	}
}

func TestParseAPIVersion(t *testing.T) {
	for _, v := range SupportedAPIVersions() {
		if got, err := ParseAPIVersion(" " + string(v) + " "); err != nil || got != v {
			t.Errorf("ParseAPIVersion(%q) = %q, %v", v, got, err)
		}
	}
	for _, bad := range []string{"", "2", "2.12", "2.18", "3.14", "2.014", "2.x", "v2.14"} {
		if _, err := ParseAPIVersion(bad); err == nil {
			t.Errorf("ParseAPIVersion(%q) succeeded", bad)
		}
	}
	if !APIVersion2_17.AtLeast(APIVersion2_14) || APIVersion2_13.AtLeast(APIVersion2_14) {
		t.Error("AtLeast is wrong")
	}
}
