package broker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// rawResponse is an answer to a hand-made request.
type rawResponse struct {
	status int
	header http.Header
	body   string
}

func (r rawResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %q", r.status, r.body)
	}
	return m
}

// send makes a request with the version header and basic auth, unless the
// extra headers (name, value pairs) override them; a value of "-" removes one.
func send(t *testing.T, srv *httptest.Server, method, path, body string, headers ...string) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(osb.HeaderAPIVersion, "2.17")
	req.SetBasicAuth(testUser, testPassword)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "-" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func provisionBody(serviceID, planID string, extra ...string) string {
	fields := []string{
		`"service_id":"` + serviceID + `"`, `"plan_id":"` + planID + `"`,
		`"organization_guid":"org"`, `"space_guid":"space"`,
		`"context":{"platform":"kubernetes","namespace":"ns","clusterid":"cid","instance_name":"db"}`,
	}
	return "{" + strings.Join(append(fields, extra...), ",") + "}"
}

const bindBody = `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `","context":{"platform":"kubernetes","namespace":"ns","clusterid":"cid"},"bind_resource":{"app_guid":"ns"}}`

func identityHeader(t *testing.T) string {
	t.Helper()
	v, err := user.HeaderValue()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestConformance(t *testing.T) {
	_, srv := startBroker(t, broker.Options{})
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	pgPath := "/v2/service_instances/"
	cases := []struct {
		name         string
		method, path string
		body         string
		headers      []string
		wantStatus   int
		wantError    string // the "error" field
		wantDescPart string
	}{
		{name: "catalog ok", method: "GET", path: "/v2/catalog", wantStatus: 200},
		{name: "version missing", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderAPIVersion, "-"}, wantStatus: 412, wantDescPart: "missing"},
		{name: "version too old", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderAPIVersion, "2.12"}, wantStatus: 412, wantDescPart: "between 2.13 and 2.17"},
		{name: "version too new", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderAPIVersion, "2.18"}, wantStatus: 412},
		{name: "version 3", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderAPIVersion, "3.0"}, wantStatus: 412},
		{name: "version garbage", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderAPIVersion, "latest"}, wantStatus: 412},
		{name: "version on provision", method: "PUT", path: pgPath + "v1", body: provisionBody(pgService, pgSmall), headers: []string{osb.HeaderAPIVersion, "-"}, wantStatus: 412},
		{name: "no auth", method: "GET", path: "/v2/catalog", headers: []string{"Authorization", "-"}, wantStatus: 401},
		{name: "bad password", method: "GET", path: "/v2/catalog", headers: []string{"Authorization", "Basic " + enc(testUser+":nope")}, wantStatus: 401},
		{name: "no auth on provision", method: "PUT", path: pgPath + "a1", body: provisionBody(pgService, pgSmall), headers: []string{"Authorization", "-"}, wantStatus: 401},
		{name: "no auth on admin", method: "GET", path: "/admin/requests", headers: []string{"Authorization", "-"}, wantStatus: 401},
		{name: "identity not base64", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderOriginatingIdentity, "kubernetes %%%"}, wantStatus: 400},
		{name: "identity no platform", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderOriginatingIdentity, enc(`{}`)}, wantStatus: 400},
		{name: "identity lacks uid", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderOriginatingIdentity, "kubernetes " + enc(`{"username":"a","groups":[],"extra":{}}`)}, wantStatus: 400},
		{name: "identity ok", method: "GET", path: "/v2/catalog", headers: []string{osb.HeaderOriginatingIdentity, "kubernetes " + enc(`{"username":"a","uid":"b","groups":[],"extra":{}}`)}, wantStatus: 200},
		{name: "identity platform differs from context", method: "PUT", path: pgPath + "p0", body: provisionBody(pgService, pgSmall),
			headers: []string{osb.HeaderOriginatingIdentity, "cloudfoundry " + enc(`{"user_id":"x"}`)}, wantStatus: 400, wantDescPart: "differs"},
		{name: "missing service_id", method: "PUT", path: pgPath + "p1", body: `{"plan_id":"` + pgSmall + `","organization_guid":"o","space_guid":"s"}`, wantStatus: 400, wantDescPart: "service_id"},
		{name: "missing plan_id", method: "PUT", path: pgPath + "p2", body: `{"service_id":"` + pgService + `","organization_guid":"o","space_guid":"s"}`, wantStatus: 400, wantDescPart: "plan_id"},
		{name: "missing organization_guid", method: "PUT", path: pgPath + "p3", body: `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `","space_guid":"s"}`, wantStatus: 400, wantDescPart: "organization_guid"},
		{name: "missing space_guid", method: "PUT", path: pgPath + "p4", body: `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `","organization_guid":"o"}`, wantStatus: 400, wantDescPart: "space_guid"},
		{name: "unknown service", method: "PUT", path: pgPath + "p5", body: provisionBody("nope", pgSmall), wantStatus: 400},
		{name: "unknown plan", method: "PUT", path: pgPath + "p6", body: provisionBody(pgService, "nope"), wantStatus: 400},
		{name: "plan of another service", method: "PUT", path: pgPath + "p7", body: provisionBody(pgService, redisCache), wantStatus: 400},
		{name: "body not JSON", method: "PUT", path: pgPath + "p8", body: `{"service_id":`, wantStatus: 400},
		{name: "parameters not object", method: "PUT", path: pgPath + "p9", body: provisionBody(pgService, pgSmall, `"parameters":[1]`), wantStatus: 400},
		{name: "context without namespace", method: "PUT", path: pgPath + "p10",
			body: `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `","organization_guid":"o","space_guid":"s","context":{"platform":"kubernetes","clusterid":"c","instance_name":"i"}}`, wantStatus: 400, wantDescPart: "namespace"},
		{name: "context without instance_name", method: "PUT", path: pgPath + "p11",
			body: `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `","organization_guid":"o","space_guid":"s","context":{"platform":"kubernetes","namespace":"n","clusterid":"c"}}`, wantStatus: 400, wantDescPart: "instance_name"},
		{name: "context instance_name not needed at 2.14", method: "PUT", path: pgPath + "p12", headers: []string{osb.HeaderAPIVersion, "2.14"},
			body: `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `","organization_guid":"o","space_guid":"s","context":{"platform":"kubernetes","namespace":"n","clusterid":"c"}}`, wantStatus: 201},
		{name: "async required", method: "PUT", path: pgPath + "p13", body: provisionBody(pgService, pgLarge), wantStatus: 422, wantError: "AsyncRequired"},
		{name: "async required false", method: "PUT", path: pgPath + "p14?accepts_incomplete=false", body: provisionBody(pgService, pgLarge), wantStatus: 422, wantError: "AsyncRequired"},
		{name: "async accepted", method: "PUT", path: pgPath + "p15?accepts_incomplete=true", body: provisionBody(pgService, pgLarge), wantStatus: 202},
		{name: "sync plan ignores accepts_incomplete", method: "PUT", path: pgPath + "p16?accepts_incomplete=true", body: provisionBody(pgService, pgSmall), wantStatus: 201},
		{name: "maintenance conflict", method: "PUT", path: pgPath + "p17", body: provisionBody(pgService, pgSmall, `"maintenance_info":{"version":"0.9.0"}`), wantStatus: 422, wantError: "MaintenanceInfoConflict"},
		{name: "maintenance ok", method: "PUT", path: pgPath + "p18", body: provisionBody(pgService, pgSmall, `"maintenance_info":{"version":"1.4.0"}`), wantStatus: 201},
		{name: "deprovision unknown", method: "DELETE", path: pgPath + "nope?service_id=s&plan_id=p", wantStatus: 410},
		{name: "deprovision without ids", method: "DELETE", path: pgPath + "p16", wantStatus: 400},
		{name: "unbind unknown", method: "DELETE", path: pgPath + "p16/service_bindings/nope?service_id=s&plan_id=p", wantStatus: 410},
		{name: "unbind without ids", method: "DELETE", path: pgPath + "p16/service_bindings/nope", wantStatus: 400},
		{name: "poll unknown", method: "GET", path: pgPath + "never/last_operation", wantStatus: 404},
		{name: "poll without operation", method: "GET", path: pgPath + "p15/last_operation?service_id=" + pgService, wantStatus: 200},
		{name: "poll with wrong operation", method: "GET", path: pgPath + "p15/last_operation?operation=bogus", wantStatus: 400, wantDescPart: "unknown operation"},
		{name: "poll wrong service", method: "GET", path: pgPath + "p15/last_operation?service_id=x", wantStatus: 400},
		{name: "poll a sync instance", method: "GET", path: pgPath + "p16/last_operation", wantStatus: 200},
		{name: "get instance during provision", method: "GET", path: pgPath + "p15", wantStatus: 404},
		{name: "get instance below 2.14", method: "GET", path: pgPath + "p16", headers: []string{osb.HeaderAPIVersion, "2.13"}, wantStatus: 412},
		{name: "get instance", method: "GET", path: pgPath + "p16", wantStatus: 200},
		{name: "get binding below 2.14", method: "GET", path: pgPath + "p16/service_bindings/x", headers: []string{osb.HeaderAPIVersion, "2.13"}, wantStatus: 412},
		{name: "binding poll below 2.14", method: "GET", path: pgPath + "p16/service_bindings/x/last_operation", headers: []string{osb.HeaderAPIVersion, "2.13"}, wantStatus: 412},
		{name: "update unknown", method: "PATCH", path: pgPath + "nope", body: `{"service_id":"` + pgService + `"}`, wantStatus: 404},
		{name: "update during async provision", method: "PATCH", path: pgPath + "p15?accepts_incomplete=true", body: `{"service_id":"` + pgService + `","parameters":{"a":1}}`, wantStatus: 422, wantError: "ConcurrencyError"},
		{name: "update without service_id", method: "PATCH", path: pgPath + "p16", body: `{}`, wantStatus: 400},
		{name: "bind on unknown instance", method: "PUT", path: pgPath + "nope/service_bindings/b1", body: bindBody, wantStatus: 404},
		{name: "bind during provision", method: "PUT", path: pgPath + "p15/service_bindings/b2", body: strings.ReplaceAll(bindBody, pgSmall, pgLarge), wantStatus: 422, wantError: "ConcurrencyError"},
		{name: "bind", method: "PUT", path: pgPath + "p16/service_bindings/b3", body: bindBody, wantStatus: 201},
		{name: "bind again identical", method: "PUT", path: pgPath + "p16/service_bindings/b3", body: bindBody, wantStatus: 200},
		{name: "bind again different", method: "PUT", path: pgPath + "p16/service_bindings/b3", body: strings.Replace(bindBody, `"app_guid":"ns"`, `"app_guid":"other"`, 1), wantStatus: 409},
		{name: "bind without service_id", method: "PUT", path: pgPath + "p16/service_bindings/b4", body: `{"plan_id":"` + pgSmall + `"}`, wantStatus: 400},
		{name: "bind context without clusterid", method: "PUT", path: pgPath + "p16/service_bindings/b5",
			body: `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `","context":{"platform":"kubernetes","namespace":"n"}}`, wantStatus: 400},
		{name: "deprovision with bindings", method: "DELETE", path: pgPath + "p16?service_id=" + pgService + "&plan_id=" + pgSmall, wantStatus: 422, wantError: "BindingsExist"},
		{name: "provision again identical", method: "PUT", path: pgPath + "p16?accepts_incomplete=true", body: provisionBody(pgService, pgSmall), wantStatus: 200},
		{name: "provision again different", method: "PUT", path: pgPath + "p16", body: provisionBody(pgService, pgSmall, `"parameters":{"storageGB":50}`), wantStatus: 409},
		{name: "provision again in progress", method: "PUT", path: pgPath + "p15?accepts_incomplete=true", body: provisionBody(pgService, pgLarge), wantStatus: 202},
		{name: "provision again in progress different", method: "PUT", path: pgPath + "p15?accepts_incomplete=true", body: provisionBody(pgService, pgLarge, `"parameters":{"x":1}`), wantStatus: 409},
		{name: "unknown path", method: "GET", path: "/v2/whatever", wantStatus: 404},
		{name: "wrong method", method: "POST", path: "/v2/catalog", wantStatus: 405},
		{name: "wrong method on instance", method: "POST", path: pgPath + "x", wantStatus: 405},
		{name: "healthz needs no auth", method: "GET", path: "/healthz", headers: []string{"Authorization", "-", osb.HeaderAPIVersion, "-"}, wantStatus: 200},
	}
	for _, tc := range cases {
		// The cases share one broker and build on each other, in order.
		t.Run(tc.name, func(t *testing.T) {
			resp := send(t, srv, tc.method, tc.path, tc.body, tc.headers...)
			if resp.status != tc.wantStatus {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, resp.status, resp.body, tc.wantStatus)
			}
			if tc.wantError != "" || tc.wantDescPart != "" {
				m := resp.json(t)
				if m["error"] != nil && tc.wantError == "" || tc.wantError != "" && m["error"] != tc.wantError {
					t.Errorf("error = %v, want %q", m["error"], tc.wantError)
				}
				if d, _ := m["description"].(string); !strings.Contains(d, tc.wantDescPart) {
					t.Errorf("description %q lacks %q", d, tc.wantDescPart)
				}
			}
			if resp.status == 401 && resp.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
}

func TestMinAPIVersionAndBearerAuth(t *testing.T) {
	_, srv := startBroker(t, broker.Options{BearerToken: "tok-1", MinAPIVersion: "2.15", MaxAPIVersion: "2.16"})
	bearer := []string{"Authorization", "Bearer tok-1"}
	if r := send(t, srv, "GET", "/v2/catalog", "", append(bearer, osb.HeaderAPIVersion, "2.14")...); r.status != 412 || !strings.Contains(r.body, "2.15 and 2.16") {
		t.Errorf("2.14 = %d %s", r.status, r.body)
	}
	if r := send(t, srv, "GET", "/v2/catalog", "", append(bearer, osb.HeaderAPIVersion, "2.16")...); r.status != 200 {
		t.Errorf("2.16 = %d", r.status)
	}
	if r := send(t, srv, "GET", "/v2/catalog", "", osb.HeaderAPIVersion, "2.16"); r.status != 401 {
		t.Errorf("basic auth on a bearer-only broker = %d", r.status)
	}
	if r := send(t, srv, "GET", "/v2/catalog", "", "Authorization", "Bearer nope", osb.HeaderAPIVersion, "2.16"); r.status != 401 {
		t.Errorf("wrong token = %d", r.status)
	}
	// The client's 412 and 401 predicates see these answers.
	c := newClient(t, srv.URL, func(c *osb.Config) { c.Auth = &osb.AuthConfig{Bearer: &osb.BearerConfig{Token: "tok-1"}} })
	if _, err := c.GetCatalog(context.Background()); !osb.IsPreconditionFailed(err) || !strings.Contains(err.Error(), "2.15 and 2.16") {
		t.Errorf("client at 2.17: %v", err)
	}
	c = newClient(t, srv.URL, func(c *osb.Config) { c.APIVersion = osb.APIVersion2_16 })
	if _, err := c.GetCatalog(context.Background()); !osb.IsUnauthorized(err) {
		t.Errorf("client with basic auth: %v", err)
	}
	for _, bad := range []broker.Options{{MinAPIVersion: "2.x"}, {MaxAPIVersion: "3.1"}, {MinAPIVersion: "2.17", MaxAPIVersion: "2.14"}} {
		if _, err := broker.New(bad); err == nil {
			t.Errorf("New(%+v) succeeded", bad)
		}
	}
}

func TestRequestIdentityIsEchoed(t *testing.T) {
	_, srv := startBroker(t, broker.Options{})
	r := send(t, srv, "GET", "/v2/catalog", "", osb.HeaderRequestIdentity, "abc-123")
	if got := r.header.Get(osb.HeaderRequestIdentity); got != "abc-123" {
		t.Errorf("echoed request identity = %q", got)
	}
}

func TestInstanceLifecycleEdges(t *testing.T) {
	b, srv := startBroker(t, broker.Options{})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	provision := func(id, plan string, params map[string]any) (*osb.ProvisionResponse, error) {
		return c.Provision(ctx, &osb.ProvisionRequest{
			InstanceID: id, AcceptsIncomplete: true, ServiceID: pgService, PlanID: plan, OrganizationGUID: "o", SpaceGUID: "s",
			Context: k8sContext, Parameters: params,
		})
	}
	// A deprovision during an async provision stops it.
	p, err := provision("i1", pgLarge, nil)
	if err != nil || !p.Async {
		t.Fatal(p, err)
	}
	d, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "i1", ServiceID: pgService, PlanID: pgLarge, AcceptsIncomplete: true})
	if err != nil || !d.Async {
		t.Fatalf("deprovision during provision = %+v %v", d, err)
	}
	// A second DELETE while the delete runs answers 202 with the same operation.
	d2, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "i1", ServiceID: pgService, PlanID: pgLarge, AcceptsIncomplete: true})
	if err != nil || !d2.Async || *d2.OperationKey != *d.OperationKey {
		t.Fatalf("repeated deprovision = %+v %v", d2, err)
	}
	// Polling with the old provision operation is refused now.
	if _, err := c.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "i1", OperationKey: p.OperationKey}); !osb.IsBadRequest(err) {
		t.Errorf("poll with a stale operation: %v", err)
	}
	// An async deprovision needs accepts_incomplete.
	if _, err := provision("i2", pgLarge, nil); err != nil {
		t.Fatal(err)
	}
	// GET instance during an update is a ConcurrencyError; an update
	// during an update too, unless it is the same update.
	if _, err := provision("i3", pgSmall, map[string]any{"storageGB": 10}); err != nil {
		t.Fatal(err)
	}
	if err := b.SetBehavior(pgSmall, broker.Behavior{Update: &broker.OpBehavior{Mode: broker.ModeAsync, AsyncPolls: 5}}); err != nil {
		t.Fatal(err)
	}
	u, err := c.Update(ctx, &osb.UpdateRequest{InstanceID: "i3", ServiceID: pgService, AcceptsIncomplete: true, Parameters: map[string]any{"storageGB": 20}})
	if err != nil || !u.Async {
		t.Fatal(u, err)
	}
	if _, err := c.GetInstance(ctx, &osb.GetInstanceRequest{InstanceID: "i3"}); !osb.IsConcurrencyError(err) {
		t.Errorf("GET during update: %v", err)
	}
	if again, err := c.Update(ctx, &osb.UpdateRequest{InstanceID: "i3", ServiceID: pgService, AcceptsIncomplete: true, Parameters: map[string]any{"storageGB": 20}}); err != nil || *again.OperationKey != *u.OperationKey {
		t.Errorf("same update again = %+v %v", again, err)
	}
	if _, err := c.Update(ctx, &osb.UpdateRequest{InstanceID: "i3", ServiceID: pgService, AcceptsIncomplete: true, Parameters: map[string]any{"storageGB": 30}}); !osb.IsConcurrencyError(err) {
		t.Errorf("different update during update: %v", err)
	}
	if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "i3", ServiceID: pgService, PlanID: pgSmall, AcceptsIncomplete: true}); !osb.IsConcurrencyError(err) {
		t.Errorf("deprovision during update: %v", err)
	}
	if _, err := c.Update(ctx, &osb.UpdateRequest{InstanceID: "i2", ServiceID: pgService, Parameters: map[string]any{"a": 1}}); !osb.IsConcurrencyError(err) {
		t.Errorf("update during provision: %v", err)
	}
	// Plan changes need plan_updateable; context-only updates need allow_context_updates.
	if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "s3", ServiceID: s3Service, PlanID: s3Archive, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(ctx, &osb.UpdateRequest{InstanceID: "s3", ServiceID: s3Service, PlanID: ptr("e5f6a7b8-9c0d-4e1f-8a2b-3c4d5e6f7a01")}); err == nil || !strings.Contains(err.Error(), "does not allow plan changes") {
		t.Errorf("plan change from a non-updatable plan: %v", err)
	}
	if _, err := c.Update(ctx, &osb.UpdateRequest{InstanceID: "s3", ServiceID: s3Service, Context: k8sContext}); err == nil || !strings.Contains(err.Error(), "context updates") {
		t.Errorf("context-only update: %v", err)
	}
	if _, err := c.Update(ctx, &osb.UpdateRequest{InstanceID: "s3", ServiceID: s3Service, MaintenanceInfo: &osb.MaintenanceInfo{Version: "9"}}); !osb.IsMaintenanceInfoConflict(err) {
		t.Errorf("maintenance update: %v", err)
	}
	// The dashboard of an instance is served.
	r := send(t, srv, "GET", "/dashboard/instances/s3", "")
	if r.status != 200 || !strings.Contains(r.body, "s3-bucket") || !strings.Contains(r.body, "archive") {
		t.Errorf("dashboard = %d %s", r.status, r.body)
	}
}

