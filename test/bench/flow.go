package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"

	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// flowResult is section 2 or 3 of the JSON report: objects created at once
// and the time until the controller finished them.
type flowResult struct {
	// Status is "ok", "failed" (see Errors) or "skipped" (see Skipped).
	Status  string   `json:"status"`
	Errors  []string `json:"errors,omitempty"`
	Skipped string   `json:"skipped,omitempty"`
	// Objects were created with Concurrency workers in Namespace.
	Objects     int    `json:"objects"`
	Concurrency int    `json:"concurrency"`
	Namespace   string `json:"namespace"`
	// Done says what counts as finished: the Ready condition or the Secret.
	Done string `json:"done"`
	// CreateErrors, CreateSeconds and CreateLatency describe the creates.
	CreateErrors  int     `json:"createErrors"`
	CreateSeconds float64 `json:"createSeconds"`
	CreateLatency Latency `json:"createLatency"`
	// Finished objects; AllDoneSeconds is from the first create sent to the
	// last object observed finished; PerSecond is Objects over it.
	Finished       int     `json:"finished"`
	AllDoneSeconds float64 `json:"allDoneSeconds"`
	PerSecond      float64 `json:"perSecond"`
	// CreateToDone is from each create sent to its object observed finished.
	CreateToDone Latency `json:"createToDone"`
	// Broker summarises the test broker's calls during the section.
	Broker brokerStats `json:"broker"`
	// APIWritesPerObject counts our API server's writes to the section's
	// resource (and its subresources), the benchmark's own creates included,
	// per object; APIWrites breaks them down by verb.
	APIWritesPerObject float64            `json:"apiWritesPerObject"`
	APIWrites          map[string]float64 `json:"apiWritesByVerbPerObject"`
	// KubeWrites are kube-apiserver's writes per object by verb and resource
	// (Events, Secrets...; Leases left out: they are renewed on a timer).
	KubeWrites map[string]float64 `json:"kubeWritesPerObject"`
	// CPUPerObjectMs is the CPU time of each process during the section, in
	// milliseconds per object.
	CPUPerObjectMs map[string]float64 `json:"cpuPerObjectMs"`
	// Controller summarises the controller manager's loop, when its metrics
	// could be read.
	Controller *controllerStats `json:"controller,omitempty"`
	// Setup describes what ran: the controller manager's flags and whether
	// kube-controller-manager ran.
	Setup    map[string]string `json:"setup"`
	Verdicts []verdict         `json:"verdicts"`
	Profiles []string          `json:"profiles,omitempty"`
}

func (r *flowResult) fail(err error) {
	r.Status = "failed"
	r.Errors = append(r.Errors, err.Error())
}

// flowEnv is what sections 2 and 3 share: clients and the servers whose
// metrics they read.
type flowEnv struct {
	e       *env
	opts    *options
	logf    func(string, ...any)
	catalog clientset.Interface
	kube    goServer
	server  goServer
}

// newFlowEnv builds the clients of sections 2 and 3, which act as the admin
// through kube-apiserver, as users do.
func newFlowEnv(e *env, opts *options, logf func(string, ...any)) (*flowEnv, error) {
	catalog, err := clientset.NewForConfig(unlimited(e.adminConfig()))
	if err != nil {
		return nil, err
	}
	kube, err := e.kubeServer()
	if err != nil {
		return nil, err
	}
	server, err := e.catalogServer()
	if err != nil {
		return nil, err
	}
	return &flowEnv{e: e, opts: opts, logf: logf, catalog: catalog, kube: kube, server: server}, nil
}

// meter reads the CPU time of every process on the machine that takes part:
// the control plane, the catalog's components and the benchmark.
func (f *flowEnv) meter() cpuMeter {
	m := cpuMeter{{procCatalog, f.server.PID}, {procKube, f.kube.PID}}
	for _, p := range f.e.cluster.Processes() {
		if p.Name == "etcd" {
			pid := p.PID
			m = append(m, namedProcess{procKubeEtcd, func() int { return pid }})
		}
	}
	for _, c := range []catalogstack.Component{catalogstack.ControllerManager, catalogstack.TestBroker} {
		if p, ok := f.e.stack.Process(c); ok {
			pid := p.PID
			m = append(m, namedProcess{string(c), func() int { return pid }})
		}
	}
	if f.e.kcm != nil {
		pid := f.e.kcm.Process().PID
		m = append(m, namedProcess{"kube-controller-manager", func() int { return pid }})
	}
	return append(m, self())
}

// setup describes the running configuration for the report.
func (f *flowEnv) setup() map[string]string {
	return map[string]string{
		"controllerManagerArgs":              strings.TrimSpace("(defaults) " + f.opts.cmArgs),
		"controllerManagerReachesCatalogAPI": map[bool]string{true: "directly", false: "through the aggregator"}[f.opts.cmDirect],
		"kubeControllerManager":              fmt.Sprint(f.e.kcm != nil),
		"machine":                            "everything on this machine: etcd, kube-apiserver, our API server, the controller manager, the test broker, the benchmark",
	}
}

// writeSnapshot is both API servers' write counters.
type writeSnapshot struct {
	catalog, kube []sample
}

func (f *flowEnv) snapshot(ctx context.Context) (writeSnapshot, error) {
	c, err := scrape(ctx, f.server.Client, f.server.Base+"/metrics")
	if err != nil {
		return writeSnapshot{}, err
	}
	k, err := scrape(ctx, f.kube.Client, f.kube.Base+"/metrics")
	return writeSnapshot{catalog: c, kube: k}, err
}

