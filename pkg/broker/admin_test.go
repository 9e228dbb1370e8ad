package broker_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestAdminAPI(t *testing.T) {
	b, srv := startBroker(t, broker.Options{})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	noVersion := []string{}

	// Requests are recorded with headers and body; admin calls are not.
	if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i1", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s", OriginatingIdentity: user}); err != nil {
		t.Fatal(err)
	}
	send(t, srv, "PUT", "/v2/service_instances/bin", "\xff\xfe")
	r := send(t, srv, "GET", "/admin/requests", "", noVersion...)
	var reqs []broker.RecordedRequest
	if err := json.Unmarshal([]byte(r.body), &reqs); err != nil || r.status != 200 {
		t.Fatalf("GET /admin/requests = %d %v %s", r.status, err, r.body)
	}
	if len(reqs) != 2 || reqs[0].Method != "PUT" || reqs[0].Header.Get(osb.HeaderOriginatingIdentity) != identityHeader(t) ||
		!strings.Contains(string(reqs[0].Body), `"plan_id":"`+pgSmall+`"`) || reqs[0].Status != 201 {
		t.Fatalf("recorded = %+v", reqs)
	}
	if string(reqs[1].Body) != "\xff\xfe" || !strings.Contains(r.body, `"bodyBase64"`) || !strings.Contains(r.body, `"body":"{`) {
		t.Errorf("bodies did not survive JSON: %s", r.body)
	}
	r = send(t, srv, "GET", "/admin/requests?since="+jsonNumber(reqs[0].Seq), "")
	if err := json.Unmarshal([]byte(r.body), &reqs); err != nil || len(reqs) != 1 {
		t.Errorf("since: %d %s", r.status, r.body)
	}
	if r := send(t, srv, "GET", "/admin/requests?since=x", ""); r.status != 400 {
		t.Errorf("bad since = %d", r.status)
	}
	if r := send(t, srv, "DELETE", "/admin/requests", ""); r.status != 204 || len(b.Requests()) != 0 {
		t.Errorf("DELETE /admin/requests = %d, %d left", r.status, len(b.Requests()))
	}

	// Instances and bindings.
	if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "i1", BindingID: "b1", ServiceID: pgService, PlanID: pgSmall}); err != nil {
		t.Fatal(err)
	}
	var insts []broker.Instance
	if r := send(t, srv, "GET", "/admin/instances", ""); json.Unmarshal([]byte(r.body), &insts) != nil || len(insts) != 1 || insts[0].Bindings[0] != "b1" {
		t.Errorf("GET /admin/instances = %s", r.body)
	}
	var binds []broker.Binding
	if r := send(t, srv, "GET", "/admin/bindings", ""); json.Unmarshal([]byte(r.body), &binds) != nil || len(binds) != 1 || binds[0].Credentials["password"] == "" {
		t.Errorf("GET /admin/bindings = %s", r.body)
	}

	// Behaviours: set by offering/plan name in YAML, read, use, remove.
	path := "/admin/behaviors/" + url.PathEscape("postgresql/small")
	if r := send(t, srv, "PUT", path, "provision:\n  failStatus: 507\n  failTimes: 1\n"); r.status != 204 {
		t.Fatalf("PUT behaviour = %d %s", r.status, r.body)
	}
	r = send(t, srv, "GET", path, "")
	if r.status != 200 || !strings.Contains(r.body, `"override":true`) || !strings.Contains(r.body, `"failStatus":507`) {
		t.Errorf("GET behaviour = %d %s", r.status, r.body)
	}
	if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i2", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err == nil || !strings.Contains(err.Error(), "507") {
		t.Errorf("provision under the admin behaviour: %v", err)
	}
	var all []broker.PlanBehavior
	if r := send(t, srv, "GET", "/admin/behaviors", ""); json.Unmarshal([]byte(r.body), &all) != nil || len(all) < 10 {
		t.Errorf("GET /admin/behaviors = %s", r.body)
	}
	overrides := 0
	for _, pb := range all {
		if pb.Override {
			overrides++
			if pb.Offering != "postgresql" || pb.Plan != "small" {
				t.Errorf("override on %s/%s", pb.Offering, pb.Plan)
			}
		}
	}
	if overrides != 1 {
		t.Errorf("%d overrides listed", overrides)
	}
	if r := send(t, srv, "DELETE", path, ""); r.status != 204 {
		t.Errorf("DELETE behaviour = %d", r.status)
	}
	if r := send(t, srv, "GET", "/admin/behaviors/"+pgLarge, ""); !strings.Contains(r.body, `"override":false`) || !strings.Contains(r.body, `"async"`) {
		t.Errorf("catalog behaviour = %s", r.body)
	}
	for _, bad := range []struct {
		path, body string
		status     int
	}{
		{"/admin/behaviors/nope", "{}", 404},
		{path, `{"provision":{"mode":"sometimes"}}`, 400},
		{path, `{"provision":{"unknownKnob":1}}`, 400},
		{path, `[`, 400},
	} {
		if r := send(t, srv, "PUT", bad.path, bad.body); r.status != bad.status {
			t.Errorf("PUT %s %s = %d, want %d", bad.path, bad.body, r.status, bad.status)
		}
	}

	// Catalog replacement.
	data, err := os.ReadFile("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if r := send(t, srv, "PUT", "/admin/catalog", string(data)); r.status != 204 {
		t.Fatalf("PUT /admin/catalog = %d %s", r.status, r.body)
	}
	cat, err := c.GetCatalog(ctx)
	if err != nil || len(cat.Services) != 1 || cat.Services[0].Name != "example-db" {
		t.Fatalf("catalog after PUT = %+v %v", cat, err)
	}
	if r := send(t, srv, "GET", "/admin/catalog", ""); !strings.Contains(r.body, "example-db") {
		t.Errorf("GET /admin/catalog = %s", r.body)
	}
	if r := send(t, srv, "PUT", "/admin/catalog", `{"services":[{}]}`); r.status != 400 {
		t.Errorf("PUT of an invalid catalog = %d", r.status)
	}

	// Reset.
	if r := send(t, srv, "POST", "/admin/reset", ""); r.status != 204 || len(b.Instances()) != 0 || len(b.Bindings()) != 0 {
		t.Errorf("reset = %d", r.status)
	}
	for _, m := range []struct{ method, path string }{
		{"POST", "/admin/requests"}, {"PUT", "/admin/instances"}, {"DELETE", "/admin/bindings"}, {"POST", "/admin/behaviors"},
		{"POST", "/admin/behaviors/" + pgSmall}, {"DELETE", "/admin/catalog"}, {"GET", "/admin/reset"},
	} {
		if r := send(t, srv, m.method, m.path, ""); r.status != 405 {
			t.Errorf("%s %s = %d", m.method, m.path, r.status)
		}
	}
	if r := send(t, srv, "GET", "/admin/nothing", ""); r.status != 404 {
		t.Errorf("unknown admin path = %d", r.status)
	}
	send(t, srv, "GET", "/v2/catalog", "")
	if n := len(b.Requests()); n != 1 {
		t.Errorf("%d requests recorded after reset and one OSB call; admin calls must not be recorded", n)
	}
}