func TestBindingEdges(t *testing.T) {
	_, srv := startBroker(t, broker.Options{})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	for id, plan := range map[string]string{"exporter": redisExporter, "cache": redisCache} {
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: id, ServiceID: redisService, PlanID: plan, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "exporter", BindingID: "b", ServiceID: redisService, PlanID: redisExporter}); !osb.IsBadRequest(err) {
		t.Errorf("bind to a non-bindable plan: %v", err)
	}
	bd, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "cache", BindingID: "b", ServiceID: redisService, PlanID: redisCache})
	if err != nil || bd.Credentials["port"] != json.Number("6379") {
		t.Fatalf("bind = %+v %v", bd, err)
	}
	// redis is not bindings_retrievable: the platform must not fetch.
	if _, err := c.GetBinding(ctx, &osb.GetBindingRequest{InstanceID: "cache", BindingID: "b"}); !osb.IsBadRequest(err) {
		t.Errorf("GET binding of a non-retrievable offering: %v", err)
	}
	// RequiresApp.
	if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "app", ServiceID: faultService, PlanID: faultNeedsApp, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "app", BindingID: "b", ServiceID: faultService, PlanID: faultNeedsApp}); !osb.IsRequiresApp(err) {
		t.Errorf("bind without app_guid: %v", err)
	}
	if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "app", BindingID: "b", ServiceID: faultService, PlanID: faultNeedsApp, BindResource: &osb.BindResource{AppGUID: "ns"}}); err != nil {
		t.Errorf("bind with app_guid: %v", err)
	}
	// A synchronous binding can be polled (state succeeded) and an unknown one is 404.
	if lo, err := c.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{InstanceID: "cache", BindingID: "b"}); err != nil || lo.State != osb.StateSucceeded {
		t.Errorf("poll of a sync binding = %+v %v", lo, err)
	}
	if _, err := c.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{InstanceID: "cache", BindingID: "nope"}); !osb.IsNotFound(err) {
		t.Errorf("poll of an unknown binding: %v", err)
	}
	// Async bind without accepts_incomplete is 422 AsyncRequired.
	if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "rb", ServiceID: rabbitService, PlanID: "c4a1e8d2-6f3b-4a9c-8d7e-5b6a7c8d9e01", OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
		t.Fatal(err)
	}
}

