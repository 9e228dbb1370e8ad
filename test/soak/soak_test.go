package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// shortArgs are the flags of the short soak: a few dozen objects, and the
// same kinds of faults and kills as the full one (each window lasts long
// enough for the controller managers to be killed in it).
var shortArgs = []string{
	"-instances=40", "-bindings=40", "-namespaces=4",
	"-window-min=35s", "-settle-timeout=30s", "-converge-timeout=3m", "-timeout=15m",
	"-out=_output/soak/short",
}

// TestSoakShort runs the soak with small numbers, in about two minutes. A
// missed target is a bug of the catalog: the summary, printed on failure,
// says which objects and quotes the brokers' records and the controllers'
// logs.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs a real control plane; not in -short mode")
	}
	opts, err := parseFlags(shortArgs, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	start := time.Now()
	code := run(t.Context(), opts, &out, lineLogger{t})
	t.Logf("short soak: %s\n%s", time.Since(start).Round(time.Second), out.String())
	if code != 0 {
		t.Errorf("the short soak missed a target or a step failed (exit %d); see the summary above", code)
	}
}

// lineLogger writes each line to the test log.
type lineLogger struct{ t *testing.T }

func (l lineLogger) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestParseFlags(t *testing.T) {
	if _, err := parseFlags(shortArgs, io.Discard); err != nil {
		t.Errorf("short flags: %v", err)
	}
	for _, args := range [][]string{
		{"-bindings=2000"}, {"-fault-rate=2"}, {"-faults=hang"}, {"-slow-max=10s"}, {"-instances=1"}, {"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%v) accepted them", args)
		}
	}
}

func TestKillPlan(t *testing.T) {
	got := killPlan(2, 1)
	want := []killPoint{
		{Step: stepCreate, At: 0.4, Target: targetAPIServer},
		{Step: stepDeleteAll, At: 0.5, Target: targetAPIServer},
		{Step: stepUpdate, At: 0.5, Target: targetEtcd},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("killPlan(2, 1) (-want +got):\n%s", diff)
	}
	if got := killPlan(5, 0); got[4].Step != stepCreate || got[4].At != 0.5 {
		t.Errorf("the fifth API server kill = %+v, want the creates at 0.5", got[4])
	}
}

func TestLedger(t *testing.T) {
	l := newLedger(&options{instances: 6, bindings: 4, namespaces: 2, brokers: 2})
	var got []string
	for _, o := range l.all() {
		got = append(got, strings.Join([]string{string(o.kind), o.key(), o.plan, []string{"b0", "b1"}[o.broker]}, " "))
	}
	want := []string{
		"instance soak-00/si-00000 sync b0", "instance soak-01/si-00001 async b0",
		"instance soak-00/si-00002 sync b1", "instance soak-01/si-00003 async b1",
		"instance soak-00/si-00004 sync b0", "instance soak-01/si-00005 async b0",
		"binding soak-00/sb-00000  b0", "binding soak-01/sb-00001  b0",
		"binding soak-00/sb-00002  b1", "binding soak-01/sb-00003  b1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layout (-want +got):\n%s", diff)
	}
}

// instanceIn returns an instance named ns/name with external id id,
// generation gen and conditions.
func instanceIn(v *view, key, id string, gen int64, conds ...metav1.Condition) {
	ns, name, _ := strings.Cut(key, "/")
	si := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: gen}}
	si.Spec.ExternalID = id
	si.Spec.ClusterServiceClassExternalName, si.Spec.ClusterServicePlanExternalName = "soak-db-0", planSync
	si.Spec.Parameters = instanceParameters(0, 1)
	si.Status.Conditions = conds
	v.instances[key] = si
}

func cond(typ string, status metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, ObservedGeneration: gen}
}

