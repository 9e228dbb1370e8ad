package osb

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const fullCatalog = `{
  "services": [{
    "name": "postgresql",
    "id": "svc-pg",
    "description": "PostgreSQL",
    "tags": ["sql", "db"],
    "requires": ["syslog_drain"],
    "bindable": true,
    "instances_retrievable": true,
    "bindings_retrievable": true,
    "allow_context_updates": true,
    "plan_updateable": true,
    "metadata": {"displayName": "PostgreSQL", "shareable": true},
    "dashboard_client": {"id": "dash", "secret": "dash-secret", "redirect_uri": "https://dash"},
    "some_future_field": {"x": [1, 2]},
    "plans": [{
      "id": "plan-small",
      "name": "small",
      "description": "Small",
      "metadata": {"bullets": ["1 GB"], "costs": [{"amount": {"usd": 99.0}, "unit": "MONTHLY"}]},
      "free": false,
      "bindable": false,
      "binding_rotatable": true,
      "plan_updateable": false,
      "schemas": {
        "service_instance": {
          "create": {"parameters": {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object"}},
          "update": {"parameters": {"type": "object", "properties": {"size": {"type": "integer"}}}}
        },
        "service_binding": {"create": {"parameters": {"type": "object"}, "response": {"type": "object"}}}
      },
      "maximum_polling_duration": 600,
      "maintenance_info": {"version": "1.4.0", "description": "OS patches"}
    }, {
      "id": "plan-default",
      "name": "default",
      "description": "Defaults everywhere",
      "metadata": null,
      "schemas": null,
      "maintenance_info": null
    }]
  }, {
    "name": "queue", "id": "svc-q", "description": "Queue", "bindable": false,
    "dashboard_client": null, "metadata": null, "plan_updateable": null,
    "plans": [{"id": "q1", "name": "standard", "description": "Std", "bindable": true}]
  }]
}`

func TestCatalogDecodesEveryField(t *testing.T) {
	ts := newTestServer(t, reply(200, fullCatalog))
	cat, err := newClientFor(t, ts.URL).GetCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Services) != 2 || cat.RequestIdentity == "" {
		t.Fatalf("catalog = %+v", cat)
	}
	pg, q := &cat.Services[0], &cat.Services[1]
	for _, s := range cat.Services {
		if err := ValidateService(&s); err != nil {
			t.Errorf("ValidateService(%s) = %v", s.Name, err)
		}
	}
	// The offering's own fields; its metadata and plans are checked below.
	offeringFields := []cmp.Option{cmpopts.IgnoreFields(Service{}, "Metadata", "Plans"), cmpopts.IgnoreUnexported(Service{})}
	wantPG := Service{
		Name: "postgresql", ID: "svc-pg", Description: "PostgreSQL", Tags: []string{"sql", "db"}, Requires: []string{"syslog_drain"},
		Bindable: true, InstancesRetrievable: true, BindingsRetrievable: true, AllowContextUpdates: true, PlanUpdatable: ptr(true),
		DashboardClient: &DashboardClient{ID: "dash", Secret: "dash-secret", RedirectURI: "https://dash"},
	}
	if diff := cmp.Diff(wantPG, *pg, offeringFields...); diff != "" {
		t.Errorf("offering (-want +got):\n%s", diff)
	}
	var meta map[string]any
	if err := json.Unmarshal(pg.Metadata, &meta); err != nil || meta["displayName"] != "PostgreSQL" || meta["shareable"] != true {
		t.Errorf("offering metadata = %s", pg.Metadata)
	}
	small, def := &pg.Plans[0], &pg.Plans[1]
	// planFacts are a plan's effective settings.
	type planFacts struct {
		ID                                       string
		Free, Bindable, Rotatable, PlanUpdatable bool
		MaximumPollingDuration                   *int
		MaintenanceInfo                          *MaintenanceInfo
	}
	facts := func(p *Plan) planFacts {
		return planFacts{
			ID: p.ID, Free: EffectiveFree(p), Bindable: EffectiveBindable(pg, p), Rotatable: EffectiveBindingRotatable(p),
			PlanUpdatable: EffectivePlanUpdatable(pg, p), MaximumPollingDuration: p.MaximumPollingDuration, MaintenanceInfo: p.MaintenanceInfo,
		}
	}
	wantSmall := planFacts{
		ID: "plan-small", Rotatable: true, MaximumPollingDuration: ptr(600),
		MaintenanceInfo: &MaintenanceInfo{Version: "1.4.0", Description: "OS patches"},
	}
	if diff := cmp.Diff(wantSmall, facts(small)); diff != "" {
		t.Errorf("plan small (-want +got):\n%s", diff)
	}
	if d, ok := small.MaximumPollingTime(); !ok || d != 10*time.Minute {
		t.Errorf("MaximumPollingTime = %v %t", d, ok)
	}
	if !strings.Contains(string(small.InstanceCreateSchema()), "draft-04") || !strings.Contains(string(small.InstanceUpdateSchema()), "size") ||
		string(small.BindingCreateSchema()) != `{"type": "object"}` {
		t.Errorf("schemas = %s / %s / %s", small.InstanceCreateSchema(), small.InstanceUpdateSchema(), small.BindingCreateSchema())
	}
	if !strings.Contains(string(small.Metadata), "MONTHLY") {
		t.Errorf("plan metadata = %s", small.Metadata)
	}
	// Absent and null fields take the offering's values or the defaults.
	if diff := cmp.Diff(planFacts{ID: "plan-default", Free: true, Bindable: true, PlanUpdatable: true}, facts(def)); diff != "" {
		t.Errorf("plan default (-want +got):\n%s", diff)
	}
	if def.Metadata != nil || def.Schemas != nil || def.InstanceCreateSchema() != nil {
		t.Errorf("plan default: metadata %s, schemas %+v, create schema %s; want none", def.Metadata, def.Schemas, def.InstanceCreateSchema())
	}
	if _, ok := def.MaximumPollingTime(); ok {
		t.Error("MaximumPollingTime set without maximum_polling_duration")
	}
	// Nulls decode as absent.
	queueFields := []cmp.Option{cmpopts.IgnoreFields(Service{}, "Plans"), cmpopts.IgnoreUnexported(Service{})}
	if diff := cmp.Diff(Service{Name: "queue", ID: "svc-q", Description: "Queue"}, *q, queueFields...); diff != "" {
		t.Errorf("offering queue (-want +got):\n%s", diff)
	}
	if !EffectiveBindable(q, &q.Plans[0]) || EffectivePlanUpdatable(q, &q.Plans[0]) {
		t.Errorf("queue plan: bindable %t, plan updatable %t; want bindable, not updatable",
			EffectiveBindable(q, &q.Plans[0]), EffectivePlanUpdatable(q, &q.Plans[0]))
	}
	if s := fmtAll(*pg.DashboardClient); strings.Contains(s, "dash-secret") {
		t.Errorf("dashboard client formats its secret: %s", s)
	}
}

