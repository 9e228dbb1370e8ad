package broker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Ids of the demo catalog.
const (
	pgService      = "3f2d7c1e-8a4b-4c6d-9e0f-1a2b3c4d5e00"
	pgSmall        = "3f2d7c1e-8a4b-4c6d-9e0f-1a2b3c4d5e01"
	pgLarge        = "3f2d7c1e-8a4b-4c6d-9e0f-1a2b3c4d5e02"
	redisService   = "7b9e2a40-5c1d-4e8f-a6b3-0c9d8e7f6a00"
	redisCache     = "7b9e2a40-5c1d-4e8f-a6b3-0c9d8e7f6a01"
	redisExporter  = "7b9e2a40-5c1d-4e8f-a6b3-0c9d8e7f6a02"
	rabbitService  = "c4a1e8d2-6f3b-4a9c-8d7e-5b6a7c8d9e00"
	rabbitCluster  = "c4a1e8d2-6f3b-4a9c-8d7e-5b6a7c8d9e02"
	s3Service      = "e5f6a7b8-9c0d-4e1f-8a2b-3c4d5e6f7a00"
	s3Archive      = "e5f6a7b8-9c0d-4e1f-8a2b-3c4d5e6f7a02"
	faultService   = "0f1e2d3c-4b5a-4968-8776-655443322100"
	faultOnce      = "0f1e2d3c-4b5a-4968-8776-655443322101"
	faultHang      = "0f1e2d3c-4b5a-4968-8776-655443322102"
	faultMalformed = "0f1e2d3c-4b5a-4968-8776-655443322103"
	faultAsyncFail = "0f1e2d3c-4b5a-4968-8776-655443322104"
	faultNeedsApp  = "0f1e2d3c-4b5a-4968-8776-655443322105"

	testUser     = "broker-admin"
	testPassword = "broker-pa55"
)

var (
	user = &osb.OriginatingIdentity{
		Username: "alice", UID: "5d8e2c1a-0000-4000-8000-000000000001",
		Groups: []string{"system:authenticated", "team-a"}, Extra: map[string][]string{"scopes": {"db"}},
	}
	k8sContext = &osb.Context{Namespace: "team-a", ClusterID: "c1d2e3f4-0000-4000-8000-000000000009", InstanceName: "orders-db"}
)

// startBroker serves a broker with basic auth on 127.0.0.1.
func startBroker(t testing.TB, opts broker.Options) (*broker.Broker, *httptest.Server) {
	t.Helper()
	if opts.Username == "" && opts.BearerToken == "" {
		opts.Username, opts.Password = testUser, testPassword
	}
	b, err := broker.New(opts)
	if err != nil {
		t.Fatalf("broker.New: %v", err)
	}
	srv := httptest.NewServer(b)
	t.Cleanup(func() {
		b.Close()
		srv.Close()
	})
	return b, srv
}

func newClient(t testing.TB, url string, mods ...func(*osb.Config)) osb.Client {
	t.Helper()
	cfg := &osb.Config{
		Name: "test-broker", URL: url, Timeout: 5 * time.Second,
		Auth: &osb.AuthConfig{Basic: &osb.BasicAuthConfig{Username: testUser, Password: testPassword}},
	}
	for _, m := range mods {
		m(cfg)
	}
	c, err := osb.New(cfg)
	if err != nil {
		t.Fatalf("osb.New: %v", err)
	}
	return c
}

// pollUntilDone polls until the operation leaves "in progress", checking the
// Retry-After the broker sends, and returns the final answer and the polls.
func pollUntilDone(t *testing.T, poll func() (*osb.LastOperationResponse, error), wantRetry time.Duration) (*osb.LastOperationResponse, int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n := 1; time.Now().Before(deadline); n++ {
		resp, err := poll()
		if err != nil {
			t.Fatalf("poll %d: %v", n, err)
		}
		if resp.State != osb.StateInProgress {
			return resp, n
		}
		if resp.RetryAfter != wantRetry {
			t.Errorf("poll %d: RetryAfter = %v, want %v", n, resp.RetryAfter, wantRetry)
		}
	}
	t.Fatal("operation did not finish")
	return nil, 0
}

func ptr[T any](v T) *T { return &v }