func TestBehaviorKnobs(t *testing.T) {
	ctx := context.Background()
	t.Run("fail first N times", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		err := b.SetBehavior("postgresql/small", broker.Behavior{Provision: &broker.OpBehavior{FailStatus: 503, FailTimes: 2, FailError: "Busy", FailDescription: "try later"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			_, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "x", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"})
			if i <= 2 {
				var h *osb.HTTPStatusCodeError
				if !errors.As(err, &h) || h.StatusCode != 503 || h.ErrorCode != "Busy" || h.Description != "try later" {
					t.Fatalf("attempt %d: %v", i, err)
				}
				if !osb.NeedsOrphanMitigation(osb.OperationProvision, err) {
					t.Error("503 on provision needs orphan mitigation")
				}
				if len(b.Instances()) != 0 {
					t.Error("a failed provision created an instance")
				}
			} else if err != nil {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
	})
	t.Run("fail always with an HTML page", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		if err := b.SetBehavior(pgSmall, broker.Behavior{Default: &broker.OpBehavior{FailStatus: 502, FailBody: "<html><title>Bad Gateway</title></html>"}}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			_, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "x", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"})
			if err == nil || err.Error() != "broker returned 502 Bad Gateway: Bad Gateway" {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
	})
	t.Run("hang applies the provision and times the client out", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL, func(c *osb.Config) { c.Timeout = 300 * time.Millisecond })
		req := &osb.ProvisionRequest{InstanceID: "orphan", ServiceID: faultService, PlanID: faultHang, OrganizationGUID: "o", SpaceGUID: "s"}
		_, err := c.Provision(ctx, req)
		if !osb.IsTimeout(err) || !osb.NeedsOrphanMitigation(osb.OperationProvision, err) {
			t.Fatalf("hanging provision: %v", err)
		}
		if _, ok := b.Instance("orphan"); !ok {
			t.Fatal("the hanging provision left no instance to orphan-mitigate")
		}
		// Orphan mitigation deletes it; the hang was for the first time only.
		c = newClient(t, srv.URL)
		if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "orphan", ServiceID: faultService, PlanID: faultHang}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Provision(ctx, req); err != nil {
			t.Fatalf("second provision: %v", err)
		}
	})
	t.Run("hang seconds then answer", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		if err := b.SetBehavior(pgSmall, broker.Behavior{GetInstance: &broker.OpBehavior{Hang: true, HangSeconds: 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "x", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := c.GetInstance(ctx, &osb.GetInstanceRequest{InstanceID: "x"}); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("answered after %v, want at least 1s", d)
		}
	})
	t.Run("malformed 201 applies the provision", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		_, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "m", ServiceID: faultService, PlanID: faultMalformed, OrganizationGUID: "o", SpaceGUID: "s"})
		if code, _ := osb.StatusCode(err); !osb.IsMalformedResponse(err) || code != 201 || !osb.NeedsOrphanMitigation(osb.OperationProvision, err) {
			t.Fatalf("malformed provision: %v", err)
		}
		if _, ok := b.Instance("m"); !ok {
			t.Error("no instance behind the malformed answer")
		}
	})
	t.Run("malformed bind hides the credentials", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		if err := b.SetBehavior(pgSmall, broker.Behavior{Bind: &broker.OpBehavior{Malformed201: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "i", BindingID: "b", ServiceID: pgService, PlanID: pgSmall})
		if !osb.IsMalformedResponse(err) || !osb.NeedsOrphanMitigation(osb.OperationBind, err) {
			t.Fatalf("malformed bind: %v", err)
		}
		bd := b.Bindings()
		if len(bd) != 1 {
			t.Fatalf("bindings = %+v", bd)
		}
		if pw := bd[0].Credentials["password"].(string); strings.Contains(err.Error(), pw) {
			t.Errorf("the error quotes the password: %v", err)
		}
	})
	t.Run("status 204", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		if err := b.SetBehavior(pgSmall, broker.Behavior{Deprovision: &broker.OpBehavior{Status204: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "i", ServiceID: pgService, PlanID: pgSmall})
		if !osb.IsUnexpectedStatus(err) || !osb.NeedsOrphanMitigation(osb.OperationDeprovision, err) {
			t.Fatalf("204 deprovision: %v", err)
		}
	})
	t.Run("async failed", func(t *testing.T) {
		_, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		p, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "f", AcceptsIncomplete: true, ServiceID: faultService, PlanID: faultAsyncFail, OrganizationGUID: "o", SpaceGUID: "s"})
		if err != nil || !p.Async {
			t.Fatal(p, err)
		}
		last, _ := pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
			return c.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "f", OperationKey: p.OperationKey})
		}, 0)
		if last.State != osb.StateFailed || last.Description == nil || *last.Description != "the injected provision failed" {
			t.Fatalf("final = %+v", last)
		}
		if !osb.LastOperationNeedsOrphanMitigation(osb.OperationProvision, last) {
			t.Error("a failed async provision needs orphan mitigation")
		}
		// The failed instance is not fetchable but can be deleted.
		if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "f", ServiceID: faultService, PlanID: faultAsyncFail}); err != nil {
			t.Errorf("orphan mitigation: %v", err)
		}
	})
	t.Run("poll faults do not advance the operation", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		err := b.SetBehavior(pgLarge, broker.Behavior{
			Provision:     &broker.OpBehavior{Mode: broker.ModeAsync, AsyncPolls: 1, AsyncState: "failed", InstanceUsable: ptr(false)},
			LastOperation: &broker.OpBehavior{FailStatus: 500, FailTimes: 2},
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i", AcceptsIncomplete: true, ServiceID: pgService, PlanID: pgLarge, OrganizationGUID: "o", SpaceGUID: "s"})
		if err != nil {
			t.Fatal(err)
		}
		poll := func() (*osb.LastOperationResponse, error) {
			return c.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "i", OperationKey: p.OperationKey})
		}
		var states []string
		for i := 0; i < 4; i++ {
			lo, err := poll()
			if err != nil {
				states = append(states, fmt.Sprint(osb.StatusCode(err)))
				continue
			}
			states = append(states, string(lo.State))
			if lo.State == osb.StateFailed && (lo.InstanceUsable == nil || *lo.InstanceUsable) {
				t.Errorf("failed poll instance_usable = %v", lo.InstanceUsable)
			}
		}
		if got := strings.Join(states, ","); got != "500 true,500 true,in progress,failed" {
			t.Errorf("polls = %s", got)
		}
	})
	t.Run("malformed and 204 polls", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		if err := b.SetBehavior(pgSmall, broker.Behavior{LastOperation: &broker.OpBehavior{MalformedBody: true, FailTimes: 1}, GetInstance: &broker.OpBehavior{Status204: true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "i"}); !osb.IsMalformedResponse(err) {
			t.Errorf("malformed poll: %v", err)
		}
		if _, err := c.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "i"}); err != nil {
			t.Errorf("second poll: %v", err)
		}
		if _, err := c.GetInstance(ctx, &osb.GetInstanceRequest{InstanceID: "i"}); !osb.IsUnexpectedStatus(err) {
			t.Errorf("204 GET instance: %v", err)
		}
	})
	t.Run("credentials override and async bind failure", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		err := b.SetBehavior(pgSmall, broker.Behavior{
			Credentials: map[string]any{"token": "t", "port": 1},
			Bind:        &broker.OpBehavior{Mode: broker.ModeAsync, AsyncState: "failed"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "i", BindingID: "b", ServiceID: pgService, PlanID: pgSmall}); !osb.IsAsyncRequired(err) {
			t.Fatalf("async bind without accepts_incomplete: %v", err)
		}
		bd, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "i", BindingID: "b", ServiceID: pgService, PlanID: pgSmall, AcceptsIncomplete: true})
		if err != nil || !bd.Async {
			t.Fatal(bd, err)
		}
		lo, err := c.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{InstanceID: "i", BindingID: "b", OperationKey: bd.OperationKey})
		if err != nil || lo.State != osb.StateFailed || !osb.LastOperationNeedsOrphanMitigation(osb.OperationBind, lo) {
			t.Fatalf("bind poll = %+v %v", lo, err)
		}
		if got := b.Bindings(); len(got) != 1 || got[0].Credentials["token"] != "t" || got[0].State != osb.StateFailed {
			t.Errorf("bindings = %+v", got)
		}
		// A new bind with the same id replaces the failed one.
		if err := b.ResetBehavior(pgSmall); err != nil {
			t.Fatal(err)
		}
		if bd, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "i", BindingID: "b", ServiceID: pgService, PlanID: pgSmall}); err != nil || bd.Credentials["port"] != json.Number("5432") {
			t.Errorf("rebind = %+v %v", bd, err)
		}
	})
	t.Run("binding fields are sent verbatim", func(t *testing.T) {
		b, srv := startBroker(t, broker.Options{})
		c := newClient(t, srv.URL)
		var bh broker.Behavior
		if err := json.Unmarshal([]byte(`{"bindingFields": {"endpoints": [{"host": "h", "ports": [5432]}],
			"metadata": {"expires_at": "2030-01-02T03:04:05.0Z"}, "syslog_drain_url": "syslog://logs",
			"route_service_url": "https://route", "volume_mounts": [{"driver": "nfs", "container_dir": "/data",
			"mode": "rw", "device_type": "shared", "device": {"volume_id": "v1"}}]}}`), &bh); err != nil {
			t.Fatal(err)
		}
		if err := b.SetBehavior(pgSmall, bh); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
			t.Fatal(err)
		}
		bound, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "i", BindingID: "b", ServiceID: pgService, PlanID: pgSmall})
		if err != nil {
			t.Fatal(err)
		}
		fetched, err := c.GetBinding(ctx, &osb.GetBindingRequest{InstanceID: "i", BindingID: "b"})
		if err != nil {
			t.Fatal(err)
		}
		type fields struct {
			Endpoints                       []osb.Endpoint
			Metadata                        *osb.BindingMetadata
			SyslogDrainURL, RouteServiceURL *string
			VolumeMounts                    []osb.VolumeMount
		}
		want := fields{[]osb.Endpoint{{Host: "h", Ports: []string{"5432"}}}, &osb.BindingMetadata{ExpiresAt: "2030-01-02T03:04:05.0Z"},
			ptr("syslog://logs"), ptr("https://route"),
			[]osb.VolumeMount{{Driver: "nfs", ContainerDir: "/data", Mode: "rw", DeviceType: "shared", Device: osb.VolumeDevice{VolumeID: "v1"}}}}
		if diff := cmp.Diff(want, fields{bound.Endpoints, bound.Metadata, bound.SyslogDrainURL, bound.RouteServiceURL, bound.VolumeMounts}); diff != "" {
			t.Errorf("bind (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, fields{fetched.Endpoints, fetched.Metadata, fetched.SyslogDrainURL, fetched.RouteServiceURL, fetched.VolumeMounts}); diff != "" {
			t.Errorf("GET binding (-want +got):\n%s", diff)
		}
		if err := json.Unmarshal([]byte(`{"bindingFields": {"endpoint": []}}`), &bh); err == nil {
			t.Error("an unknown binding field was accepted")
		}
	})
	t.Run("invalid behaviours are refused", func(t *testing.T) {
		b, _ := startBroker(t, broker.Options{})
		for _, bh := range []broker.Behavior{
			{Default: &broker.OpBehavior{Mode: "later"}},
			{Provision: &broker.OpBehavior{AsyncState: "done"}},
			{Bind: &broker.OpBehavior{FailStatus: 42}},
			{Unbind: &broker.OpBehavior{AsyncPolls: -1}},
		} {
			if err := b.SetBehavior(pgSmall, bh); err == nil {
				t.Errorf("SetBehavior(%+v) succeeded", bh)
			}
		}
		if err := b.SetBehavior("no-such-plan", broker.Behavior{}); err == nil {
			t.Error("SetBehavior on an unknown plan succeeded")
		}
		if _, _, err := b.Behavior("small"); err != nil {
			t.Errorf("plan by unique name: %v", err)
		}
	})
}