func TestClassify(t *testing.T) {
	v := &view{instances: map[string]*v1beta1.ServiceInstance{}, bindings: map[string]*v1beta1.ServiceBinding{}}
	instanceIn(v, "ns/ready", "a", 2, cond(v1beta1.ConditionReady, metav1.ConditionTrue, "ProvisionedSuccessfully", 2))
	instanceIn(v, "ns/stale", "b", 2, cond(v1beta1.ConditionReady, metav1.ConditionTrue, "ProvisionedSuccessfully", 1))
	instanceIn(v, "ns/failed", "c", 1, cond(v1beta1.ConditionReady, metav1.ConditionFalse, "ProvisionFailed", 1),
		cond(v1beta1.ConditionFailed, metav1.ConditionTrue, "ProvisionFailed", 1))
	instanceIn(v, "ns/deleting", "d", 1)
	obj := func(name string, created, deleted bool) *object {
		return &object{kind: kindInstance, namespace: "ns", name: name, created: created, deleted: deleted, plan: planSync, size: 1}
	}
	for _, tc := range []struct {
		o    *object
		want state
	}{
		{obj("ready", true, false), stateReady},
		{obj("stale", true, false), statePending},
		{obj("failed", true, false), stateFailed},
		{obj("deleting", true, true), statePending},
		{obj("gone", true, true), stateGone},
		{obj("missing", true, false), stateLost},
		{obj("never", false, false), stateUnacknowledged},
	} {
		if got, why := classify(tc.o, v); got != tc.want {
			t.Errorf("classify(%s) = %s (%s), want %s", tc.o.name, got, why, tc.want)
		}
	}
	// A binding that waits for a failed instance is terminal too; one that
	// waits for a Ready instance is not.
	for _, inst := range []string{"failed", "ready"} {
		sb := &v1beta1.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sb-" + inst, Generation: 1}}
		sb.Spec.InstanceRef.Name = inst
		sb.Status.Conditions = []metav1.Condition{cond(v1beta1.ConditionReady, metav1.ConditionFalse, "ErrorInstanceNotReady", 1)}
		v.bindings["ns/sb-"+inst] = sb
	}
	for name, want := range map[string]state{"sb-failed": stateFailed, "sb-ready": statePending} {
		if got, why := classify(&object{kind: kindBinding, namespace: "ns", name: name, created: true}, v); got != want {
			t.Errorf("classify(%s) = %s (%s), want %s", name, got, why, want)
		}
	}
	moved := obj("ready", true, false)
	moved.plan = planAsync
	if lostUpdate(moved, v) == "" || lostUpdate(obj("ready", true, false), v) != "" {
		t.Error("lostUpdate does not tell a spec that differs from the acknowledged one")
	}
}

func TestFindOrphansAndMissing(t *testing.T) {
	v := &view{instances: map[string]*v1beta1.ServiceInstance{}, bindings: map[string]*v1beta1.ServiceBinding{}}
	instanceIn(v, "ns/si-1", "id-1", 1, cond(v1beta1.ConditionReady, metav1.ConditionTrue, "ProvisionedSuccessfully", 1))
	instanceIn(v, "ns/si-2", "id-2", 1, cond(v1beta1.ConditionReady, metav1.ConditionTrue, "ProvisionedSuccessfully", 1))
	recs := []*brokerRecord{{
		Broker: "b",
		Instances: []broker.Instance{
			{ID: "id-1", PlanID: "p-sync", Parameters: map[string]any{"size": float64(1)}, State: osb.StateSucceeded},
			{ID: "id-9", PlanID: "p-sync", State: osb.StateSucceeded},
		},
		Bindings: []broker.Binding{{ID: "bid-9", InstanceID: "id-1"}},
	}}
	orphans := findOrphans(v, recs, map[string]string{"id-9": "instance ns/si-9"})
	if len(orphans) != 2 || orphans[0].ID != "id-9" || orphans[0].Object != "instance ns/si-9" || orphans[1].ID != "bid-9" {
		t.Errorf("orphans = %+v", orphans)
	}
	objs := []*object{
		{kind: kindInstance, namespace: "ns", name: "si-1", created: true, plan: planSync, size: 1},
		{kind: kindInstance, namespace: "ns", name: "si-2", created: true, plan: planSync, size: 1},
	}
	missing := findMissingAtBroker(objs, v, recs, map[string]map[string]string{"soak-db-0": {planSync: "p-sync"}})
	if len(missing) != 1 || missing[0].ID != "id-2" {
		t.Errorf("ready but not at the broker = %+v", missing)
	}
}

