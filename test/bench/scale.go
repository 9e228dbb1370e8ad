package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// Section 4: the scale curve. The store grows to each of -scale's sizes in
// turn: instances of the demo plan and one binding each, with the controller
// manager and the test broker running, and the CRD to the same size, side by
// side. At each size the benchmark reads what grows with the store.

// Layout and limits of section 4.
const (
	// scaleNamespaceSize is the number of objects per namespace.
	scaleNamespaceSize = 1000
	// scaleNSPrefix starts the namespaces of the objects, numbered from 000.
	scaleNSPrefix = "bench-scale-"
	// scaleProbeNS holds the new instances whose time to Ready is measured
	// at each size; scaleProbes is how many there are per size.
	scaleProbeNS = "bench-scale-probe"
	scaleProbes  = 5
	// scaleMinRate (objects/s) sizes the waits of a growth step.
	scaleMinRate = 50
	// etcdQuota is the --quota-backend-bytes of both etcds when section 4
	// runs (etcd's default is 2 GiB; 8 GiB is its suggested maximum): our API
	// server's embedded one and kube-apiserver's (see newEnv).
	etcdQuota = 8 << 30
	// quotaWarn is the share of etcdQuota at which a note warns.
	quotaWarn = 0.8
	// scaleCompactionInterval is our API server's --etcd-compaction-interval
	// in section 4 (5m by default), so that history is compacted sooner.
	scaleCompactionInterval = "1m"
	// procController names the controller manager in memory figures.
	procController = string(catalogstack.ControllerManager)
)

// section4Result is section 4 of the JSON report.
type section4Result struct {
	// Status is "ok" or "failed" (see Errors).
	Status string   `json:"status"`
	Errors []string `json:"errors,omitempty"`
	// Sizes are the store sizes grown to (-scale); NamespaceSize objects
	// share a namespace; Concurrency is that of the creates.
	Sizes         []int `json:"sizes"`
	NamespaceSize int   `json:"namespaceSize"`
	Concurrency   int   `json:"concurrency"`
	// Steps are the sizes reached, in order.
	Steps []*scaleStep `json:"steps"`
	// Growth judges how each figure grows with the size.
	Growth   []growth  `json:"growth"`
	Verdicts []verdict `json:"verdicts"`
	Notes    []string  `json:"notes"`
}

// scaleStep is one size of section 4: the growth to it and what was read
// there.
type scaleStep struct {
	// Size is the number of instances (and bindings, and CRD objects)
	// stored once the step grew; New of them were added by the step;
	// Seconds is the step's wall time, measurements included.
	Size    int     `json:"size"`
	New     int     `json:"new"`
	Seconds float64 `json:"seconds"`
	// Instances and Bindings are the growth of our store, CRD that of the
	// CRD.
	Instances *flowResult  `json:"instances"`
	Bindings  *flowResult  `json:"bindings,omitempty"`
	CRD       *createLevel `json:"crd,omitempty"`
	// Memory is per process; EtcdDBBytes is the size of each etcd's bbolt
	// file (what its quota counts), by process.
	Memory      map[string]procMemory `json:"memory,omitempty"`
	EtcdDBBytes map[string]int64      `json:"etcdDBBytes,omitempty"`
	// Reads are the LISTs and watch starts per reader.
	Reads []*scaleReads `json:"reads,omitempty"`
	// Resync is the controller manager's restart; NewInstance the
	// instances created once it was done.
	Resync      *resyncResult `json:"resync,omitempty"`
	NewInstance *flowResult   `json:"newInstance,omitempty"`
}

// fail records err and marks the section failed.
func (r *section4Result) fail(err error) {
	r.Status = "failed"
	r.Errors = append(r.Errors, err.Error())
}

// failAt records errs of what at size.
func (r *section4Result) failAt(size int, what string, errs ...string) {
	for _, e := range errs {
		r.fail(fmt.Errorf("size %s: %s: %s", count(size), what, e))
	}
}