func TestCatalogBadOfferingDoesNotFailCatalog(t *testing.T) {
	body := `{"services":[
		{"id":"good","name":"good","description":"d","bindable":true,"plans":[{"id":"p","name":"p","description":"d"}]},
		{"id":"typed","name":"typed","description":"d","bindable":"yes","plans":[{"id":"p","name":"p","description":"d","free":"no"}]},
		{"id":"noname","description":"d","plans":[]},
		"not an object",
		null,
		{"id":"dup","name":"dup","description":"d","plans":[{"id":"p","name":"a","description":"d","maximum_polling_duration":-1},{"id":"p","name":"a","description":"","schemas":{"service_instance":{"create":{"parameters":"x"}}}}]}
	]}`
	ts := newTestServer(t, reply(200, body))
	cat, err := newClientFor(t, ts.URL).GetCatalog(context.Background())
	if err != nil {
		t.Fatalf("one bad offering failed the catalog: %v", err)
	}
	if len(cat.Services) != 6 {
		t.Fatalf("got %d offerings, want 6", len(cat.Services))
	}
	want := []string{
		"",
		`offering does not decode: field "bindable": JSON string where bool was expected`,
		"offering name is required|offering must have at least one plan",
		"offering does not decode|offering id is required",
		"offering id is required|offering name is required|offering description is required",
		`duplicate plan id "p"|duplicate plan name "a"|plans[1]: plan description is required|maximum_polling_duration must not be negative|schemas.service_instance.create.parameters must be a JSON object`,
	}
	for i, w := range want {
		err := ValidateService(&cat.Services[i])
		if w == "" {
			if err != nil {
				t.Errorf("offering %d: %v", i, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("offering %d: no error, want %q", i, w)
			continue
		}
		for _, part := range strings.Split(w, "|") {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("offering %d: error %q lacks %q", i, err, part)
			}
		}
	}
	// The partly decoded offering keeps what did decode.
	if typed := cat.Services[1]; typed.ID != "typed" || len(typed.Plans) != 1 {
		t.Errorf("typed offering = %+v", typed)
	}
	if ValidateService(nil) == nil {
		t.Error("ValidateService(nil) = nil")
	}
}

func TestEffectiveValues(t *testing.T) {
	tr, fa := ptr(true), ptr(false)
	cases := []struct {
		name                string
		svc                 Service
		plan                Plan
		bindable, updatable bool
	}{
		{"offering defaults", Service{}, Plan{}, false, false},
		{"offering true", Service{Bindable: true, PlanUpdatable: tr}, Plan{}, true, true},
		{"plan overrides to false", Service{Bindable: true, PlanUpdatable: tr}, Plan{Bindable: fa, PlanUpdatable: fa}, false, false},
		{"plan overrides to true", Service{PlanUpdatable: fa}, Plan{Bindable: tr, PlanUpdatable: tr}, true, true},
	}
	for _, tc := range cases {
		if got := EffectiveBindable(&tc.svc, &tc.plan); got != tc.bindable {
			t.Errorf("%s: EffectiveBindable = %t", tc.name, got)
		}
		if got := EffectivePlanUpdatable(&tc.svc, &tc.plan); got != tc.updatable {
			t.Errorf("%s: EffectivePlanUpdatable = %t", tc.name, got)
		}
	}
	if !EffectiveFree(&Plan{}) || EffectiveFree(&Plan{Free: fa}) || !EffectiveFree(&Plan{Free: tr}) {
		t.Error("EffectiveFree is wrong")
	}
	if EffectiveBindable(nil, nil) || EffectivePlanUpdatable(nil, nil) || !EffectiveFree(nil) {
		t.Error("nil handling is wrong")
	}
}

func TestCatalogRoundTripsThroughJSON(t *testing.T) {
	// The test broker serves Service values with encoding/json; what it writes
	// must decode to the same values.
	ts := newTestServer(t, reply(200, fullCatalog))
	cat, err := newClientFor(t, ts.URL).GetCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cat)
	if err != nil {
		t.Fatal(err)
	}
	ts2 := newTestServer(t, reply(200, string(b)))
	again, err := newClientFor(t, ts2.URL).GetCatalog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(again)
	if string(b) != string(b2) {
		t.Errorf("catalog changed through a round trip:\n%s\n%s", b, b2)
	}
}
