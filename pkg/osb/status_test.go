package osb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func fmtAll(v any) string {
	return fmt.Sprintf("%v|%+v|%#v|%s", v, v, v, v)
}

// outcome is what a test expects a call to return.
type outcome struct {
	// check inspects a successful response; nil means an error is expected.
	check func(t *testing.T, resp any)
	// is must hold for the error.
	is func(error) bool
	// isName names the predicate in failure messages.
	isName string
}

func ok(check func(t *testing.T, resp any)) outcome { return outcome{check: check} }

func fails(name string, is func(error) bool) outcome { return outcome{is: is, isName: name} }

func anyOK(*testing.T, any) {}

// returns expects a response equal to want, apart from its request identity.
func returns(want any) outcome {
	return ok(func(t *testing.T, got any) {
		t.Helper()
		if diff := cmp.Diff(want, got, ignoreRequestIdentity); diff != "" {
			t.Errorf("response (-want +got):\n%s", diff)
		}
	})
}

// ignoreRequestIdentity ignores the generated X-Broker-API-Request-Identity.
var ignoreRequestIdentity = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".RequestIdentity" }, cmp.Ignore())

func statusIs(code int) func(error) bool {
	return func(err error) bool {
		var h *HTTPStatusCodeError
		return errors.As(err, &h) && h.StatusCode == code
	}
}

var (
	gone           = fails("IsGone", IsGone)
	conflict       = fails("IsConflict", IsConflict)
	badRequest     = fails("IsBadRequest", IsBadRequest)
	unauthorized   = fails("IsUnauthorized", IsUnauthorized)
	precondition   = fails("IsPreconditionFailed", IsPreconditionFailed)
	notFound       = fails("IsNotFound", IsNotFound)
	asyncRequired  = fails("IsAsyncRequired", IsAsyncRequired)
	concurrency    = fails("IsConcurrencyError", IsConcurrencyError)
	requiresApp    = fails("IsRequiresApp", IsRequiresApp)
	maintenance    = fails("IsMaintenanceInfoConflict", IsMaintenanceInfoConflict)
	serverError    = fails("500", statusIs(500))
	unprocessable  = fails("422", statusIs(422))
	unexpected     = fails("IsUnexpectedStatus", IsUnexpectedStatus)
	malformedBody  = fails("IsMalformedResponse", IsMalformedResponse)
	redirect       = fails("302", statusIs(302))
	requestTimeout = fails("408", statusIs(408))
)

const (
	errAsyncRequired = `{"error":"AsyncRequired","description":"This service plan requires client support for asynchronous service operations."}`
	errConcurrency   = `{"error":"ConcurrencyError","description":"Another operation for this service instance is in progress."}`
	errRequiresApp   = `{"error":"RequiresApp","description":"This service supports generation of credentials through binding an application only."}`
	errMaintenance   = `{"error":"MaintenanceInfoConflict","description":"The maintenance_info.version field provided in the request does not match."}`
	errPlain         = `{"description":"something is wrong"}`
)

type statusCase struct {
	name   string
	status int
	body   string
	header []string
	want   outcome
}