// scaleEnv is what section 4 holds while it grows the store.
type scaleEnv struct {
	f    *flowEnv
	opts *options
	// readers read our instances directly and through the aggregator, and
	// the CRD's objects; crd creates the latter.
	readers []*apiTarget
	crd     *apiTarget
	// instances, bindings and crdObjects count what is stored.
	instances, bindings, crdObjects int
}

// section4 grows the store to each size of -scale and measures there.
func section4(ctx context.Context, f *flowEnv) *section4Result {
	sizes, _ := f.opts.scaleSizes()
	r := &section4Result{Status: "ok", Sizes: sizes, NamespaceSize: scaleNamespaceSize,
		Concurrency: f.opts.flowConcurrency, Notes: scaleNotes(f.opts)}
	s, err := newScaleEnv(ctx, f)
	if err != nil {
		r.fail(err)
		return r
	}
	from := 0
	for _, size := range sizes {
		st := s.step(ctx, r, from, size)
		r.Steps = append(r.Steps, st)
		s.logStep(st, sizes[len(sizes)-1])
		r.checkQuota(st, f.logf)
		if r.Status != "ok" {
			break
		}
		from = size
	}
	r.Growth = growthRows(r.Steps)
	r.Verdicts = scaleVerdicts(r)
	return r
}

// newScaleEnv installs a fresh CRD (deleting section 1's, with its objects)
// and builds the readers.
func newScaleEnv(ctx context.Context, f *flowEnv) (*scaleEnv, error) {
	e := f.e
	admin := e.adminConfig()
	if err := deleteCRD(ctx, admin); err != nil {
		return nil, err
	}
	if err := installCRD(ctx, admin); err != nil {
		return nil, err
	}
	direct, err := e.directConfig()
	if err != nil {
		return nil, err
	}
	s := &scaleEnv{f: f, opts: f.opts}
	for _, r := range []struct {
		name, describe, proc string
		pid                  func() int
		cfg                  *rest.Config
		gvr                  schema.GroupVersionResource
	}{
		{targetDirect, "our API server, called directly", procCatalog, f.server.PID, direct, catalogInstances},
		{targetAggregated, "our API server through kube-apiserver's aggregator", procCatalog, f.server.PID, admin, catalogInstances},
		{targetCRD, "the CRD on kube-apiserver", procKube, f.kube.PID, admin, crdInstances},
	} {
		t, err := newAPITarget(r.name, r.describe, r.proc, r.pid, r.cfg, r.gvr, "", "", mediaJSON)
		if err != nil {
			return nil, err
		}
		s.readers = append(s.readers, t)
	}
	s.crd = s.readers[len(s.readers)-1]
	return s, nil
}

// step grows the store from from to to objects and measures at the new size.
func (s *scaleEnv) step(ctx context.Context, r *section4Result, from, to int) *scaleStep {
	start := time.Now()
	st := &scaleStep{Size: to, New: to - from}
	defer func() { st.Seconds = time.Since(start).Seconds() }()
	section := fmt.Sprintf("section4-%d", to)
	keys := scaleKeys(from, to)
	grow := flowRun{keys: keys, concurrency: s.opts.flowConcurrency, doneTimeout: scaledTimeout(s.opts.doneTimeout, len(keys))}

	grow.section = section + "-instances"
	st.Instances = provision(ctx, s.f, grow)
	s.instances += created(st.Instances)
	r.failAt(to, "instances", st.Instances.Errors...)
	if st.Instances.Status != "ok" {
		return st
	}
	grow.section, grow.keys = section+"-bindings", mapKeys(keys, bindingKey)
	st.Bindings = bind(ctx, s.f, grow, instanceOfBinding)
	s.bindings += created(st.Bindings)
	r.failAt(to, "bindings", st.Bindings.Errors...)
	st.CRD = s.growCRD(ctx, section+"-crd", keys)
	if st.CRD.Errors > 0 {
		r.failAt(to, "CRD", fmt.Sprintf("%d of %d creates failed: %v", st.CRD.Errors, st.CRD.Objects, st.CRD.Messages))
	}
	s.measure(ctx, r, st)
	return st
}

