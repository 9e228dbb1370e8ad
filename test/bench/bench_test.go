package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kube-service-catalog/catalog/pkg/broker"
)

func TestPercentile(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarize(ds)
	if got.P50 != 50 || got.P99 != 99 || got.Max != 100 || got.Min != 1 || got.Count != 100 {
		t.Errorf("summarize(1..100ms) = %+v", got)
	}
	if one := summarize([]time.Duration{7 * time.Millisecond}); one.P50 != 7 || one.P99 != 7 {
		t.Errorf("summarize(7ms) = %+v", one)
	}
	if empty := summarize(nil); empty.Count != 0 {
		t.Errorf("summarize(nil) = %+v", empty)
	}
}

func TestLevels(t *testing.T) {
	o := &options{n: 10000, concurrency: "1,16,64"}
	want := []levelSpec{{1, 1000}, {16, 4500}, {64, 4500}}
	got := o.levels()
	if len(got) != len(want) {
		t.Fatalf("levels() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("levels() = %v, want %v", got, want)
		}
	}
	if got := split(10, 3); got[0] != 4 || got[1] != 3 || got[2] != 3 {
		t.Errorf("split(10, 3) = %v", got)
	}
	if got := rotate([]int{1, 2, 3}, 4); got[0] != 2 || got[2] != 1 {
		t.Errorf("rotate = %v", got)
	}
}

func TestParametersSize(t *testing.T) {
	if n := size(benchParameters()); n != parametersSize {
		t.Errorf("parameters are %d bytes, want %d", n, parametersSize)
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP apiserver_request_total Counter
# TYPE apiserver_request_total counter
apiserver_request_total{code="201",component="apiserver",group="servicecatalog.k8s.io",resource="serviceinstances",scope="resource",subresource="",verb="POST",version="v1beta1"} 1000
apiserver_request_total{code="200",group="servicecatalog.k8s.io",resource="serviceinstances",subresource="status",verb="PUT"} 2000
apiserver_request_total{code="409",group="servicecatalog.k8s.io",resource="serviceinstances",subresource="status",verb="PUT"} 5
apiserver_request_total{code="200",group="servicecatalog.k8s.io",resource="serviceinstances",subresource="",verb="LIST"} 7
apiserver_request_total{code="201",group="",resource="events",subresource="",verb="POST"} 3e+03
go_memstats_heap_inuse_bytes 1.2345e+07
weird{msg="a \"quoted\", value\\n"} +Inf
`
	samples, err := parseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := gauge(samples, "go_memstats_heap_inuse_bytes"); got != 12345000 {
		t.Errorf("heap = %v", got)
	}
	if got := samples[len(samples)-1].Labels["msg"]; got != `a "quoted", value\n` {
		t.Errorf("escaped label = %q", got)
	}
	ours := writeCounts(samples, func(g, r string) bool { return g == "servicecatalog.k8s.io" && r == "serviceinstances" })
	want := map[string]float64{"POST serviceinstances": 1000, "PUT serviceinstances/status": 2005, "conflicts": 5}
	if len(ours) != len(want) {
		t.Errorf("writeCounts = %v, want %v", ours, want)
	}
	for k, v := range want {
		if ours[k] != v {
			t.Errorf("writeCounts[%q] = %v, want %v", k, ours[k], v)
		}
	}
	d := delta(map[string]float64{"a": 1, "b": 2}, map[string]float64{"a": 1, "b": 5, "c": 1})
	if len(d) != 2 || d["b"] != 3 || d["c"] != 1 {
		t.Errorf("delta = %v", d)
	}
}

func TestBrokerCalls(t *testing.T) {
	reqs := []brokerRequest{
		{Method: "PUT", Path: "/v2/service_instances/a", Status: 201},
		{Method: "PUT", Path: "/v2/service_instances/b", Status: 201},
		{Method: "PUT", Path: "/v2/service_instances/b", Status: 200},
		{Method: "GET", Path: "/v2/service_instances/b/last_operation", Status: 200},
		{Method: "PUT", Path: "/v2/service_instances/a/service_bindings/x", Status: 201},
		{Method: "GET", Path: "/v2/catalog", Status: 500},
	}
	s := summarizeBrokerCalls(reqs, "instance", 2)
	if s.ObjectsWithPUT != 2 || s.ExactlyOnePUT != 1 || s.MaxPUTs != 2 || s.PUTsPerObject != 1.5 || s.CallsPerObject != 3 || s.Failed != 1 {
		t.Errorf("instance stats = %+v", s)
	}
	if s.Calls["GET instance/last_operation"] != 1 || s.Calls["PUT binding"] != 1 || s.Calls["GET catalog"] != 1 {
		t.Errorf("calls = %v", s.Calls)
	}
	if b := summarizeBrokerCalls(reqs, "binding", 1); b.ExactlyOnePUT != 1 || b.ObjectsWithPUT != 1 {
		t.Errorf("binding stats = %+v", b)
	}
}

// The instances of section 2 ask the demo broker's plan with the benchmark's parameters:
// its instance create schema, which the API server enforces, must accept them.
func TestParametersFitTheDemoPlan(t *testing.T) {
	var schema json.RawMessage
	for _, svc := range broker.DemoCatalog().Services {
		for _, p := range svc.Plans {
			if svc.Name == demoClass && p.Name == demoPlan {
				schema = p.InstanceCreateSchema()
			}
		}
	}
	if len(schema) == 0 {
		t.Fatalf("the demo catalog has no create schema for %s/%s", demoClass, demoPlan)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("plan.json", doc); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile("plan.json")
	if err != nil {
		t.Fatal(err)
	}
	params, err := jsonschema.UnmarshalJSON(bytes.NewReader(mustJSON(benchParameters())))
	if err != nil {
		t.Fatal(err)
	}
	if err := compiled.Validate(params); err != nil {
		t.Errorf("the demo plan refuses the benchmark's parameters: %v", err)
	}
}