// statusCases lists, per operation, every status code the OSB specification
// names for it, plus the failure classes the client must tell apart.
func statusCases() map[Operation][]statusCase {
	common := func() []statusCase {
		return []statusCase{
			{name: "401", status: 401, body: "Not Authorized", want: unauthorized},
			{name: "412", status: 412, body: `{"description":"The broker only supports API version 2.14"}`, want: precondition},
			{name: "500", status: 500, body: `{"description":"boom"}`, want: serverError},
			{name: "502 html", status: 502, body: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", want: fails("502", statusIs(502))},
			{name: "408", status: 408, want: requestTimeout},
			{name: "302", status: 302, header: []string{"Location", "http://127.0.0.1:1/elsewhere"}, want: redirect},
		}
	}
	catalog := `{"services":[{"id":"s1","name":"db","description":"d","bindable":true,"plans":[{"id":"p1","name":"small","description":"d"}]}]}`
	cases := map[Operation][]statusCase{
		OperationGetCatalog: {
			{name: "200", status: 200, body: catalog, want: ok(func(t *testing.T, r any) {
				if got := r.(*CatalogResponse); len(got.Services) != 1 || got.Services[0].Plans[0].Name != "small" {
					t.Errorf("catalog = %+v", got)
				}
			})},
			{name: "200 empty services", status: 200, body: `{"services":[]}`, want: ok(anyOK)},
			{name: "200 malformed", status: 200, body: `{"services":`, want: malformedBody},
			{name: "200 no services", status: 200, body: `{}`, want: malformedBody},
			{name: "200 services null", status: 200, body: `{"services":null}`, want: malformedBody},
			{name: "200 services not array", status: 200, body: `{"services":{}}`, want: malformedBody},
			{name: "200 empty body", status: 200, body: ``, want: malformedBody},
			{name: "201", status: 201, body: catalog, want: unexpected},
			{name: "204", status: 204, want: unexpected},
			{name: "404", status: 404, want: notFound},
		},
		OperationProvision: {
			{name: "200 exists", status: 200, body: `{"dashboard_url":"http://dash/1"}`, want: returns(&ProvisionResponse{DashboardURL: ptr("http://dash/1")})},
			{name: "201 created", status: 201, body: `{"dashboard_url":"http://dash/1","metadata":{"labels":{"tier":"gold","bad":5},"attributes":{"region":"eu"}}}`, want: returns(&ProvisionResponse{
				DashboardURL: ptr("http://dash/1"),
				Metadata:     &InstanceMetadata{Labels: map[string]string{"tier": "gold"}, Attributes: map[string]any{"region": "eu"}},
			})},
			{name: "201 empty body", status: 201, want: ok(anyOK)},
			{name: "202 accepted", status: 202, body: `{"dashboard_url":"http://dash/1","operation":"task 10/a"}`, want: returns(&ProvisionResponse{
				Async: true, DashboardURL: ptr("http://dash/1"), OperationKey: ptr("task 10/a"),
			})},
			{name: "202 null operation", status: 202, body: `{"operation":null,"dashboard_url":null}`, want: returns(&ProvisionResponse{Async: true})},
			{name: "400", status: 400, body: errPlain, want: badRequest},
			{name: "409", status: 409, body: `{}`, want: conflict},
			{name: "422 AsyncRequired", status: 422, body: errAsyncRequired, want: asyncRequired},
			{name: "422 MaintenanceInfoConflict", status: 422, body: errMaintenance, want: maintenance},
			{name: "422 other", status: 422, body: errPlain, want: unprocessable},
			{name: "201 malformed", status: 201, body: `{"dashboard_url":`, want: malformedBody},
			{name: "201 wrong type", status: 201, body: `{"dashboard_url":42}`, want: malformedBody},
			{name: "201 not object", status: 201, body: `["x"]`, want: malformedBody},
			{name: "202 malformed", status: 202, body: `<html>accepted</html>`, want: malformedBody},
			{name: "200 malformed", status: 200, body: `not json`, want: malformedBody},
			{name: "204", status: 204, want: unexpected},
			{name: "206", status: 206, body: `{}`, want: unexpected},
		},
		OperationUpdate: {
			{name: "200", status: 200, body: `{}`, want: returns(&UpdateResponse{})},
			{name: "200 dashboard", status: 200, body: `{"dashboard_url":"http://new"}`, want: returns(&UpdateResponse{DashboardURL: ptr("http://new")})},
			{name: "202", status: 202, body: `{"operation":"upd"}`, want: returns(&UpdateResponse{Async: true, OperationKey: ptr("upd")})},
			{name: "400", status: 400, body: errPlain, want: badRequest},
			{name: "422 AsyncRequired", status: 422, body: errAsyncRequired, want: asyncRequired},
			{name: "422 MaintenanceInfoConflict", status: 422, body: errMaintenance, want: maintenance},
			{name: "422 ConcurrencyError", status: 422, body: errConcurrency, want: concurrency},
			{name: "422 null flags", status: 422, body: `{"description":"no","instance_usable":null,"update_repeatable":null}`, want: fails("422 with no flags", func(err error) bool {
				var h *HTTPStatusCodeError
				return errors.As(err, &h) && h.UpdateRepeatable == nil && h.InstanceUsable == nil
			})},
			{name: "422 plan change", status: 422, body: `{"description":"plan change not supported","instance_usable":true,"update_repeatable":false}`, want: fails("422 with flags", func(err error) bool {
				var h *HTTPStatusCodeError
				return errors.As(err, &h) && h.UpdateRepeatable != nil && !*h.UpdateRepeatable && h.InstanceUsable != nil && *h.InstanceUsable
			})},
			{name: "200 malformed", status: 200, body: `{`, want: malformedBody},
			{name: "201", status: 201, body: `{}`, want: unexpected},
			{name: "204", status: 204, want: unexpected},
		},
		OperationDeprovision: {
			{name: "200", status: 200, body: `{}`, want: returns(&DeprovisionResponse{})},
			{name: "200 empty", status: 200, want: ok(anyOK)},
			{name: "200 extra fields", status: 200, body: `{"dashboard_url":5,"whatever":[1]}`, want: ok(anyOK)},
			{name: "202", status: 202, body: `{"operation":"del"}`, want: returns(&DeprovisionResponse{Async: true, OperationKey: ptr("del")})},
			{name: "400", status: 400, body: errPlain, want: badRequest},
			{name: "410", status: 410, body: `{}`, want: gone},
			{name: "422 AsyncRequired", status: 422, body: errAsyncRequired, want: asyncRequired},
			{name: "422 ConcurrencyError", status: 422, body: errConcurrency, want: concurrency},
			{name: "200 malformed", status: 200, body: `oops`, want: malformedBody},
			{name: "204", status: 204, want: unexpected},
		},
		OperationLastOperation: {
			{name: "200 in progress", status: 200, body: `{"state":"in progress","description":"50%"}`, header: []string{"Retry-After", "7"}, want: returns(&LastOperationResponse{
				State: StateInProgress, Description: ptr("50%"), RetryAfter: 7 * time.Second,
			})},
			{name: "200 succeeded", status: 200, body: `{"state":"succeeded"}`, want: returns(&LastOperationResponse{State: StateSucceeded})},
			{name: "200 failed", status: 200, body: `{"state":"failed","description":"disk full","instance_usable":false,"update_repeatable":true}`, want: returns(&LastOperationResponse{
				State: StateFailed, Description: ptr("disk full"), InstanceUsable: ptr(false), UpdateRepeatable: ptr(true),
			})},
			{name: "200 lenient state", status: 200, body: `{"state":"IN_PROGRESS","description":null,"instance_usable":"false"}`, want: returns(&LastOperationResponse{
				State: StateInProgress, InstanceUsable: ptr(false),
			})},
			{name: "200 null flags mean not said", status: 200, body: `{"state":"failed","instance_usable":null,"update_repeatable":null}`, want: returns(&LastOperationResponse{
				State: StateFailed,
			})},
			{name: "200 no state", status: 200, body: `{"description":"x"}`, want: malformedBody},
			{name: "200 unknown state", status: 200, body: `{"state":"done"}`, want: malformedBody},
			{name: "200 empty", status: 200, want: malformedBody},
			{name: "400", status: 400, body: errPlain, want: badRequest},
			{name: "404", status: 404, want: notFound},
			{name: "410", status: 410, body: `{"state":"succeeded"}`, want: gone},
			{name: "202", status: 202, body: `{"state":"succeeded"}`, want: unexpected},
		},
		OperationGetInstance: {
			{name: "200", status: 200, body: `{"service_id":"svc-1","plan_id":"plan-1","dashboard_url":"http://d","parameters":{"n":12345678901234567890},"maintenance_info":{"version":"1.2.3"},"metadata":{"labels":{"a":"b"}}}`, want: ok(func(t *testing.T, r any) {
				g := r.(*GetInstanceResponse)
				want := &GetInstanceResponse{
					ServiceID: "svc-1", PlanID: "plan-1", DashboardURL: ptr("http://d"), Parameters: map[string]any{"n": json.Number("12345678901234567890")},
					MaintenanceInfo: &MaintenanceInfo{Version: "1.2.3"}, Metadata: &InstanceMetadata{Labels: map[string]string{"a": "b"}},
				}
				if diff := cmp.Diff(want, g, ignoreRequestIdentity); diff != "" {
					t.Errorf("response (-want +got):\n%s", diff)
				}
				if n, _ := g.Parameters["n"].(json.Number); n.String() != "12345678901234567890" {
					t.Errorf("large number lost precision: %v", g.Parameters["n"])
				}
			})},
			{name: "404", status: 404, want: notFound},
			{name: "422 ConcurrencyError", status: 422, body: errConcurrency, want: concurrency},
			{name: "200 malformed", status: 200, body: `{"parameters":[]}`, want: malformedBody},
		},
		OperationBind: {
			{name: "201 numeric ports", status: 201, body: `{"credentials":{},"endpoints":[{"host":"db","ports":[5432,"6000-6010"]}]}`, want: returns(&BindResponse{
				Credentials: map[string]any{}, Endpoints: []Endpoint{{Host: "db", Ports: []string{"5432", "6000-6010"}}},
			})},
			{name: "201 unreadable extras", status: 201, body: `{"credentials":{"a":"b"},"endpoints":"db:5432","volume_mounts":{"x":1},"metadata":[]}`, want: returns(&BindResponse{
				Credentials: map[string]any{"a": "b"},
			})},
			{name: "202 operation too long", status: 202, body: `{"operation":"` + strings.Repeat("x", 10001) + `"}`, want: malformedBody},
			{name: "202 operation at the limit", status: 202, body: `{"operation":"` + strings.Repeat("x", 10000) + `"}`, want: returns(&BindResponse{
				Async: true, OperationKey: ptr(strings.Repeat("x", 10000)),
			})},
			{name: "200", status: 200, body: `{"credentials":{"password":"pw"}}`, want: ok(func(t *testing.T, r any) {
				if b := r.(*BindResponse); b.Async || b.Credentials["password"] != "pw" {
					t.Errorf("response = %#v", b.Credentials)
				}
			})},
			{name: "201", status: 201, body: `{"credentials":{"uri":"pg://u:p@h:5432/db","port":5432,"tls":true,"hosts":["a","b"]},
				"syslog_drain_url":"syslog://logs","route_service_url":"https://route","volume_mounts":[{"driver":"nfs","container_dir":"/data","mode":"rw","device_type":"shared","device":{"volume_id":"v1","mount_config":{"k":"v"}}}],
				"endpoints":[{"host":"10.0.0.1","ports":["443","9000-9010"],"protocol":"tcp"}],"metadata":{"expires_at":"2030-01-01T00:00:00.0Z","renew_before":"2029-12-01T00:00:00.0Z"},"unknown":{"x":1}}`,
				want: ok(func(t *testing.T, r any) {
					b := r.(*BindResponse)
					want := &BindResponse{
						Credentials:     map[string]any{"uri": "pg://u:p@h:5432/db", "port": json.Number("5432"), "tls": true, "hosts": []any{"a", "b"}},
						SyslogDrainURL:  ptr("syslog://logs"),
						RouteServiceURL: ptr("https://route"),
						VolumeMounts: []VolumeMount{{Driver: "nfs", ContainerDir: "/data", Mode: "rw", DeviceType: "shared",
							Device: VolumeDevice{VolumeID: "v1", MountConfig: map[string]any{"k": "v"}}}},
						Endpoints: []Endpoint{{Host: "10.0.0.1", Ports: []string{"443", "9000-9010"}, Protocol: "tcp"}},
						Metadata:  &BindingMetadata{ExpiresAt: "2030-01-01T00:00:00.0Z", RenewBefore: "2029-12-01T00:00:00.0Z"},
					}
					if diff := cmp.Diff(want, b, ignoreRequestIdentity); diff != "" {
						t.Errorf("response (-want +got):\n%s", diff)
					}
					if exp, ok := b.Metadata.ExpiresAtTime(); !ok || exp.Year() != 2030 {
						t.Errorf("expires_at = %v %v", exp, ok)
					}
					if rb, ok := b.Metadata.RenewBeforeTime(); !ok || rb.Month() != 12 {
						t.Errorf("renew_before = %v %v", rb, ok)
					}
				})},
			{name: "201 nulls", status: 201, body: `{"credentials":null,"syslog_drain_url":null,"volume_mounts":null,"endpoints":null,"metadata":null}`, want: ok(anyOK)},
			{name: "202", status: 202, body: `{"operation":"bind-op","credentials":{"password":"must be ignored"}}`, want: returns(&BindResponse{Async: true, OperationKey: ptr("bind-op")})},
			{name: "400", status: 400, body: errPlain, want: badRequest},
			{name: "409", status: 409, body: `{}`, want: conflict},
			{name: "422 RequiresApp", status: 422, body: errRequiresApp, want: requiresApp},
			{name: "422 AsyncRequired", status: 422, body: errAsyncRequired, want: asyncRequired},
			{name: "422 ConcurrencyError", status: 422, body: errConcurrency, want: concurrency},
			{name: "201 malformed", status: 201, body: `{"credentials":{"password":"pw"`, want: malformedBody},
			{name: "201 credentials not object", status: 201, body: `{"credentials":"pw"}`, want: malformedBody},
			{name: "202 malformed", status: 202, body: `{"operation":7}`, want: malformedBody},
			{name: "200 malformed", status: 200, body: `]`, want: malformedBody},
			{name: "204", status: 204, want: unexpected},
		},
		OperationUnbind: {
			{name: "200", status: 200, body: `{}`, want: returns(&UnbindResponse{})},
			{name: "202", status: 202, body: `{"operation":"unbind-op"}`, want: returns(&UnbindResponse{Async: true, OperationKey: ptr("unbind-op")})},
			{name: "202 no operation", status: 202, body: `{}`, want: returns(&UnbindResponse{Async: true})},
			{name: "400", status: 400, body: errPlain, want: badRequest},
			{name: "410", status: 410, body: `{}`, want: gone},
			{name: "422 AsyncRequired", status: 422, body: errAsyncRequired, want: asyncRequired},
			{name: "422 ConcurrencyError", status: 422, body: errConcurrency, want: concurrency},
			{name: "204", status: 204, want: unexpected},
		},
		OperationBindingLastOperation: {
			{name: "200 in progress", status: 200, body: `{"state":"in progress"}`, header: []string{"Retry-After", "Fri, 01 Jan 2100 00:00:00 GMT"}, want: returns(&LastOperationResponse{
				State: StateInProgress, RetryAfter: maxRetryAfter,
			})},
			{name: "200 succeeded", status: 200, body: `{"state":"succeeded"}`, want: ok(anyOK)},
			{name: "200 failed", status: 200, body: `{"state":"failed","description":"no"}`, want: returns(&LastOperationResponse{State: StateFailed, Description: ptr("no")})},
			{name: "400", status: 400, body: errPlain, want: badRequest},
			{name: "404", status: 404, want: notFound},
			{name: "410", status: 410, want: gone},
			{name: "200 malformed", status: 200, body: `{"state":1}`, want: malformedBody},
		},
		OperationGetBinding: {
			{name: "200", status: 200, body: `{"credentials":{"user":"u"},"parameters":{"role":"ro"},"endpoints":[{"host":"h","ports":["1"]}]}`, want: returns(&GetBindingResponse{
				Credentials: map[string]any{"user": "u"}, Parameters: map[string]any{"role": "ro"}, Endpoints: []Endpoint{{Host: "h", Ports: []string{"1"}}},
			})},
			{name: "404", status: 404, want: notFound},
			{name: "200 malformed", status: 200, body: `{"credentials":[]}`, want: malformedBody},
			{name: "204", status: 204, want: unexpected},
		},
	}
	for op := range cases {
		cases[op] = append(cases[op], common()...)
	}
	return cases
}

func TestStatusCodes(t *testing.T) {
	for op, cases := range statusCases() {
		for _, tc := range cases {
			t.Run(string(op)+"/"+tc.name, func(t *testing.T) {
				ts := newTestServer(t, reply(tc.status, tc.body, tc.header...))
				c := newClientFor(t, ts.URL)
				resp, err := call(context.Background(), c, op)
				if tc.want.check != nil {
					if err != nil {
						t.Fatalf("unexpected error: %v", err)
					}
					if isNil(resp) {
						t.Fatal("nil response without error")
					}
					tc.want.check(t, resp)
					return
				}
				if err == nil {
					t.Fatalf("no error, want %s", tc.want.isName)
				}
				if !isNil(resp) {
					t.Errorf("response %+v returned with error", resp)
				}
				if !tc.want.is(err) {
					t.Fatalf("error %T %q is not %s", err, err, tc.want.isName)
				}
				if id := RequestIdentityOf(err); id == "" || id != ts.last(t).Header.Get(HeaderRequestIdentity) {
					t.Errorf("RequestIdentityOf(err) = %q, want the identity sent", id)
				}
				if code, ok := StatusCode(err); !ok || code != tc.status {
					t.Errorf("StatusCode(err) = %d, %t; want %d", code, ok, tc.status)
				}
				if len(err.Error()) > 800 {
					t.Errorf("error string is %d bytes long", len(err.Error()))
				}
			})
		}
	}
}

func TestHTTPStatusCodeErrorBody(t *testing.T) {
	cases := []struct {
		name, body, wantCode, wantDesc, wantBody, wantErr string
		header                                            []string
		retryAfter                                        time.Duration
	}{
		{name: "spec shape", body: `{"error":"ConcurrencyError","description":"busy"}`, wantCode: "ConcurrencyError", wantDesc: "busy",
			wantErr: "broker returned 422 Unprocessable Entity: ConcurrencyError: busy"},
		{name: "capital Error", body: `{"Error":"AsyncRequired","Description":"need async"}`, wantCode: "AsyncRequired", wantDesc: "need async"},
		{name: "only description", body: `{"description":"nope"}`, wantDesc: "nope", wantErr: "broker returned 422 Unprocessable Entity: nope"},
		{name: "stringified blob", body: `{"error":"{\"code\":5}","description":"x"}`, wantCode: `{"code":5}`, wantDesc: "x"},
		{name: "object error", body: `{"error":{"code":5},"description":["a"]}`, wantCode: `{"code":5}`, wantDesc: `["a"]`},
		{name: "text", body: "Not Authorized\n", wantBody: "Not Authorized", wantErr: "broker returned 422 Unprocessable Entity: Not Authorized"},
		{name: "html", body: "<!DOCTYPE html><html><head><title>Service\n Unavailable</title></head><body><h1>oops</h1></body></html>",
			wantBody: "<!DOCTYPE html><html><head><title>Service\n Unavailable</title></head><body><h1>oops</h1></body></html>",
			wantErr:  "broker returned 422 Unprocessable Entity: Service Unavailable"},
		{name: "json array", body: `["x"]`, wantBody: `["x"]`},
		{name: "empty", body: "", wantErr: "broker returned 422 Unprocessable Entity"},
		{name: "retry after", body: `{}`, header: []string{"Retry-After", "30"}, retryAfter: 30 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, reply(422, tc.body, tc.header...))
			_, err := newClientFor(t, ts.URL).GetCatalog(context.Background())
			var h *HTTPStatusCodeError
			if !errors.As(err, &h) {
				t.Fatalf("error %T %v", err, err)
			}
			if h.ErrorCode != tc.wantCode || h.Description != tc.wantDesc || h.Body != tc.wantBody || h.RetryAfter != tc.retryAfter {
				t.Errorf("got code=%q desc=%q body=%q retry=%v", h.ErrorCode, h.Description, h.Body, h.RetryAfter)
			}
			if tc.wantErr != "" && h.Error() != tc.wantErr {
				t.Errorf("Error() = %q, want %q", h.Error(), tc.wantErr)
			}
			if h.Operation != OperationGetCatalog {
				t.Errorf("Operation = %q", h.Operation)
			}
		})
	}
	t.Run("long body is cut", func(t *testing.T) {
		long := make([]byte, 100<<10)
		for i := range long {
			long[i] = 'a' + byte(i%26)
		}
		ts := newTestServer(t, reply(500, string(long)))
		_, err := newClientFor(t, ts.URL).GetCatalog(context.Background())
		var h *HTTPStatusCodeError
		if !errors.As(err, &h) || len(h.Body) > maxErrorText+3 || len(h.Error()) > 300 {
			t.Fatalf("body %d bytes, error %d bytes", len(h.Body), len(h.Error()))
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                                  0,
		"5":                                 5 * time.Second,
		" 10 ":                              10 * time.Second,
		"0":                                 0,
		"-3":                                0,
		"1.5":                               0,
		"soon":                              0,
		"99999999999999999999":              0,
		"999999999":                         maxRetryAfter,
		"Wed, 01 May 2024 12:00:42 GMT":     42 * time.Second,
		"Wed, 01 May 2024 11:00:00 GMT":     0,
		"Wednesday, 01-May-24 12:01:00 GMT": time.Minute,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	target := newTestServer(t, reply(201, `{}`))
	ts := newTestServer(t, reply(307, "", "Location", target.URL+"/v2/service_instances/inst-1"))
	_, err := call(context.Background(), newClientFor(t, ts.URL), OperationProvision)
	if !statusIs(307)(err) {
		t.Fatalf("error = %v, want a 307 HTTPStatusCodeError", err)
	}
	if target.count() != 0 {
		t.Fatal("the redirect was followed")
	}
	if NeedsOrphanMitigation(OperationProvision, err) {
		t.Error("a redirect needs orphan mitigation")
	}
}

func TestStatusCodeHelpersOnOtherErrors(t *testing.T) {
	err := errors.New("plain")
	if _, ok := StatusCode(err); ok || RequestIdentityOf(err) != "" || IsGone(err) || IsTimeout(err) || IsMalformedResponse(err) {
		t.Error("helpers misclassify a plain error")
	}
	wrapped := fmt.Errorf("syncing: %w", &HTTPStatusCodeError{StatusCode: 410, RequestIdentity: "id"})
	if !IsGone(wrapped) || RequestIdentityOf(wrapped) != "id" {
		t.Error("helpers do not see through wrapping")
	}
	if !IsConcurrencyError(&HTTPStatusCodeError{StatusCode: 422, ErrorCode: " concurrencyerror "}) {
		t.Error("error codes are not matched leniently")
	}
	if IsConcurrencyError(&HTTPStatusCodeError{StatusCode: 400, ErrorCode: "ConcurrencyError"}) {
		t.Error("ConcurrencyError matched on a 400")
	}
}

func TestInstanceMetadataIsLenient(t *testing.T) {
	for body, want := range map[string]string{
		`{"metadata":"x"}`: "labels=0 attrs=0",
		`{"metadata":{"labels":"x","attributes":[1]}}`:                              "labels=0 attrs=0",
		`{"metadata":{"labels":{"a":"b","n":1,"o":{}},"attributes":{"k":{"v":2}}}}`: "labels=1 attrs=1",
		`{"metadata":null}`: "nil",
	} {
		ts := newTestServer(t, reply(201, body))
		resp, err := call(context.Background(), newClientFor(t, ts.URL), OperationProvision)
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		md := resp.(*ProvisionResponse).Metadata
		got := "nil"
		if md != nil {
			got = fmt.Sprintf("labels=%d attrs=%d", len(md.Labels), len(md.Attributes))
		}
		if got != want {
			t.Errorf("%s: %s, want %s", body, got, want)
		}
	}
}