func jsonNumber(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// DELETE /admin/instances/{id} loses an instance and its bindings: the broker answers
// 404 for them from then on, as one that lost them would, and keeps no record of a
// delete (a 410).
func TestLosingAnInstance(t *testing.T) {
	b, srv := startBroker(t, broker.Options{})
	c := newClient(t, srv.URL)
	ctx := context.Background()
	if _, err := c.Provision(ctx, &osb.ProvisionRequest{InstanceID: "i1", ServiceID: pgService, PlanID: pgSmall, OrganizationGUID: "o", SpaceGUID: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Bind(ctx, &osb.BindRequest{InstanceID: "i1", BindingID: "b1", ServiceID: pgService, PlanID: pgSmall}); err != nil {
		t.Fatal(err)
	}
	if r := send(t, srv, "DELETE", "/admin/instances/i1", ""); r.status != 204 {
		t.Fatalf("DELETE /admin/instances/i1 = %d %s", r.status, r.body)
	}
	if r := send(t, srv, "DELETE", "/admin/instances/i1", ""); r.status != 404 {
		t.Errorf("losing it twice = %d", r.status)
	}
	if _, held := b.Instance("i1"); held || len(b.Bindings()) != 0 {
		t.Errorf("the broker still holds the instance (%v) or %d bindings", held, len(b.Bindings()))
	}
	if r := send(t, srv, "GET", "/v2/service_instances/i1/last_operation", ""); r.status != 404 {
		t.Errorf("last_operation of the lost instance = %d, want 404", r.status)
	}
}
