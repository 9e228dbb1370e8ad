package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// Section 1: is the catalog at least as fast and as light as "just
// use CRDs"? Four targets store the same ServiceInstances, alternately, in one
// run: see target.go.

// Names of the section-1 targets, in the order they take turns.
const (
	targetDirect     = "direct"
	targetAggregated = "aggregated"
	targetCRD        = "crd"
	targetEtcd       = "etcd"
)

// Processes whose memory section 1 reads.
const (
	procCatalog  = "catalog-apiserver"
	procKube     = "kube-apiserver"
	procRawEtcd  = "etcd (raw target)"
	procKubeEtcd = "etcd (kube-apiserver's)"
)

// watchInterval separates the creates of the watch measurement.
const watchInterval = 50 * time.Millisecond

// section1Result is section 1 of the JSON report.
type section1Result struct {
	// Status is "ok", "failed" (see Errors) or "skipped".
	Status string   `json:"status"`
	Errors []string `json:"errors,omitempty"`
	// ObjectsPerTarget is the number stored per target by the create levels.
	ObjectsPerTarget int             `json:"objectsPerTarget"`
	Levels           []levelSpec     `json:"levels"`
	Rounds           int             `json:"rounds"`
	ListRepetitions  int             `json:"listRepetitions"`
	PageSize         int64           `json:"pageSize"`
	Targets          []*targetResult `json:"targets"`
	// Memory is per process: the API servers and etcds that store the objects.
	Memory   []*memoryResult `json:"memory"`
	Verdicts []verdict       `json:"verdicts"`
	// Profiles are the CPU profiles taken with -profile.
	Profiles []string `json:"profiles,omitempty"`
	Notes    []string `json:"notes"`

	// profileServers are the processes to profile per target (-profile).
	profileServers map[string][]goServer
	// meter reads the CPU time of every process involved.
	meter cpuMeter
}

// levelSpec is one concurrency level of the creates.
type levelSpec struct {
	Concurrency int `json:"concurrency"`
	Objects     int `json:"objects"`
}

// targetResult is what section 1 measured for one target.
type targetResult struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Process is the process whose memory counts for the target.
	Process string         `json:"process"`
	Creates []*createLevel `json:"creates"`
	// ListJSON is the unpaginated LIST of every object, as JSON.
	ListJSON *listSummary `json:"listJSON,omitempty"`
	// ListProtobuf is the same LIST as protobuf; nil when not served
	// (ProtobufServed false: the server answered 406 or with another type).
	ListProtobuf   *listSummary `json:"listProtobuf,omitempty"`
	ProtobufServed bool         `json:"protobufServed"`
	// ProtobufAnswer is what the target answered when asked for protobuf
	// only, when it did not serve it.
	ProtobufAnswer string `json:"protobufAnswer,omitempty"`
	// ListPaged reads every object in pages of PageSize.
	ListPaged *listSummary `json:"listPaged,omitempty"`
	Watch     *watchResult `json:"watch,omitempty"`

	target target
	stored int
}

// createLevel is the creates of one target at one concurrency.
type createLevel struct {
	Concurrency int      `json:"concurrency"`
	Objects     int      `json:"objects"`
	Errors      int      `json:"errors"`
	Messages    []string `json:"errorMessages,omitempty"`
	Seconds     float64  `json:"seconds"`
	PerSecond   float64  `json:"perSecond"`
	Latency     Latency  `json:"latency"`
	// CPUPerObjectMs is the CPU time each process used during the creates,
	// in milliseconds per object (the targets take turns, so it is theirs).
	CPUPerObjectMs map[string]float64 `json:"cpuPerObjectMs"`

	run createRun
	cpu map[string]time.Duration
}

// listSummary is the repeated reads of one kind of LIST.
type listSummary struct {
	Repetitions    int     `json:"repetitions"`
	Items          int     `json:"items"`
	Pages          int     `json:"pages"`
	BytesPerObject float64 `json:"bytesPerObject"`
	Latency        Latency `json:"latency"`

	durations []time.Duration
}

// memoryResult is one process's memory before and after the creates.
type memoryResult struct {
	Process string     `json:"process"`
	PID     int        `json:"pid"`
	Before  procMemory `json:"before"`
	After   procMemory `json:"after"`
	// Objects is how many benchmark objects the process stored in between.
	Objects int `json:"objects"`
	// Targets are the targets it serves.
	Targets []string `json:"targets"`
	// RSSPer10k and HeapPer10k are the growth of VmRSS and of the Go heap
	// in use, scaled to 10,000 objects.
	RSSPer10k  int64 `json:"rssGrowthPer10kBytes"`
	HeapPer10k int64 `json:"heapGrowthPer10kBytes"`

	server goServer
}

