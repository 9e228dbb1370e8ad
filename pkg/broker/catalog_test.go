package broker_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

func TestDemoCatalog(t *testing.T) {
	c := broker.DemoCatalog()
	if len(c.Services) < 4 {
		t.Fatalf("demo catalog has %d offerings", len(c.Services))
	}
	byName := map[string]*osb.Service{}
	for i := range c.Services {
		byName[c.Services[i].Name] = &c.Services[i]
	}
	pg := byName["postgresql"]
	if pg == nil || pg.ID != pgService || !pg.InstancesRetrievable || !pg.BindingsRetrievable || !osb.EffectivePlanUpdatable(pg, &pg.Plans[0]) {
		t.Fatalf("postgresql = %+v", pg)
	}
	small, large := &pg.Plans[0], &pg.Plans[1]
	if small.ID != pgSmall || large.ID != pgLarge || small.Name != "small" || large.Name != "large" {
		t.Errorf("postgresql plans = %s %s", small.Name, large.Name)
	}
	for _, p := range []*osb.Plan{small, large} {
		if p.InstanceCreateSchema() == nil || p.BindingCreateSchema() == nil || p.MaintenanceInfo == nil || p.MaintenanceInfo.Version == "" {
			t.Errorf("plan %s lacks schemas or maintenance_info", p.Name)
		}
		if !strings.Contains(string(p.InstanceCreateSchema()), "draft-04") {
			t.Errorf("plan %s create schema has no $schema", p.Name)
		}
	}
	if d, ok := large.MaximumPollingTime(); !ok || d.Seconds() != 600 {
		t.Errorf("large maximum_polling_duration = %v", d)
	}
	wantLarge := broker.OpBehavior{Mode: broker.ModeAsync, AsyncPolls: 2, RetryAfterSeconds: 1}
	if diff := cmp.Diff(wantLarge, c.Behaviors[pgLarge].For(osb.OperationProvision)); diff != "" {
		t.Errorf("large provision behaviour (-want +got):\n%s", diff)
	}
	if got := c.Behaviors[pgSmall].For(osb.OperationProvision); got.Mode != "" {
		t.Errorf("small provision behaviour = %+v", got)
	}
	redis := byName["redis"]
	nonBindable := 0
	for i := range redis.Plans {
		if !osb.EffectiveBindable(redis, &redis.Plans[i]) {
			nonBindable++
		}
	}
	if nonBindable != 1 {
		t.Errorf("redis has %d non-bindable plans, want 1", nonBindable)
	}
	for _, name := range []string{"rabbitmq", "s3-bucket", "fault-injection"} {
		if byName[name] == nil {
			t.Errorf("no %s offering", name)
		}
	}
	if strings.Contains(string(c.JSON()), "testBroker") {
		t.Error("the served catalog carries test knobs")
	}
	if !strings.Contains(string(broker.DemoCatalogYAML()), "testBroker") {
		t.Error("DemoCatalogYAML does not return the source")
	}
}

func TestParseCatalog(t *testing.T) {
	c, err := broker.LoadCatalog("testdata/catalog.yaml")
	if err != nil {
		t.Fatal(err)
	}
	slow := "6a0c2f7e-1111-4c1a-9d55-000000000012"
	bh := c.Behaviors[slow]
	if bh.For(osb.OperationProvision).AsyncPolls != 3 || bh.For(osb.OperationLastOperation).FailStatus != 503 || bh.Credentials["port"] == nil ||
		bh.BindingFields == nil || bh.BindingFields.Endpoints == nil || bh.BindingFields.Metadata == nil {
		t.Errorf("behaviour = %+v", bh)
	}
	if bh.For(osb.OperationUpdate) != (broker.OpBehavior{}) {
		t.Errorf("update behaviour without an entry or default = %+v", bh.For(osb.OperationUpdate))
	}
	var served map[string]any
	if err := json.Unmarshal(c.JSON(), &served); err != nil {
		t.Fatal(err)
	}
	svc := served["services"].([]any)[0].(map[string]any)
	if svc["x-vendor-extension"] == nil {
		t.Error("an unknown offering field was dropped")
	}
	plan := svc["plans"].([]any)[1].(map[string]any)
	if meta := plan["metadata"].(map[string]any); meta["displayName"] != "Slow" || meta["testBroker"] != nil {
		t.Errorf("served plan metadata = %v", meta)
	}
	if _, ok := svc["plans"].([]any)[0].(map[string]any)["metadata"]; ok {
		t.Error("a plan without metadata gained some")
	}

	// JSON works as well as YAML.
	js := `{"services":[{"id":"s","name":"s","description":"d","bindable":true,"plans":[{"id":"p","name":"p","description":"d","metadata":{"testBroker":{"default":{"mode":"async"}}}}]}]}`
	c, err = broker.ParseCatalog([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if c.Behaviors["p"].For(osb.OperationBind).Mode != broker.ModeAsync {
		t.Errorf("default behaviour not applied: %+v", c.Behaviors["p"])
	}

	bad := map[string]string{
		"not yaml":          "services: [",
		"no services":       "{}",
		"services not list": `{"services":{}}`,
		"knob typo":         `{"services":[{"id":"s","name":"s","description":"d","plans":[{"id":"p","name":"p","description":"d","metadata":{"testBroker":{"provision":{"asyncPoll":2}}}}]}]}`,
		"unknown op":        `{"services":[{"id":"s","name":"s","description":"d","plans":[{"id":"p","name":"p","description":"d","metadata":{"testBroker":{"provisoin":{}}}}]}]}`,
		"bad knob value":    `{"services":[{"id":"s","name":"s","description":"d","plans":[{"id":"p","name":"p","description":"d","metadata":{"testBroker":{"provision":{"mode":"maybe"}}}}]}]}`,
		"missing name":      `{"services":[{"id":"s","description":"d","plans":[{"id":"p","name":"p","description":"d"}]}]}`,
		"no plans":          `{"services":[{"id":"s","name":"s","description":"d","plans":[]}]}`,
		"duplicate plan id": `{"services":[{"id":"s","name":"s","description":"d","plans":[{"id":"p","name":"p","description":"d"}]},
			{"id":"t","name":"t","description":"d","plans":[{"id":"p","name":"q","description":"d"}]}]}`,
		"duplicate offering name": `{"services":[{"id":"s","name":"s","description":"d","plans":[{"id":"p","name":"p","description":"d"}]},
			{"id":"t","name":"s","description":"d","plans":[{"id":"q","name":"q","description":"d"}]}]}`,
		"wrong type": `{"services":[{"id":"s","name":"s","description":"d","bindable":"yes","plans":[{"id":"p","name":"p","description":"d"}]}]}`,
	}
	for name, doc := range bad {
		if _, err := broker.ParseCatalog([]byte(doc)); err == nil {
			t.Errorf("%s: ParseCatalog succeeded", name)
		}
	}
	if _, err := broker.LoadCatalog("testdata/does-not-exist.yaml"); err == nil {
		t.Error("LoadCatalog of a missing file succeeded")
	}
}
