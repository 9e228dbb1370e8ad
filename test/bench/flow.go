package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"

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

// flowEnv is what sections 2 to 4 share: clients and the servers whose
// metrics they read.
type flowEnv struct {
	e       *env
	opts    *options
	logf    func(string, ...any)
	catalog clientset.Interface
	kube    goServer
	server  goServer
	// brokerSeq is the test broker's last request sequence number seen
	// (see brokerMark).
	brokerSeq int64
}

// newFlowEnv builds the clients of sections 2 to 4, which act as the admin
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
	if pid := f.e.kubeEtcdPID(); pid > 0 {
		m = append(m, namedProcess{procKubeEtcd, func() int { return pid }})
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

// flowKind names what a flow creates: the OSB resource ("instance" or
// "binding"), the API resource and the controller manager's control loop.
type flowKind struct {
	broker, resource, loop string
}

// The kinds of flows.
var (
	instanceFlow = flowKind{broker: "instance", resource: "serviceinstances", loop: "serviceinstance"}
	bindingFlow  = flowKind{broker: "binding", resource: "servicebindings", loop: "servicebinding"}
)

// flowSpec is what a flow creates and waits for.
type flowSpec struct {
	flowRun
	kind flowKind
	// create creates the object with a key of keys.
	create func(ctx context.Context, key string) error
	// currentRV returns the resource version to watch from; watch opens a
	// watch; finished returns the key of an object seen on it and whether
	// the object counts as finished.
	currentRV func(ctx context.Context) (string, error)
	watch     watchFunc
	finished  func(runtime.Object) (string, bool)
}

// run is the measurement sections 2 to 4 share: it starts observing (from
// the current resource version) when each object is finished, creates the
// objects at once, waits until all are finished, and reads the broker's
// calls, both API servers' write counters and the controller manager's loop
// metrics around it.
func (f *flowEnv) run(ctx context.Context, r *flowResult, spec flowSpec) {
	if err := f.brokerMark(ctx); err != nil {
		r.fail(err)
		return
	}
	before, err := f.snapshot(ctx)
	if err != nil {
		r.fail(err)
		return
	}
	cmURL := f.controllerMetricsURL()
	cmBefore := scrapeController(ctx, cmURL)
	cpuBefore := f.meter().sample()
	rv, err := spec.currentRV(ctx)
	if err != nil {
		r.fail(err)
		return
	}
	octx, cancel := context.WithCancel(ctx)
	defer cancel()
	obs, err := observe(octx, rv, spec.watch, spec.keys, spec.finished)
	if err != nil {
		r.fail(err)
		return
	}
	profiles := f.profileDuring(ctx, r, spec.section)

	run := f.createWithProgress(octx, r, spec, obs)
	timeout := cmp.Or(spec.doneTimeout, f.opts.doneTimeout)
	done, all := obs.wait(ctx, timeout)
	r.finish(spec.keys, run, done)
	if run.Errors > 0 {
		r.fail(fmt.Errorf("%d of %d creates failed: %v", run.Errors, len(spec.keys), run.Messages))
	}
	if !all {
		r.fail(fmt.Errorf("only %d of %d objects finished within %s of the last create", len(done), len(spec.keys), timeout))
	}
	f.settle(ctx, spec.kind.resource)

	reqs, err := f.brokerCalls(ctx)
	if err != nil {
		r.fail(err)
	}
	r.Broker = summarizeBrokerCalls(reqs, spec.kind.broker, len(spec.keys))
	after, err := f.snapshot(ctx)
	if err != nil {
		r.fail(err)
	} else {
		r.writesPer(before, after, spec.kind.resource)
	}
	r.CPUPerObjectMs = cpuPerObject(cpuBefore, f.meter().sample(), len(spec.keys))
	r.Controller = summarizeController(cmBefore, scrapeController(ctx, cmURL), spec.kind.loop, len(spec.keys))
	if profiles != nil {
		if err := <-profiles; err != nil && !errors.Is(err, context.Canceled) {
			r.fail(err)
		}
	}
}

// controllerMetricsURL is the running controller manager's /metrics URL, ""
// when it does not run.
func (f *flowEnv) controllerMetricsURL() string {
	p, ok := f.e.stack.Process(catalogstack.ControllerManager)
	if !ok {
		return ""
	}
	url, _ := controllerMetricsURL(p.PID)
	return url
}

// profileDuring takes CPU profiles of both API servers during a flow, with
// -profile; it returns nil without.
func (f *flowEnv) profileDuring(ctx context.Context, r *flowResult, section string) chan error {
	if !f.opts.profile {
		return nil
	}
	servers := []goServer{f.server, f.kube}
	for _, s := range servers {
		r.Profiles = append(r.Profiles, filepath.Join(f.opts.profileDir, section+"-cpu-"+s.Name+".pprof"))
	}
	profiles := make(chan error, 1)
	go func() {
		profiles <- profileWhile(ctx, servers, r.Profiles, f.opts.profileSeconds, func(ctx context.Context) {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		})
	}()
	return profiles
}

// progressEvery is how often a long run logs how far it got.
const progressEvery = 15 * time.Second

// startProgress logs what report says, given the time since the start, every
// progressEvery until stop is called or ctx ends, so that a long run is
// observable.
func startProgress(ctx context.Context, logf func(string, ...any), report func(elapsed time.Duration) string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	start := time.Now()
	go func() {
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				logf("%s", report(time.Since(start)))
			}
		}
	}()
	return cancel
}