func TestRecordingIsBounded(t *testing.T) {
	b, srv := startBroker(t, broker.Options{MaxRecordedRequests: 10})
	for i := 0; i < 25; i++ {
		send(t, srv, "GET", "/v2/catalog", "", osb.HeaderRequestIdentity, fmt.Sprint(i))
	}
	reqs := b.Requests()
	if len(reqs) != 10 || reqs[0].Seq != 16 || reqs[9].Seq != 25 || reqs[9].Header.Get(osb.HeaderRequestIdentity) != "24" || reqs[9].Status != 200 {
		t.Fatalf("kept %d requests, first seq %d", len(reqs), reqs[0].Seq)
	}
	if since := b.RequestsSince(23); len(since) != 2 {
		t.Errorf("RequestsSince(23) = %d requests", len(since))
	}
	// Snapshots are copies.
	reqs[0].Header.Set("X-Mutated", "1")
	if b.Requests()[0].Header.Get("X-Mutated") != "" {
		t.Error("a snapshot shares headers with the record")
	}
	b.ResetRequests()
	if len(b.Requests()) != 0 {
		t.Error("ResetRequests kept requests")
	}
	send(t, srv, "GET", "/v2/catalog", "")
	if r := b.Requests(); len(r) != 1 || r[0].Seq != 26 {
		t.Errorf("after reset: %+v", r)
	}
	// Recording can be switched off.
	off, srvOff := startBroker(t, broker.Options{MaxRecordedRequests: -1})
	send(t, srvOff, "GET", "/v2/catalog", "")
	if len(off.Requests()) != 0 {
		t.Error("disabled recording recorded")
	}
}