// writesPer fills r's write counts from two snapshots for resource, divided
// by r.Objects.
func (r *flowResult) writesPer(before, after writeSnapshot, resource string) {
	ours := func(group, res string) bool { return group == catalogGroupLabel && res == resource }
	d := delta(writeCounts(before.catalog, ours), writeCounts(after.catalog, ours))
	r.APIWrites = map[string]float64{}
	for k, v := range d {
		r.APIWrites[k] = v / float64(r.Objects)
		if k != "conflicts" {
			r.APIWritesPerObject += v / float64(r.Objects)
		}
	}
	kube := func(group, res string) bool { return group != catalogGroupLabel && res != "leases" }
	r.KubeWrites = map[string]float64{}
	for k, v := range delta(writeCounts(before.kube, kube), writeCounts(after.kube, kube)) {
		r.KubeWrites[k] = v / float64(r.Objects)
	}
}

// finish computes the rates and latencies from the create times and the
// times objects were observed finished.
func (r *flowResult) finish(names []string, run createRun, done map[string]time.Time) {
	r.CreateErrors = run.Errors
	r.CreateSeconds = run.Duration.Seconds()
	r.CreateLatency = summarize(run.Latencies)
	r.Finished = len(done)
	var first, last time.Time
	var lat []time.Duration
	for i, n := range names {
		sent := run.Sent[i]
		if !sent.IsZero() && (first.IsZero() || sent.Before(first)) {
			first = sent
		}
		if t, ok := done[n]; ok {
			lat = append(lat, t.Sub(sent))
			if t.After(last) {
				last = t
			}
		}
	}
	r.CreateToDone = summarize(lat)
	if r.Finished == len(names) && !first.IsZero() {
		d := last.Sub(first)
		r.AllDoneSeconds = d.Seconds()
		r.PerSecond = perSecond(len(names), d)
	}
}

// flowSpec is what sections 2 and 3 create and wait for.
type flowSpec struct {
	// section names the section in logs and profile files.
	section string
	// names are the objects to create; create creates one.
	names  []string
	create func(ctx context.Context, name string) error
	// currentRV returns the resource version to watch from; watch opens a
	// watch; finished returns the name of an object seen on it and whether
	// the object counts as finished.
	currentRV func(ctx context.Context) (string, error)
	watch     watchFunc
	finished  func(runtime.Object) (string, bool)
	// brokerKind is the OSB resource ("instance" or "binding"), resource the
	// API resource and loop the controller manager's control loop.
	brokerKind, resource, loop string
}

// run is the measurement sections 2 and 3 share: it starts observing (from
// the current resource version) when each object is finished, creates the
// objects at once, waits until all are finished, and reads the broker's
// calls, both API servers' write counters and the controller manager's loop
// metrics around it.
func (f *flowEnv) run(ctx context.Context, r *flowResult, spec flowSpec) {
	names := spec.names
	brokerURL := f.e.stack.BrokerURL
	baseline, err := brokerRequests(ctx, brokerURL, 0)
	if err != nil {
		r.fail(err)
		return
	}
	since := lastSeq(baseline, 0)
	before, err := f.snapshot(ctx)
	if err != nil {
		r.fail(err)
		return
	}
	cmURL := ""
	if p, ok := f.e.stack.Process(catalogstack.ControllerManager); ok {
		cmURL, _ = controllerMetricsURL(p.PID)
	}
	cmBefore := scrapeController(ctx, cmURL)
	cpuBefore := f.meter().sample()
	rv, err := spec.currentRV(ctx)
	if err != nil {
		r.fail(err)
		return
	}
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	obs, err := observe(octx, rv, spec.watch, names, spec.finished)
	if err != nil {
		r.fail(err)
		return
	}

	var profiles chan error
	if f.opts.profile {
		servers := []goServer{f.server, f.kube}
		for _, s := range servers {
			r.Profiles = append(r.Profiles, filepath.Join(f.opts.profileDir, spec.section+"-cpu-"+s.Name+".pprof"))
		}
		profiles = make(chan error, 1)
		go func() {
			profiles <- profileWhile(ctx, servers, r.Profiles, f.opts.profileSeconds, func(ctx context.Context) {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
			})
		}()
	}

	f.logf("%s: creating %d objects at c=%d", spec.section, len(names), r.Concurrency)
	run := createConcurrently(ctx, names, r.Concurrency, spec.create)
	f.logf("%s: %d creates sent in %.2fs (%d errors); waiting until all are finished", spec.section, len(names), run.Duration.Seconds(), run.Errors)
	done, all := obs.wait(ctx, f.opts.doneTimeout)
	r.finish(names, run, done)
	if run.Errors > 0 {
		r.fail(fmt.Errorf("%d of %d creates failed: %v", run.Errors, len(names), run.Messages))
	}
	if !all {
		r.fail(fmt.Errorf("only %d of %d objects finished within %s of the last create", len(done), len(names), f.opts.doneTimeout))
	}
	// Let trailing writes (a status update after Ready, events) land.
	time.Sleep(2 * time.Second)

	reqs, err := brokerRequests(ctx, brokerURL, since)
	if err != nil {
		r.fail(err)
	}
	r.Broker = summarizeBrokerCalls(reqs, spec.brokerKind, len(names))
	after, err := f.snapshot(ctx)
	if err != nil {
		r.fail(err)
	} else {
		r.writesPer(before, after, spec.resource)
	}
	r.CPUPerObjectMs = cpuPerObject(cpuBefore, f.meter().sample(), len(names))
	r.Controller = summarizeController(cmBefore, scrapeController(ctx, cmURL), spec.loop, len(names))
	if profiles != nil {
		if err := <-profiles; err != nil && !errors.Is(err, context.Canceled) {
			r.fail(err)
		}
	}
}