// createWithProgress creates the flow's objects at r.Concurrency, logging
// how many were created and finished until ctx ends.
func (f *flowEnv) createWithProgress(ctx context.Context, r *flowResult, spec flowSpec, obs *observer) createRun {
	total := len(spec.keys)
	var n atomic.Int64
	startProgress(ctx, f.logf, func(elapsed time.Duration) string {
		c, d := int(n.Load()), obs.count()
		creates := fmt.Sprintf("%d/%d created (%.0f/s)", c, total, perSecond(c, elapsed))
		if c == total {
			creates = "all created"
		}
		return fmt.Sprintf("%s: %s, %d/%d finished (%.0f/s) after %s", spec.section,
			creates, d, total, perSecond(d, elapsed), elapsed.Round(time.Second))
	})
	f.logf("%s: creating %d objects at c=%d", spec.section, total, r.Concurrency)
	run := createConcurrently(ctx, spec.keys, r.Concurrency, counted(&n, spec.create))
	f.logf("%s: %d creates sent in %.2fs = %.0f/s (%d errors); waiting until all are finished",
		spec.section, total, run.Duration.Seconds(), perSecond(total, run.Duration), run.Errors)
	return run
}

// settleTimeout bounds the wait for trailing writes after a flow.
const settleTimeout = 10 * time.Second

// settle waits until our API server's writes to resource (a status update
// after Ready, say) have stopped for half a second, or settleTimeout passes,
// so that the write counts are complete.
func (f *flowEnv) settle(ctx context.Context, resource string) {
	ours := func(group, res string) bool { return group == catalogGroupLabel && res == resource }
	last := map[string]float64{}
	_ = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, settleTimeout, true, func(ctx context.Context) (bool, error) {
		s, err := scrape(ctx, f.server.Client, f.server.Base+"/metrics")
		if err != nil {
			return false, nil
		}
		now := writeCounts(s, ours)
		same := maps.Equal(now, last)
		last = now
		return same, nil
	})
}

// brokerMark remembers the test broker's last request sequence number, so
// that the next brokerCalls returns only later requests.
func (f *flowEnv) brokerMark(ctx context.Context) error {
	_, err := f.brokerCalls(ctx)
	return err
}

// brokerCalls returns the requests the test broker recorded since the last
// mark, and marks again. Requests the broker dropped in between (it keeps a
// bounded number, oldest dropped first) make the figures incomplete, which
// is an error.
func (f *flowEnv) brokerCalls(ctx context.Context) ([]brokerRequest, error) {
	reqs, err := brokerRequests(ctx, f.e.stack.BrokerURL, f.brokerSeq)
	if err != nil {
		return nil, err
	}
	since := f.brokerSeq
	f.brokerSeq = lastSeq(reqs, since)
	if len(reqs) > 0 && reqs[0].Seq > since+1 {
		return reqs, fmt.Errorf("the test broker dropped %d recorded requests (its --max-recorded-requests or memory bound): broker figures are incomplete", reqs[0].Seq-since-1)
	}
	return reqs, nil
}