// section1 runs section 1: it starts the raw etcd and a stack with only our
// API server, compares the four targets and stops both again.
func section1(ctx context.Context, e *env, opts *options, logf func(string, ...any)) (res *section1Result) {
	res = &section1Result{
		Status:          "ok",
		Levels:          opts.levels(),
		Rounds:          opts.rounds,
		ListRepetitions: opts.listReps,
		PageSize:        opts.pageSize,
	}
	for _, l := range res.Levels {
		res.ObjectsPerTarget += l.Objects
	}
	defer func() {
		if err := errors.Join(e.stopStack(), e.stopRawEtcd()); err != nil {
			res.fail(fmt.Errorf("stopping: %w", err))
		}
	}()
	if err := e.startRawEtcd(ctx); err != nil {
		res.fail(err)
		return res
	}
	if err := e.startStack(ctx, "stack-storage", stackArgs{}, catalogstack.APIServer); err != nil {
		res.fail(err)
		return res
	}
	if err := res.setUp(ctx, e); err != nil {
		res.fail(err)
		return res
	}
	res.run(ctx, opts, logf)
	res.Verdicts = section1Verdicts(res)
	return res
}

// fail records err and marks the section failed.
func (r *section1Result) fail(err error) {
	r.Status = "failed"
	r.Errors = append(r.Errors, err.Error())
}

// setUp installs the CRD, creates the namespaces and builds the targets and
// the memory probes.
func (r *section1Result) setUp(ctx context.Context, e *env) error {
	admin := e.adminConfig()
	if err := installCRD(ctx, admin); err != nil {
		return err
	}
	namespaces := []string{}
	for _, t := range []string{targetDirect, targetAggregated, targetCRD} {
		namespaces = append(namespaces, "bench-"+t, "bench-warmup-"+t)
	}
	if err := createNamespaces(ctx, e.cluster.Clientset(adminUser), namespaces...); err != nil {
		return err
	}

	catalog, err := e.catalogServer()
	if err != nil {
		return err
	}
	kube, err := e.kubeServer()
	if err != nil {
		return err
	}
	direct, err := e.directConfig()
	if err != nil {
		return err
	}
	add := func(t target, err error) error {
		if err != nil {
			return err
		}
		proc, _ := t.Process()
		r.Targets = append(r.Targets, &targetResult{Name: t.Name(), Description: t.Describe(), Process: proc, target: t})
		return nil
	}
	errs := []error{
		add(newAPITarget(targetDirect, "our API server, called directly (admin client certificate), creating in "+e.opts.catalogWire,
			procCatalog, catalog.PID, direct, catalogInstances, "bench-direct", "bench-warmup-direct", e.opts.catalogWire)),
		add(newAPITarget(targetAggregated, "our API server through kube-apiserver's aggregator, creating in "+e.opts.catalogWire,
			procCatalog, catalog.PID, admin, catalogInstances, "bench-aggregated", "bench-warmup-aggregated", e.opts.catalogWire)),
		add(newAPITarget(targetCRD, "CRD "+crdGroup+" on the same kube-apiserver",
			procKube, kube.PID, admin, crdInstances, "bench-crd", "bench-warmup-crd", mediaJSON)),
		add(newEtcdTarget(e.rawEtcd.Endpoint, e.rawEtcdServer().PID)),
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}

	kubeEtcd := e.kubeEtcdServer()
	r.Memory = []*memoryResult{
		{Process: procCatalog, Targets: []string{targetDirect, targetAggregated}, server: catalog},
		{Process: procKube, Targets: []string{targetCRD}, server: kube},
		{Process: procRawEtcd, Targets: []string{targetEtcd}, server: e.rawEtcdServer()},
		{Process: procKubeEtcd, Targets: []string{targetCRD}, server: kubeEtcd},
	}
	r.Notes = append(r.Notes,
		"catalog-apiserver's memory includes its embedded etcd; kube-apiserver's does not (its etcd is listed separately, for information)",
		"catalog-apiserver stores both the direct and the aggregated target's objects; its growth is scaled to 10,000 objects",
		"memory is read after a forced GC (pprof heap?gc=1) in the API servers and "+settleDelay.String()+" of rest",
		"every etcd syncs its writes to disk: kube-apiserver's, the raw target's and our embedded one",
		"watch delay is from sending a create to the event arriving; creates are "+watchInterval.String()+" apart",
		"kube-controller-manager, the controller manager and the test broker do not run during section 1",
	)
	r.meter = cpuMeter{
		{procCatalog, catalog.PID}, {procKube, kube.PID}, {procKubeEtcd, kubeEtcd.PID},
		{procRawEtcd, e.rawEtcdServer().PID}, self(),
	}
	if e.opts.profile {
		r.profileServers = map[string][]goServer{
			targetDirect:     {catalog},
			targetAggregated: {kube, catalog},
			targetCRD:        {kube},
		}
	}
	return nil
}