func TestFindDuplicates(t *testing.T) {
	ev := func(op osb.Operation, id string, held bool) broker.HistoryEvent {
		return broker.HistoryEvent{Operation: op, InstanceID: id, Held: held}
	}
	recs := []*brokerRecord{{Broker: "b", History: []broker.HistoryEvent{
		ev(osb.OperationProvision, "a", false),
		ev(osb.OperationProvision, "a", true), // duplicate
		ev(osb.OperationDeprovision, "a", false),
		ev(osb.OperationProvision, "a", true), // a delete was sent since: not a duplicate
		ev(osb.OperationProvision, "b", false),
		ev(osb.OperationLastOperation, "b", false),
		ev(osb.OperationProvision, "b", true), // duplicate
	}}}
	got := findDuplicates(recs, osb.OperationProvision, map[string]string{"b": "instance ns/b"})
	if len(got) != 2 || got[0].ID != "a" || got[1].ID != "b" || got[1].Object != "instance ns/b" {
		t.Errorf("duplicates = %+v", got)
	}
}

func TestRequestsPerObject(t *testing.T) {
	var hist []broker.HistoryEvent
	for i := range 100 {
		for range i%10 + 1 {
			hist = append(hist, broker.HistoryEvent{InstanceID: string(rune('A' + i/10)), BindingID: ""})
		}
	}
	hist = append(hist, broker.HistoryEvent{InstanceID: "A", BindingID: "x"})
	inst, bind := requestsPerObject([]*brokerRecord{{History: hist}}, map[string]string{"J": "instance ns/j"})
	if inst.Objects != 10 || inst.Max != 55 || inst.MaxObject != "instance ns/j" || inst.P50 != 55 || inst.Total != 550 {
		t.Errorf("per instance = %+v", inst)
	}
	if bind.Objects != 1 || bind.Max != 1 || bind.P99 != 1 {
		t.Errorf("per binding = %+v", bind)
	}
	if got := percentile([]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99); got != 10 {
		t.Errorf("p99 of 1..10 = %d", got)
	}
	if got := percentile([]int{1, 2, 3, 4}, 50); got != 2 {
		t.Errorf("p50 of 1..4 = %d", got)
	}
}

func TestLeakScan(t *testing.T) {
	s := secrets{}
	if err := s.add("password", "0123456789abcdef0123"); err != nil {
		t.Fatal(err)
	}
	if err := s.add("token", "short"); err == nil {
		t.Error("a value too short to search for was accepted")
	}
	if err := s.add("token", "soak-param-ffeeddccbbaa"); err != nil {
		t.Fatal(err)
	}
	l := newLeakScan(s)
	l.scan("objects", "a", []byte(`{"status":{"message":"uri=test://u:0123456789abcdef0123@h, again 0123456789abcdef0123"}}`))
	l.scan("objects", "b", []byte(`{"status":{"message":"0123456789abcdef012 is not it"}}`))
	l.scan("events", "c", []byte("line 1\nsoak-param-ffeeddccbbaa"))
	if l.total() != 2 || l.Hits["objects"] != 1 || l.Hits["events"] != 1 || l.Searched["objects"] != 2 {
		t.Errorf("hits %v, searched %v", l.Hits, l.Searched)
	}
	if len(l.Samples) != 2 || l.Samples[1].Where != "c:2" || strings.Contains(l.Samples[0].Value, "456789") {
		t.Errorf("samples = %+v", l.Samples)
	}
	if !harnessLine([]byte("=== 2026-01-01T00:00:00Z starting /bin/test-broker --password=x\n")) || harnessLine([]byte("I0101 starting\n")) {
		t.Error("harnessLine")
	}
}
