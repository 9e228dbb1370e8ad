package main

import (
	"bytes"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSection1Verdicts(t *testing.T) {
	level := func(c int, perSecond float64) *createLevel { return &createLevel{Concurrency: c, PerSecond: perSecond} }
	r := &section1Result{Targets: []*targetResult{
		{Name: targetDirect, Creates: []*createLevel{level(1, 160), level(16, 1900), level(64, 2100)}},
		{Name: targetAggregated, Creates: []*createLevel{level(1, 100), level(16, 990), level(64, 0)}},
		{Name: targetCRD, Creates: []*createLevel{level(1, 100), level(16, 1000), level(64, 1000)}},
		{Name: targetEtcd, Creates: []*createLevel{level(1, 500), level(16, 5000), level(64, 9000)}},
	}}
	got := map[string]string{}
	for _, v := range section1Verdicts(r) {
		got[v.Name+" "+v.Goal] = v.Status
	}
	want := map[string]string{
		"direct creates vs the CRD's, c=1 >= 1.5x":      statusMet,     // 1.6x
		"direct creates vs the CRD's, c=16 >= 2.0x":     statusNotMet,  // 1.9x
		"direct creates vs the CRD's, c=64 >= 2.0x":     statusMet,     // 2.1x
		"aggregated creates vs the CRD's, c=1 >= 1.0x":  statusMet,     // 1.0x
		"aggregated creates vs the CRD's, c=16 >= 1.0x": statusNotMet,  // 0.99x
		"aggregated creates vs the CRD's, c=64 >= 1.0x": statusUnknown, // no figure
	}
	if len(got) != len(want) {
		t.Errorf("verdicts %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
}

func TestFlowVerdicts(t *testing.T) {
	r := &flowResult{Objects: 1000, Finished: 1000, PerSecond: 310, AllDoneSeconds: 3.2,
		CreateToDone: Latency{Count: 1000, P50: 900, P99: 2000},
		Broker:       brokerStats{Objects: 1000, ObjectsWithPUT: 1000, ExactlyOnePUT: 999, MaxPUTs: 2}}
	if v := rateVerdict(2, "provisioning", "instances", r); v.Status != statusMet || v.Note != "" {
		t.Errorf("rate: %+v", v)
	}
	if v := readyP99Verdict(2, "provisioning", r, targetReadyP99, targetFlowObjects); v.Status != statusMet {
		t.Errorf("p99 2000 ms <= 2s: %+v", v)
	}
	if v := onePUTVerdict(2, "provisioning", "instance", r); v.Status != statusNotMet {
		t.Errorf("one instance got two PUTs: %+v", v)
	}
	small := &flowResult{Objects: 50, CreateToDone: Latency{Count: 50, P99: 1001}}
	v := readyP99Verdict(2, "provisioning", small, targetReadyP99Small, targetSmallObjects)
	if v.Status != statusNotMet || v.Note != "measured at 50, the target is stated at 100" {
		t.Errorf("small p99: %+v", v)
	}
	failed := &flowResult{Objects: 1000, CreateToDone: Latency{Count: 10, P99: 1}}
	if v := readyP99Verdict(2, "provisioning", failed, targetReadyP99, targetFlowObjects); v.Status != statusUnknown {
		t.Errorf("p99 over 10 of 1000 objects: %+v", v)
	}
}

func TestScaleVerdicts(t *testing.T) {
	reads := func(target string, oneNS float64) *scaleReads {
		return &scaleReads{Target: target, Reads: map[string]*listSummary{"oneNamespace": {Latency: Latency{P50: oneNS}}}}
	}
	r := &section4Result{Steps: []*scaleStep{
		{Size: 1000},
		{
			Size:  100000,
			Reads: []*scaleReads{reads(targetDirect, 10), reads(targetAggregated, 24), reads(targetCRD, 50)},
			Memory: map[string]procMemory{
				procCatalog: {RSS: 3 << 30}, procKube: {RSS: 2 << 30}, procController: {RSS: 900 << 20},
			},
		},
	}}
	vs := scaleVerdicts(r)
	want := []string{statusMet, statusNotMet, statusMet} // 0.48x; 3 GiB vs 2 GiB; 900 MiB
	if len(vs) != len(want) {
		t.Fatalf("verdicts %+v", vs)
	}
	for i, v := range vs {
		if v.Status != want[i] || v.Note != "" || !strings.Contains(v.Name, "100,000") {
			t.Errorf("verdict %d: %+v, want status %q", i, v, want[i])
		}
	}
	r.Steps = r.Steps[:1]
	if vs := scaleVerdicts(r); vs != nil {
		t.Errorf("no measured step: %+v", vs)
	}
}

func TestNewGrowth(t *testing.T) {
	sizes := []int{1000, 10000, 100000}
	cases := []struct {
		name         string
		rate         bool
		values       []float64
		status       string
		exponent     float64
		superlinear  int
		perObjectMax float64
	}{
		{"linear", false, []float64{10, 100, 1000}, growthLinear, 1, 0, 1},
		{"constant", false, []float64{20, 20, 20}, growthLinear, 0, 0, 0.01},
		{"n log n is within the slack", false, []float64{10, 133, 1667}, growthLinear, 1.11, 0, 1.67},
		{"quadratic", false, []float64{1, 100, 10000}, growthSuperlinear, 2, 2, 100},
		{"one superlinear step", false, []float64{10, 10, 1000}, growthLinear, 1, 1, 1},
		{"steady rate", true, []float64{300, 300, 300}, growthLinear, 1, 0, 1},
		{"rate falling tenfold", true, []float64{300, 100, 30}, growthSuperlinear, 1.5, 2, 10},
		{"unmeasured", false, []float64{0, 0, 5}, growthUnknown, 0, 0, 0},
	}
	for _, c := range cases {
		g := newGrowth(c.name, "ms", c.rate, sizes, c.values)
		if g.Status != c.status || math.Abs(g.Exponent-c.exponent) > 0.01 || len(g.Superlinear) != c.superlinear ||
			math.Abs(g.PerObjectRatio-c.perObjectMax) > 0.01 {
			t.Errorf("%s: %+v", c.name, g)
		}
	}
	g := newGrowth("skips a missing size", "ms", false, sizes, []float64{10, 0, 1000})
	if g.Status != growthLinear || math.Abs(g.Exponent-1) > 0.01 {
		t.Errorf("missing middle size: %+v", g)
	}
	if g := newGrowth("x", "ms", false, sizes, []float64{1, 100, 10000}); !strings.Contains(g.verdictText(), "1,000->10,000 (2.00)") {
		t.Errorf("verdict text %q", g.verdictText())
	}
}

func TestScaleKeys(t *testing.T) {
	keys := scaleKeys(999, 2001)
	if len(keys) != 1002 || keys[0] != "bench-scale-000/si-000999" || keys[1] != "bench-scale-001/si-001000" || keys[1001] != "bench-scale-002/si-002000" {
		t.Errorf("scaleKeys(999, 2001) = %v ... %v", keys[:2], keys[len(keys)-1])
	}
	if ns := namespacesOf(keys); !slices.Equal(ns, []string{"bench-scale-000", "bench-scale-001", "bench-scale-002"}) {
		t.Errorf("namespaces %v", ns)
	}
	if got := describeNamespaces(keys); got != "bench-scale-000..bench-scale-002 (3)" {
		t.Errorf("describeNamespaces = %q", got)
	}
	b := bindingKey(keys[0])
	if b != "bench-scale-000/sb-000999" || instanceOfBinding(b) != "si-000999" {
		t.Errorf("binding of %s: %s binds %s", keys[0], b, instanceOfBinding(b))
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
	if d := scaledTimeout(3*time.Minute, 50000); d != 1000*time.Second {
		t.Errorf("scaledTimeout(3m, 50000) = %s", d)
	}
	if d := scaledTimeout(3*time.Minute, 1000); d != 3*time.Minute {
		t.Errorf("scaledTimeout(3m, 1000) = %s", d)
	}
}

func TestParseFlags(t *testing.T) {
	o, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= 4; s++ {
		if !o.runs(s) {
			t.Errorf("section %d does not run by default", s)
		}
	}
	if sizes, _ := o.scaleSizes(); !slices.Equal(sizes, []int{1000, 10000, 50000, 100000}) || o.smallInstances != 100 {
		t.Errorf("scale %v, small instances %d", sizes, o.smallInstances)
	}
	if d := o.runTimeout(); d != baseTimeout+100000*scaleTimePerSize {
		t.Errorf("default timeout %s", d)
	}
	if a := scaleStackArgs(o); !slices.Contains(a.testBroker, "--max-recorded-requests=100000") {
		t.Errorf("stack args %+v", a)
	}
	o, err = parseFlags([]string{"-sections", "1,2", "-timeout", "5m", "-scale", "1000,300000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.runTimeout() != 5*time.Minute || o.runs(4) {
		t.Errorf("timeout %s, runs 4: %v", o.runTimeout(), o.runs(4))
	}
	if a := scaleStackArgs(o); !slices.Contains(a.testBroker, "--max-recorded-requests=598000") {
		t.Errorf("stack args %+v", a)
	}
	for _, args := range [][]string{
		{"-scale", "1000,1000"},
		{"-scale", "1000,x"},
		{"-scale", "0"},
		{"-sections", "3"},
		{"-sections", "5"},
		{"-small-instances", "-1"},
		{"-scale-reps", "0"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
}

func TestPrintTargets(t *testing.T) {
	var b bytes.Buffer
	printTargets(&b, []verdict{
		{Name: "direct creates vs the CRD's, c=1", Figure: "1.60x (160/s vs 100/s)", Goal: ">= 1.5x", Status: statusMet},
		{Name: "instances/s end to end, N=300", Figure: "120.0/s", Goal: ">= 300/s", Status: statusNotMet, Note: sizeNote(300, 1000)},
	})
	out := b.String()
	for _, want := range []string{"Targets:", "1.60x (160/s vs 100/s)  >= 1.5x", "met", "NOT MET  (measured at 300, the target is stated at 1,000)"} {
		if !strings.Contains(out, want) {
			t.Errorf("printTargets output lacks %q:\n%s", want, out)
		}
	}
}