// TestLifecycle runs the client against the broker through a whole lifecycle
// and then checks every MUST-level header and body field of the OSB checklist
// in the broker's record of the requests.
func TestLifecycle(t *testing.T) {
	b, srv := startBroker(t, broker.Options{})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	// ids that returned operations, checked against the record at the end
	returnedOps := map[string][]string{} // poll path -> operation keys returned for it
	remember := func(path string, key *string) {
		if key == nil {
			t.Fatalf("no operation key for %s", path)
		}
		returnedOps[path] = append(returnedOps[path], *key)
	}

	// Catalog.
	cat, err := c.GetCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for i := range cat.Services {
		names = append(names, cat.Services[i].Name)
		if err := osb.ValidateService(&cat.Services[i]); err != nil {
			t.Errorf("offering %s: %v", cat.Services[i].Name, err)
		}
		for _, p := range cat.Services[i].Plans {
			if strings.Contains(string(p.Metadata), "testBroker") {
				t.Errorf("plan %s serves its test knobs: %s", p.Name, p.Metadata)
			}
		}
	}
	if got := strings.Join(names, ","); got != "postgresql,redis,rabbitmq,s3-bucket,fault-injection" {
		t.Errorf("offerings = %s", got)
	}

	// Provision, synchronous.
	small := &osb.ProvisionRequest{
		InstanceID: "inst-small", AcceptsIncomplete: true, ServiceID: pgService, PlanID: pgSmall,
		OrganizationGUID: k8sContext.ClusterID, SpaceGUID: "ns-uid-team-a", Context: k8sContext,
		Parameters: map[string]any{"storageGB": 20, "extensions": []string{"postgis"}}, MaintenanceInfo: &osb.MaintenanceInfo{Version: "1.4.0"},
		OriginatingIdentity: user,
	}
	prov, err := c.Provision(ctx, small)
	if err != nil {
		t.Fatal(err)
	}
	if prov.Async || prov.DashboardURL == nil || !strings.HasSuffix(*prov.DashboardURL, "/dashboard/instances/inst-small") {
		t.Errorf("sync provision = %+v", prov)
	}
	if prov.Metadata == nil || prov.Metadata.Labels["test-broker/plan"] != "small" {
		t.Errorf("provision metadata = %+v", prov.Metadata)
	}
	if inst, ok := b.Instance("inst-small"); !ok || inst.PlanID != pgSmall || inst.Parameters["storageGB"] != json.Number("20") {
		t.Errorf("broker instance = %+v", inst)
	}
	// An identical re-PUT is 200 (a sync success), a different one 409.
	if again, err := c.Provision(ctx, small); err != nil || again.Async {
		t.Errorf("identical re-provision = %+v, %v", again, err)
	}
	diff := *small
	diff.Parameters = map[string]any{"storageGB": 30}
	if _, err := c.Provision(ctx, &diff); !osb.IsConflict(err) {
		t.Errorf("different re-provision error = %v, want 409", err)
	}

	// Provision, asynchronous, and poll.
	large := &osb.ProvisionRequest{
		InstanceID: "inst-large", AcceptsIncomplete: true, ServiceID: pgService, PlanID: pgLarge,
		OrganizationGUID: k8sContext.ClusterID, SpaceGUID: "ns-uid-team-a",
		Context:             &osb.Context{Namespace: "team-a", ClusterID: k8sContext.ClusterID, InstanceName: "analytics-db"},
		OriginatingIdentity: user,
	}
	prov, err = c.Provision(ctx, large)
	if err != nil {
		t.Fatal(err)
	}
	if !prov.Async || prov.OperationKey == nil || prov.DashboardURL == nil {
		t.Fatalf("async provision = %+v", prov)
	}
	remember("/v2/service_instances/inst-large/last_operation", prov.OperationKey)
	// The re-PUT while in progress answers 202 with the same operation.
	if again, err := c.Provision(ctx, large); err != nil || !again.Async || *again.OperationKey != *prov.OperationKey {
		t.Errorf("re-provision in progress = %+v, %v", again, err)
	}
	last, polls := pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
		return c.PollLastOperation(ctx, &osb.LastOperationRequest{
			InstanceID: "inst-large", ServiceID: pgService, PlanID: pgLarge, OperationKey: prov.OperationKey, OriginatingIdentity: user,
		})
	}, time.Second)
	if last.State != osb.StateSucceeded || polls != 3 {
		t.Errorf("provision finished %s after %d polls, want succeeded after 3", last.State, polls)
	}

	// Fetch an instance.
	got, err := c.GetInstance(ctx, &osb.GetInstanceRequest{InstanceID: "inst-small", ServiceID: pgService, PlanID: pgSmall})
	if err != nil {
		t.Fatal(err)
	}
	if got.PlanID != pgSmall || got.Parameters["storageGB"] != json.Number("20") || got.MaintenanceInfo.Version != "1.4.0" {
		t.Errorf("GetInstance = %+v", got)
	}

	// Update, synchronous: parameters only.
	upd, err := c.Update(ctx, &osb.UpdateRequest{
		InstanceID: "inst-small", AcceptsIncomplete: true, ServiceID: pgService, Parameters: map[string]any{"storageGB": 40},
		Context: k8sContext, PreviousValues: &osb.PreviousValues{PlanID: pgSmall, MaintenanceInfo: &osb.MaintenanceInfo{Version: "1.4.0"}},
		OriginatingIdentity: user,
	})
	if err != nil || upd.Async {
		t.Fatalf("sync update = %+v, %v", upd, err)
	}
	if inst, _ := b.Instance("inst-small"); inst.Parameters["storageGB"] != json.Number("40") {
		t.Errorf("parameters after update = %v", inst.Parameters)
	}

	// Update, asynchronous: a plan change, polled with the old plan id.
	upd, err = c.Update(ctx, &osb.UpdateRequest{
		InstanceID: "inst-large", AcceptsIncomplete: true, ServiceID: pgService, PlanID: ptr(pgSmall),
		Context: large.Context, PreviousValues: &osb.PreviousValues{PlanID: pgLarge}, OriginatingIdentity: user,
	})
	if err != nil || !upd.Async || upd.OperationKey == nil {
		t.Fatalf("async update = %+v, %v", upd, err)
	}
	remember("/v2/service_instances/inst-large/last_operation", upd.OperationKey)
	if inst, _ := b.Instance("inst-large"); inst.PlanID != pgLarge {
		t.Errorf("plan changed before the update finished: %s", inst.PlanID)
	}
	last, _ = pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
		return c.PollLastOperation(ctx, &osb.LastOperationRequest{
			InstanceID: "inst-large", ServiceID: pgService, PlanID: pgLarge, OperationKey: upd.OperationKey, OriginatingIdentity: user,
		})
	}, time.Second)
	if last.State != osb.StateSucceeded {
		t.Errorf("update finished %s", last.State)
	}
	if inst, _ := b.Instance("inst-large"); inst.PlanID != pgSmall {
		t.Errorf("plan after the update = %s", inst.PlanID)
	}

	// Bind, synchronous, and fetch the binding.
	bindReq := &osb.BindRequest{
		BindingID: "bind-sync", InstanceID: "inst-small", ServiceID: pgService, PlanID: pgSmall,
		Context:      &osb.Context{Namespace: "team-a", ClusterID: k8sContext.ClusterID},
		BindResource: &osb.BindResource{AppGUID: "team-a"}, Parameters: map[string]any{"role": "readonly"},
		OriginatingIdentity: user,
	}
	bound, err := c.Bind(ctx, bindReq)
	if err != nil || bound.Async {
		t.Fatalf("sync bind = %+v, %v", bound, err)
	}
	for _, k := range []string{"uri", "username", "password", "host"} {
		if s, _ := bound.Credentials[k].(string); s == "" {
			t.Errorf("credential %s = %#v, want a string", k, bound.Credentials[k])
		}
	}
	if bound.Credentials["port"] != json.Number("5432") {
		t.Errorf("credential port = %#v, want the number 5432", bound.Credentials["port"])
	}
	if !strings.Contains(bound.Credentials["uri"].(string), bound.Credentials["password"].(string)) {
		t.Error("the uri does not carry the password")
	}
	if again, err := c.Bind(ctx, bindReq); err != nil {
		t.Errorf("identical re-bind: %v", err)
	} else if diff := cmp.Diff(bound.Credentials, again.Credentials); diff != "" {
		t.Errorf("identical re-bind credentials (-first +again):\n%s", diff)
	}
	fetched, err := c.GetBinding(ctx, &osb.GetBindingRequest{InstanceID: "inst-small", BindingID: "bind-sync", ServiceID: pgService, PlanID: pgSmall})
	if err != nil {
		t.Fatalf("GetBinding: %v", err)
	}
	type credentialsAndParameters struct{ Credentials, Parameters map[string]any }
	want := credentialsAndParameters{Credentials: bound.Credentials, Parameters: map[string]any{"role": "readonly"}}
	if diff := cmp.Diff(want, credentialsAndParameters{fetched.Credentials, fetched.Parameters}); diff != "" {
		t.Fatalf("GetBinding (-want +got):\n%s", diff)
	}
	if bd := b.Bindings(); len(bd) != 1 || bd[0].BindResource["app_guid"] != "team-a" {
		t.Errorf("broker bindings = %+v", bd)
	}

	// Bind, asynchronous, on a rabbitmq cluster.
	rabbit := &osb.ProvisionRequest{
		InstanceID: "inst-rabbit", AcceptsIncomplete: true, ServiceID: rabbitService, PlanID: rabbitCluster,
		OrganizationGUID: "org", SpaceGUID: "space", Context: k8sContext, OriginatingIdentity: user,
	}
	prov, err = c.Provision(ctx, rabbit)
	if err != nil || !prov.Async {
		t.Fatalf("rabbit provision = %+v, %v", prov, err)
	}
	remember("/v2/service_instances/inst-rabbit/last_operation", prov.OperationKey)
	// Binding while the instance is being provisioned is a concurrency error.
	if _, err := c.Bind(ctx, &osb.BindRequest{
		BindingID: "early", InstanceID: "inst-rabbit", ServiceID: rabbitService, PlanID: rabbitCluster, AcceptsIncomplete: true,
		Context: &osb.Context{Namespace: "team-a", ClusterID: k8sContext.ClusterID}, BindResource: &osb.BindResource{AppGUID: "team-a"},
		OriginatingIdentity: user,
	}); !osb.IsConcurrencyError(err) {
		t.Errorf("bind during provisioning: %v", err)
	}
	pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
		return c.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "inst-rabbit", ServiceID: rabbitService, PlanID: rabbitCluster, OperationKey: prov.OperationKey})
	}, time.Second)
	asyncBind := &osb.BindRequest{
		BindingID: "bind-async", InstanceID: "inst-rabbit", AcceptsIncomplete: true, ServiceID: rabbitService, PlanID: rabbitCluster,
		Context: &osb.Context{Namespace: "team-a", ClusterID: k8sContext.ClusterID}, BindResource: &osb.BindResource{AppGUID: "team-a"},
		OriginatingIdentity: user,
	}
	bound, err = c.Bind(ctx, asyncBind)
	if err != nil || !bound.Async || bound.OperationKey == nil || bound.Credentials != nil {
		t.Fatalf("async bind = %+v, %v", bound, err)
	}
	remember("/v2/service_instances/inst-rabbit/service_bindings/bind-async/last_operation", bound.OperationKey)
	if _, err := c.GetBinding(ctx, &osb.GetBindingRequest{InstanceID: "inst-rabbit", BindingID: "bind-async"}); !osb.IsNotFound(err) {
		t.Errorf("GetBinding while binding: %v, want 404", err)
	}
	last, _ = pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
		return c.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{
			InstanceID: "inst-rabbit", BindingID: "bind-async", ServiceID: rabbitService, PlanID: rabbitCluster, OperationKey: bound.OperationKey, OriginatingIdentity: user,
		})
	}, time.Second)
	if last.State != osb.StateSucceeded {
		t.Fatalf("async bind finished %s", last.State)
	}
	fetched, err = c.GetBinding(ctx, &osb.GetBindingRequest{InstanceID: "inst-rabbit", BindingID: "bind-async", ServiceID: rabbitService, PlanID: rabbitCluster})
	if err != nil || fetched.Credentials["port"] != json.Number("5672") || !strings.HasPrefix(fetched.Credentials["uri"].(string), "amqp://") {
		t.Fatalf("GetBinding after async bind = %+v, %v", fetched, err)
	}

	// A deprovision with bindings left is refused.
	if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "inst-small", ServiceID: pgService, PlanID: pgSmall, AcceptsIncomplete: true, OriginatingIdentity: user}); err == nil {
		t.Error("deprovision with bindings succeeded")
	}

	// Unbind, synchronous; a second one is 410 Gone.
	ub, err := c.Unbind(ctx, &osb.UnbindRequest{BindingID: "bind-sync", InstanceID: "inst-small", ServiceID: pgService, PlanID: pgSmall, AcceptsIncomplete: true, OriginatingIdentity: user})
	if err != nil || ub.Async {
		t.Fatalf("sync unbind = %+v, %v", ub, err)
	}
	if _, err := c.Unbind(ctx, &osb.UnbindRequest{BindingID: "bind-sync", InstanceID: "inst-small", ServiceID: pgService, PlanID: pgSmall, OriginatingIdentity: user}); !osb.IsGone(err) {
		t.Errorf("second unbind: %v, want 410", err)
	}

	// Unbind, asynchronous; polling after it finished is 410 Gone.
	ub, err = c.Unbind(ctx, &osb.UnbindRequest{BindingID: "bind-async", InstanceID: "inst-rabbit", ServiceID: rabbitService, PlanID: rabbitCluster, AcceptsIncomplete: true, OriginatingIdentity: user})
	if err != nil || !ub.Async || ub.OperationKey == nil {
		t.Fatalf("async unbind = %+v, %v", ub, err)
	}
	remember("/v2/service_instances/inst-rabbit/service_bindings/bind-async/last_operation", ub.OperationKey)
	pollBinding := func() (*osb.LastOperationResponse, error) {
		return c.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{
			InstanceID: "inst-rabbit", BindingID: "bind-async", ServiceID: rabbitService, PlanID: rabbitCluster, OperationKey: ub.OperationKey,
		})
	}
	if last, _ = pollUntilDone(t, pollBinding, time.Second); last.State != osb.StateSucceeded {
		t.Errorf("async unbind finished %s", last.State)
	}
	if _, err := pollBinding(); !osb.IsGone(err) {
		t.Errorf("binding poll after async unbind: %v, want 410", err)
	}

	// Deprovision, synchronous; a second one is 410 Gone.
	dp, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "inst-small", ServiceID: pgService, PlanID: pgSmall, AcceptsIncomplete: true, OriginatingIdentity: user})
	if err != nil || dp.Async {
		t.Fatalf("sync deprovision = %+v, %v", dp, err)
	}
	if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "inst-small", ServiceID: pgService, PlanID: pgSmall, OriginatingIdentity: user}); !osb.IsGone(err) {
		t.Errorf("second deprovision: %v, want 410", err)
	}

	// Deprovision, asynchronous; polling after it finished is 410 Gone.
	dp, err = c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "inst-rabbit", ServiceID: rabbitService, PlanID: rabbitCluster, AcceptsIncomplete: true, OriginatingIdentity: user})
	if err != nil || !dp.Async || dp.OperationKey == nil {
		t.Fatalf("async deprovision = %+v, %v", dp, err)
	}
	remember("/v2/service_instances/inst-rabbit/last_operation", dp.OperationKey)
	pollInstance := func() (*osb.LastOperationResponse, error) {
		return c.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "inst-rabbit", ServiceID: rabbitService, PlanID: rabbitCluster, OperationKey: dp.OperationKey})
	}
	if last, _ = pollUntilDone(t, pollInstance, time.Second); last.State != osb.StateSucceeded {
		t.Errorf("async deprovision finished %s", last.State)
	}
	if _, err := pollInstance(); !osb.IsGone(err) {
		t.Errorf("poll after async deprovision: %v, want 410", err)
	}
	// inst-large is on the sync small plan now.
	if _, err := c.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "inst-large", ServiceID: pgService, PlanID: pgSmall, AcceptsIncomplete: true, OriginatingIdentity: user}); err != nil {
		t.Fatal(err)
	}
	if n, m := len(b.Instances()), len(b.Bindings()); n != 0 || m != 0 {
		t.Errorf("broker still holds %d instances and %d bindings", n, m)
	}

	assertMustFields(t, b.Requests(), returnedOps)
}