// measure takes the figures of a size once the store has grown to it:
// memory and etcd files, reads, the controller manager's resync, then the
// time to Ready of new instances.
func (s *scaleEnv) measure(ctx context.Context, r *section4Result, st *scaleStep) {
	var err error
	st.Memory, err = s.memory(ctx)
	if err != nil {
		r.failAt(st.Size, "memory", err.Error())
	}
	st.EtcdDBBytes = s.f.e.etcdDBSizes()
	if st.Reads, err = s.reads(ctx, st.Size); err != nil {
		r.failAt(st.Size, "reads", err.Error())
	}
	if st.Resync, err = s.resync(ctx); err != nil {
		r.failAt(st.Size, "controller manager restart", err.Error())
	}
	st.NewInstance = provision(ctx, s.f, flowRun{
		section:     fmt.Sprintf("section4-%d-new", st.Size),
		keys:        flowKeys(scaleProbeNS, fmt.Sprintf("new-%d", st.Size), 0, scaleProbes, 1),
		watchNS:     scaleProbeNS,
		concurrency: 1,
	})
	s.instances += created(st.NewInstance)
	r.failAt(st.Size, "new instances", st.NewInstance.Errors...)
}

// growCRD creates the CRD's objects of keys at -flow-concurrency.
func (s *scaleEnv) growCRD(ctx context.Context, section string, keys []string) *createLevel {
	c := &createLevel{Concurrency: s.opts.flowConcurrency}
	var n atomic.Int64
	stop := startProgress(ctx, s.f.logf, func(elapsed time.Duration) string {
		done := int(n.Load())
		return fmt.Sprintf("%s: %d/%d created (%.0f/s) after %s", section, done, len(keys), perSecond(done, elapsed), elapsed.Round(time.Second))
	})
	c.run = createConcurrently(ctx, keys, c.Concurrency, counted(&n, func(ctx context.Context, key string) error {
		ns, name := splitKey(key)
		return s.crd.create(ctx, ns, name)
	}))
	stop()
	c.tally()
	s.crdObjects += c.Objects - c.Errors
	s.f.logf("%s: %d creates in %.2fs = %.0f/s (%d errors)", section, c.Objects, c.Seconds, c.PerSecond, c.Errors)
	return c
}

// memory reads the memory of our API server, kube-apiserver, the controller
// manager and kube-apiserver's etcd (see measureMemory).
func (s *scaleEnv) memory(ctx context.Context) (map[string]procMemory, error) {
	e := s.f.e
	cm, err := e.controllerServer()
	if err != nil {
		return nil, err
	}
	servers := map[string]goServer{procCatalog: s.f.server, procKube: s.f.kube, procController: cm, procKubeEtcd: e.kubeEtcdServer()}
	out := map[string]procMemory{}
	var errs []error
	for name, srv := range servers {
		m, err := measureMemory(ctx, srv, "")
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		out[name] = m
	}
	return out, errors.Join(errs...)
}

// logStep logs a progress line for a size reached, with an estimate of the
// time the remaining sizes take at this step's pace.
func (s *scaleEnv) logStep(st *scaleStep, largest int) {
	rate := func(fr *flowResult) float64 {
		if fr == nil {
			return 0
		}
		return fr.PerSecond
	}
	crd := 0.0
	if st.CRD != nil {
		crd = st.CRD.PerSecond
	}
	left := time.Duration(float64(largest-st.Size) * st.Seconds / float64(st.New) * float64(time.Second))
	s.f.logf("section 4: size %s reached in %.0fs: %s new instances Ready at %.0f/s, bindings at %.0f/s, CRD objects created at %.0f/s; the remaining sizes take about %s at this pace",
		count(st.Size), st.Seconds, count(st.New), rate(st.Instances), rate(st.Bindings), crd, roughly(left))
}