func TestRecordingByteBudget(t *testing.T) {
	b, srv := startBroker(t, broker.Options{MaxRecordedBytes: 64 << 10})
	body := `{"service_id":"x","parameters":{"blob":"` + strings.Repeat("a", 8<<10) + `"}}`
	for i := 0; i < 40; i++ {
		send(t, srv, "PUT", fmt.Sprintf("/v2/service_instances/i%d", i), body)
	}
	reqs := b.Requests()
	if len(reqs) == 0 || len(reqs) > 8 || reqs[len(reqs)-1].Seq != 40 {
		t.Fatalf("kept %d requests under a 64 KiB budget", len(reqs))
	}
}

func TestConcurrentUse(t *testing.T) {
	b, srv := startBroker(t, broker.Options{MaxRecordedRequests: 500})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: id, ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
					errs <- err
				}
				if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: id, BindingID: "b", ServiceID: pgService, PlanID: pgSmall}); err != nil {
					errs <- err
				}
				_ = b.Instances()
				_ = b.Requests()
				if _, err := c.Unbind(ctx, &osb.UnbindRequest{InstanceID: id, BindingID: "b", ServiceID: pgService, PlanID: pgSmall}); err != nil {
					errs <- err
				}
				if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: id, ServiceID: pgService, PlanID: pgSmall}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(b.Instances()); n != 0 {
		t.Errorf("%d instances left", n)
	}
	if n := len(b.Requests()); n != 500 {
		t.Errorf("recorded %d requests, want the last 500", n)
	}
}

func TestCloseEndsHangs(t *testing.T) {
	b, srv := startBroker(t, broker.Options{})
	c := newClient(t, srv.URL, func(c *osb.Config) { c.Timeout = time.Minute })
	done := make(chan error, 1)
	go func() {
		_, err := c.Provision(context.Background(), &osb.ProvisionRequest{InstanceID: "h", ServiceID: faultService, PlanID: faultHang, OrganizationGUID: "o", SpaceGUID: "s"})
		done <- err
	}()
	waitFor(t, func() bool { return len(b.Instances()) == 1 })
	b.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("provision after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the hang")
	}
}