// assertMustFields checks, request by request, what the OSB checklist marks
// MUST for the platform.
func assertMustFields(t *testing.T, reqs []broker.RecordedRequest, returnedOps map[string][]string) {
	t.Helper()
	if len(reqs) < 30 {
		t.Fatalf("only %d requests recorded", len(reqs))
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testPassword))
	seen := map[string]bool{}
	for _, r := range reqs {
		where := r.Method + " " + r.Path + "?" + r.RawQuery
		// A.1: the API version header on every request.
		if v := r.Header.Get(osb.HeaderAPIVersion); v != "2.17" {
			t.Errorf("%s: %s = %q", where, osb.HeaderAPIVersion, v)
		}
		// D.16: authentication on every request.
		if v := r.Header.Get("Authorization"); v != wantAuth {
			t.Errorf("%s: Authorization = %q", where, v)
		}
		// C.14/15: a non-empty request identity on every request (unique per attempt).
		id := r.Header.Get(osb.HeaderRequestIdentity)
		if id == "" || seen[id] {
			t.Errorf("%s: request identity %q missing or reused", where, id)
		}
		seen[id] = true
		// E.20: JSON content type on bodies.
		if len(r.Body) > 0 && r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: body sent with Content-Type %q", where, r.Header.Get("Content-Type"))
		}
		// B.8/12/13: user actions carry the originating identity of the user.
		userAction := r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodDelete
		idHeader := r.Header.Get(osb.HeaderOriginatingIdentity)
		if userAction && idHeader == "" {
			t.Errorf("%s: no originating identity on a user action", where)
		}
		var platform string
		if idHeader != "" {
			p, who, err := osb.ParseOriginatingIdentity(idHeader)
			if err != nil || p != "kubernetes" || !reflect.DeepEqual(who, user) {
				t.Errorf("%s: originating identity %q decodes to %q %+v %v", where, idHeader, p, who, err)
			}
			platform = p
		}
		q := r.Query()
		var body map[string]any
		if len(r.Body) > 0 {
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Errorf("%s: body is not a JSON object: %v", where, err)
			}
		}
		isBinding := strings.Contains(r.Path, "/service_bindings/")
		switch {
		case r.Method == http.MethodPut && !isBinding: // H.45, I.48-49
			requireFields(t, where, body, "service_id", "plan_id", "organization_guid", "space_guid")
			requireContext(t, where, body, platform, "namespace", "clusterid", "instance_name")
		case r.Method == http.MethodPatch: // K.58
			requireFields(t, where, body, "service_id")
			requireContext(t, where, body, platform, "namespace", "clusterid", "instance_name")
		case r.Method == http.MethodPut && isBinding: // O.81
			requireFields(t, where, body, "service_id", "plan_id")
			requireContext(t, where, body, platform, "namespace", "clusterid")
			if br, _ := body["bind_resource"].(map[string]any); br["app_guid"] == "" || br["app_guid"] == nil {
				t.Errorf("%s: bind_resource.app_guid missing", where)
			}
		case r.Method == http.MethodDelete: // R.90, R.94
			if q.Get("service_id") == "" || q.Get("plan_id") == "" {
				t.Errorf("%s: DELETE without service_id and plan_id", where)
			}
		case strings.HasSuffix(r.Path, "/last_operation"): // M.68, N.75
			if !slices.Contains(returnedOps[r.Path], q.Get("operation")) {
				t.Errorf("%s: operation %q is not one the broker returned (%q)", where, q.Get("operation"), returnedOps[r.Path])
			}
			if q.Get("service_id") == "" || q.Get("plan_id") == "" {
				t.Errorf("%s: poll without service_id and plan_id", where)
			}
		}
		// Every request succeeded or failed on purpose: nothing was rejected
		// for a malformed request.
		if r.Status == http.StatusBadRequest || r.Status == http.StatusPreconditionFailed || r.Status == http.StatusUnauthorized {
			t.Errorf("%s: broker answered %d", where, r.Status)
		}
	}
	// The operation keys hold characters that need percent-encoding; check
	// one raw query to be sure they were encoded, not sent raw.
	for _, r := range reqs {
		if strings.HasSuffix(r.Path, "/last_operation") && strings.Contains(r.RawQuery, "operation=") {
			if strings.Contains(r.RawQuery, " ") || strings.Count(r.RawQuery, "&") != 2 {
				t.Errorf("operation not percent-encoded in %q", r.RawQuery)
			}
			break
		}
	}
}

func requireFields(t *testing.T, where string, body map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if s, _ := body[f].(string); s == "" {
			t.Errorf("%s: body lacks %s", where, f)
		}
	}
}

func requireContext(t *testing.T, where string, body map[string]any, platform string, fields ...string) {
	t.Helper()
	ctx, _ := body["context"].(map[string]any)
	if ctx == nil {
		t.Errorf("%s: no context object", where)
		return
	}
	if ctx["platform"] != "kubernetes" || (platform != "" && ctx["platform"] != platform) {
		t.Errorf("%s: context.platform %v (identity platform %q)", where, ctx["platform"], platform)
	}
	for _, f := range fields {
		if s, _ := ctx[f].(string); s == "" {
			t.Errorf("%s: context lacks %s", where, f)
		}
	}
}