// roughly rounds d to seconds under a minute, else to minutes.
func roughly(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}

// checkQuota notes an etcd whose file has passed quotaWarn of its quota.
func (r *section4Result) checkQuota(st *scaleStep, logf func(string, ...any)) {
	for proc, b := range st.EtcdDBBytes {
		quota := int64(etcdQuota)
		if float64(b) > quotaWarn*float64(quota) {
			msg := fmt.Sprintf("at %s objects the etcd file of %s is %.0f MiB, over %.0f%% of its %.0f MiB quota",
				count(st.Size), proc, mib(b), 100*quotaWarn, mib(quota))
			logf("section 4: WARNING: %s", msg)
			r.Notes = append(r.Notes, "WARNING: "+msg)
		}
	}
}

// scaleNamespace is the name of the i-th namespace of section 4.
func scaleNamespace(i int) string { return fmt.Sprintf("%s%03d", scaleNSPrefix, i) }

// scaleKeys returns the keys of the instances from to to (exclusive),
// scaleNamespaceSize to a namespace.
func scaleKeys(from, to int) []string {
	var keys []string
	for i := from; i < to; {
		ns := i / scaleNamespaceSize
		end := min(to, (ns+1)*scaleNamespaceSize)
		keys = append(keys, flowKeys(scaleNamespace(ns), "si", i, end-i, 6)...)
		i = end
	}
	return keys
}

// mapKeys applies fn to every key.
func mapKeys(keys []string, fn func(string) string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fn(k)
	}
	return out
}

// created is the number of a flow's creates that succeeded (none when the
// flow failed before creating).
func created(r *flowResult) int {
	return r.CreateLatency.Count
}

// scaledTimeout is base, or longer for n objects: as long as they take at
// scaleMinRate.
func scaledTimeout(base time.Duration, n int) time.Duration {
	return max(base, time.Duration(n/scaleMinRate)*time.Second)
}

// counted wraps create to count, in n, the creates answered.
func counted(n *atomic.Int64, create func(context.Context, string) error) func(context.Context, string) error {
	return func(ctx context.Context, name string) error {
		defer n.Add(1)
		return create(ctx, name)
	}
}

// scaleNotes say how section 4 measures.
func scaleNotes(opts *options) []string {
	return []string{
		fmt.Sprintf("objects are spread over namespaces of %s (%s000, ...); each size adds instances (created at once at c=%d through kube-apiserver, until Ready), then a binding for each (until its Secret exists), then as many CRD objects",
			count(scaleNamespaceSize), scaleNSPrefix, opts.flowConcurrency),
		fmt.Sprintf("reads: p50 over %d reads per reader, readers in turn; one namespace = %s000; field selector = metadata.name=si-000000 over every namespace (1 match); watch start = a watch of every namespace with sendInitialEvents=true until its initial-events-end bookmark (every object streamed, as an informer starts)",
			opts.scaleReps, scaleNSPrefix),
		"memory: VmRSS after a forced GC in both API servers (none in the controller manager and etcd); our API server's includes its embedded etcd; kube-apiserver's holds, besides the CRD's objects, the bindings' Secrets and the rest of the cluster",
		"controller resync: the controller manager is stopped and started again; ready = until its /readyz answers (informer caches synced, Lease held); synced = until its instance and binding loops have synced as many keys as there are objects and their queues are empty",
		fmt.Sprintf("new instance: %d instances created one after another in %s once the resync is done; create-to-Ready", scaleProbes, scaleProbeNS),
		fmt.Sprintf("etcd: both etcds run with a quota of %.0f MiB in section 4, and our API server with --etcd-compaction-interval=%s (5m by default) so that history is compacted sooner; sizes are the bbolt files",
			mib(etcdQuota), scaleCompactionInterval),
	}
}
