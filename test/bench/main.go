package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// options are the benchmark's flags.
type options struct {
	sections string

	n           int
	concurrency string
	rounds      int
	listReps    int
	pageSize    int64
	watchers    int
	watchEvents int

	instances       int
	smallInstances  int
	flowConcurrency int
	doneTimeout     time.Duration
	probeTimeout    time.Duration
	kcm             bool
	cmDirect        bool
	cmArgs          string
	apiServerArgs   string
	catalogWire     string

	scale     string
	scaleReps int

	profile        bool
	profileSeconds int
	profileDir     string

	out     string
	binDir  string
	keep    bool
	timeout time.Duration

	// values are every flag's value, for the report.
	values map[string]string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.sections, "sections", "1,2,3,4", "Sections to run (3 needs 2).")
	fs.IntVar(&o.n, "n", 10000, "Section 1: objects stored per target: 10% at the first concurrency, the rest split evenly over the others.")
	fs.StringVar(&o.concurrency, "concurrency", "1,16,64", "Section 1: create concurrencies, in order.")
	fs.IntVar(&o.rounds, "rounds", 3, "Section 1: each concurrency level is split into this many rounds; the targets take turns in every round.")
	fs.IntVar(&o.listReps, "list-reps", 5, "Section 1: reads of each kind of LIST per target.")
	fs.Int64Var(&o.pageSize, "page-size", 500, "Section 1: limit of the paginated LIST.")
	fs.IntVar(&o.watchers, "watchers", 100, "Section 1: watches opened per target.")
	fs.IntVar(&o.watchEvents, "watch-events", 20, "Section 1: objects created while the watches are open.")
	fs.IntVar(&o.instances, "instances", 1000, "Sections 2 and 3: instances provisioned, then bound once each.")
	fs.IntVar(&o.smallInstances, "small-instances", targetSmallObjects, "Section 2: a first batch of this many instances, in a namespace of its own, measured on its own before -instances (0: none).")
	fs.IntVar(&o.flowConcurrency, "flow-concurrency", 64, "Sections 2 and 3: concurrency of the creates.")
	fs.DurationVar(&o.doneTimeout, "done-timeout", 3*time.Minute, "Sections 2 to 4: how long to wait for every object to be Ready (or its Secret) after the last create; section 4 waits longer for a large step (1s per 50 objects).")
	fs.DurationVar(&o.probeTimeout, "binding-probe-timeout", 30*time.Second, "Section 3: how long the probe binding may take to get its Secret before section 3 is skipped.")
	fs.BoolVar(&o.kcm, "kcm", true, "Sections 2 to 4: run kube-controller-manager (garbage collector, namespace and serviceaccount controllers), as in a real cluster.")
	fs.BoolVar(&o.cmDirect, "cm-direct", true, "Sections 2 to 4: the controller manager reaches the catalog API server directly, as a deployment can through its Service, rather than through kube-apiserver's aggregator.")
	fs.StringVar(&o.apiServerArgs, "apiserver-args", "", "Every section: extra flags of the catalog's API server, space-separated (e.g. \"--storage-media-type=application/json\", or \"--feature-gates=CBORServingAndStorage=true --storage-media-type=application/cbor\").")
	fs.StringVar(&o.catalogWire, "catalog-wire", mediaProtobuf, "Section 1: the encoding of the instances created in the catalog's API server: "+mediaProtobuf+" or "+mediaJSON+" (the CRD's are JSON, its only encoding).")
	fs.StringVar(&o.cmArgs, "cm-args", "", "Sections 2 to 4: extra controller-manager flags, space-separated (e.g. \"--instance-workers=32 --kube-api-qps=500\").")
	fs.StringVar(&o.scale, "scale", "1000,10000,50000,100000", "Section 4: store sizes to grow to, ascending (instances, a binding each, and as many CRD objects; each size grows from the previous one).")
	fs.IntVar(&o.scaleReps, "scale-reps", 3, "Section 4: reads of each kind per reader at each size.")
	fs.BoolVar(&o.profile, "profile", false, "Take CPU profiles of the API servers under load (and heap profiles) into <out>/<timestamp>-profiles.")
	fs.IntVar(&o.profileSeconds, "profile-seconds", 10, "Length of each CPU profile.")
	fs.StringVar(&o.out, "out", "_output/bench", "Directory of the JSON reports (relative to the repository root).")
	fs.StringVar(&o.binDir, "bin-dir", "_output/bench/bin", "Where the catalog's binaries are built (relative to the repository root).")
	fs.BoolVar(&o.keep, "keep", false, "Keep the run directory (logs, data); it is always kept after errors.")
	fs.DurationVar(&o.timeout, "timeout", 0, "Give up after this long; 0 means 15 minutes, plus 50 ms per object of the largest -scale size when section 4 runs.")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	o.values = map[string]string{}
	fs.VisitAll(func(f *flag.Flag) { o.values[f.Name] = f.Value.String() })
	if err := o.validate(); err != nil {
		return nil, err
	}
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	for _, p := range []*string{&o.out, &o.binDir} {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
	}
	return o, nil
}

// validate checks the flags' values.
func (o *options) validate() error {
	if _, err := o.concurrencies(); err != nil {
		return err
	}
	if _, err := o.scaleSizes(); err != nil {
		return err
	}
	if o.n < 1 || o.rounds < 1 || o.listReps < 1 || o.pageSize < 1 || o.watchers < 1 || o.watchEvents < 1 || o.instances < 1 || o.flowConcurrency < 1 || o.scaleReps < 1 {
		return fmt.Errorf("-n, -rounds, -list-reps, -page-size, -watchers, -watch-events, -instances, -flow-concurrency and -scale-reps must be positive")
	}
	if o.smallInstances < 0 || o.timeout < 0 {
		return fmt.Errorf("-small-instances and -timeout must not be negative")
	}
	if o.catalogWire != mediaProtobuf && o.catalogWire != mediaJSON {
		return fmt.Errorf("-catalog-wire: %q is neither %s nor %s", o.catalogWire, mediaProtobuf, mediaJSON)
	}
	sections, err := positiveInts("-sections", o.sections)
	if err != nil {
		return err
	}
	if slices.Max(sections) > 4 {
		return fmt.Errorf("-sections: there are sections 1 to 4")
	}
	if o.runs(3) && !o.runs(2) {
		return fmt.Errorf("-sections: section 3 binds the instances of section 2")
	}
	return nil
}

// scaleSizes parses -scale: positive sizes in ascending order.
func (o *options) scaleSizes() ([]int, error) {
	sizes, err := positiveInts("-scale", o.scale)
	for i := 1; err == nil && i < len(sizes); i++ {
		if sizes[i] <= sizes[i-1] {
			err = fmt.Errorf("-scale: the sizes must grow: %d after %d", sizes[i], sizes[i-1])
		}
	}
	return sizes, err
}

// positiveInts parses list, the value of flag name: positive numbers
// separated by commas.
func positiveInts(name, list string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive number", name, f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Parts of the default timeout (see runTimeout).
const (
	baseTimeout      = 15 * time.Minute
	scaleTimePerSize = 50 * time.Millisecond
)

// runTimeout is -timeout, or by default baseTimeout plus scaleTimePerSize
// per object of the largest size when section 4 runs.
func (o *options) runTimeout() time.Duration {
	if o.timeout > 0 {
		return o.timeout
	}
	sizes, _ := o.scaleSizes()
	if !o.runs(4) || len(sizes) == 0 {
		return baseTimeout
	}
	return baseTimeout + time.Duration(sizes[len(sizes)-1])*scaleTimePerSize
}

// runs reports whether section s is to run.
func (o *options) runs(s int) bool {
	for _, f := range strings.Split(o.sections, ",") {
		if strings.TrimSpace(f) == strconv.Itoa(s) {
			return true
		}
	}
	return false
}

// concurrencies parses -concurrency.
func (o *options) concurrencies() ([]int, error) {
	return positiveInts("-concurrency", o.concurrency)
}

// levels splits -n over the concurrencies: a tenth to the first (unless it is
// the only one), the rest evenly over the others.
func (o *options) levels() []levelSpec {
	cs, _ := o.concurrencies()
	if len(cs) == 1 {
		return []levelSpec{{cs[0], o.n}}
	}
	first := o.n / 10
	rest := split(o.n-first, len(cs)-1)
	out := []levelSpec{{cs[0], first}}
	for i, c := range cs[1:] {
		out = append(out, levelSpec{c, rest[i]})
	}
	return out
}

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, opts, os.Stdout)
	stop()
	os.Exit(code)
}

// run runs the sections and returns the exit code: 0 when every measurement
// worked (whether or not the performance targets were met), 1 otherwise.
func run(ctx context.Context, opts *options, out io.Writer) int {
	start := time.Now()
	stamp := start.UTC().Format("20060102T150405Z")
	ctx, cancel := context.WithTimeout(ctx, opts.runTimeout())
	defer cancel()
	logf := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	rep := &report{
		Timestamp: start.UTC().Format(time.RFC3339),
		Status:    "ok",
		Flags:     opts.values,
		Machine: machine{
			CPUs: runtime.NumCPU(), GoVersion: runtime.Version(),
			KubeVersion: kubecluster.KubeVersion, EtcdVersion: kubecluster.EtcdVersion,
			LoadAvgBefore: figures.LoadAvg(),
		},
	}
	rep.Commit, rep.Dirty = figures.GitState()
	fail := func(err error) {
		rep.Status = "failed"
		rep.Errors = append(rep.Errors, err.Error())
		logf("ERROR: %v", err)
	}
	if opts.profile {
		opts.profileDir = filepath.Join(opts.out, stamp+"-profiles")
		if err := os.MkdirAll(opts.profileDir, 0o755); err != nil {
			fail(err)
		}
	}

	dir, err := os.MkdirTemp("", "catalog-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	logf("run directory %s (load average %s)", dir, rep.Machine.LoadAvgBefore)
	e, err := newEnv(ctx, opts, dir, logf)
	if err != nil {
		fail(fmt.Errorf("starting the control plane: %w", err))
	} else {
		runSections(ctx, e, opts, rep, out, logf)
		if err := e.close(); err != nil {
			fail(fmt.Errorf("stopping: %w", err))
		}
	}
	if rep.failed() {
		rep.Status = "failed"
	}
	rep.Targets = rep.verdicts()
	rep.WallSeconds = time.Since(start).Seconds()
	rep.Machine.LoadAvgAfter = figures.LoadAvg()

	path, err := figures.WriteReport(opts.out, stamp, rep)
	if err != nil {
		fail(fmt.Errorf("writing the report: %w", err))
	}
	printTargets(out, rep.Targets)
	met := 0
	for _, v := range rep.Targets {
		if v.Status == statusMet {
			met++
		}
	}
	fmt.Fprintf(out, "\nbench: %d of %d performance targets met; wall time %.0fs; load average %s -> %s; report %s\n",
		met, len(rep.Targets), rep.WallSeconds, rep.Machine.LoadAvgBefore, rep.Machine.LoadAvgAfter, path)
	if rep.Status != "ok" {
		fmt.Fprintf(os.Stderr, "\nbench: FAILED: some measurements returned errors (run directory kept: %s):\n", dir)
		for _, msg := range allErrors(rep) {
			fmt.Fprintln(os.Stderr, "  -", msg)
		}
		return 1
	}
	if opts.keep {
		logf("run directory kept: %s", dir)
	} else if err := os.RemoveAll(dir); err != nil {
		logf("removing %s: %v", dir, err)
	}
	if rep.Section3 != nil && rep.Section3.Status == "skipped" {
		fmt.Fprintf(out, "bench: no measurement returned errors, but section 3 was skipped: %s; its target is NOT shown as met\n", rep.Section3.Skipped)
		return 0
	}
	fmt.Fprintln(out, "bench: OK (no measurement returned errors)")
	return 0
}

// runSections runs the chosen sections, printing each one's table when it
// ends.
func runSections(ctx context.Context, e *env, opts *options, rep *report, out io.Writer, logf func(string, ...any)) {
	if opts.runs(1) {
		logf("section 1: catalog vs CRD vs raw etcd")
		rep.Section1 = section1(ctx, e, opts, logf)
		printSection1(out, rep.Section1)
	}
	if opts.runs(2) {
		runFlows(ctx, e, opts, rep, out, logf)
	}
	if opts.runs(4) {
		logf("section 4: starting a fresh API server, test broker and controller manager")
		f, err := startControllers(ctx, e, opts, "stack-scale", scaleStackArgs(opts), logf)
		if err != nil {
			rep.Section4 = &section4Result{Status: "failed", Errors: []string{err.Error()}}
		} else {
			rep.Section4 = section4(ctx, f)
		}
		printSection4(out, rep.Section4)
	}
}

// startControllers starts, in place of the running stack, a fresh one with
// the API server, the test broker and the controller manager (and
// kube-controller-manager with -kcm), builds the flows' clients and
// registers the test broker.
func startControllers(ctx context.Context, e *env, opts *options, name string, args stackArgs, logf func(string, ...any)) (*flowEnv, error) {
	if err := e.stopStack(); err != nil {
		return nil, err
	}
	err := e.startStack(ctx, name, args, catalogstack.APIServer, catalogstack.TestBroker, catalogstack.ControllerManager)
	if err == nil && opts.kcm && e.kcm == nil {
		err = e.startKCM(ctx)
	}
	if err != nil {
		return nil, err
	}
	f, err := newFlowEnv(e, opts, logf)
	if err != nil {
		return nil, err
	}
	return f, f.registerBroker(ctx)
}

// scaleStackArgs are section 4's flags: our API server's embedded etcd gets
// etcdQuota and its history is compacted sooner, and the test broker keeps the records of the largest
// growth step.
func scaleStackArgs(opts *options) stackArgs {
	sizes, _ := opts.scaleSizes()
	step, prev := 0, 0
	for _, s := range sizes {
		step, prev = max(step, s-prev), s
	}
	return stackArgs{
		apiServer: []string{
			"--etcd-compaction-interval=" + scaleCompactionInterval,
			"--etcd-quota-backend-bytes=" + strconv.FormatInt(etcdQuota, 10),
		},
		testBroker: []string{fmt.Sprintf("--max-recorded-requests=%d", max(100000, 2*step))},
	}
}

// runFlows runs sections 2 and 3 on a stack with the controllers.
func runFlows(ctx context.Context, e *env, opts *options, rep *report, out io.Writer, logf func(string, ...any)) {
	logf("sections 2-3: starting the API server, the test broker and the controller manager")
	f, err := startControllers(ctx, e, opts, "stack-controllers", stackArgs{}, logf)
	if err != nil {
		rep.Section2 = &flowResult{Status: "failed", Errors: []string{err.Error()}}
		printFlow(out, "Section 2: provisioning", "instances", "instance", rep.Section2)
		if opts.runs(3) {
			rep.Section3 = &flowResult{Status: "failed", Errors: []string{"not run: section 2 could not start"}}
			printFlow(out, "Section 3: bindings", "bindings", "binding", rep.Section3)
		}
		return
	}
	rep.Section2Small, rep.Section2 = section2(ctx, f)
	if rep.Section2Small != nil {
		printFlow(out, fmt.Sprintf("Section 2, first batch: %d instances created at once, in a namespace of their own", opts.smallInstances), "instances", "instance", rep.Section2Small)
	}
	printFlow(out, fmt.Sprintf("Section 2: %d instances created at once against the test broker (sync plan)", opts.instances), "instances", "instance", rep.Section2)
	if !opts.runs(3) {
		return
	}
	if rep.Section2.Status != "ok" {
		rep.Section3 = &flowResult{Status: "failed", Errors: []string{"not run: section 2 did not provision every instance"}}
	} else {
		rep.Section3 = section3(ctx, f, section2Keys(opts))
	}
	printFlow(out, fmt.Sprintf("Section 3: %d bindings created at once for the instances of section 2", opts.instances), "bindings", "binding", rep.Section3)
}

// failed reports whether a section failed.
func (r *report) failed() bool {
	if r.Section1 != nil && r.Section1.Status == "failed" {
		return true
	}
	if r.Section4 != nil && r.Section4.Status == "failed" {
		return true
	}
	for _, s := range r.flows() {
		if s.result.Status == "failed" {
			return true
		}
	}
	return false
}

// allErrors lists every error of the run.
func allErrors(rep *report) []string {
	out := append([]string{}, rep.Errors...)
	if rep.Section1 != nil {
		for _, e := range rep.Section1.Errors {
			out = append(out, "section 1: "+e)
		}
	}
	for _, s := range rep.flows() {
		for _, e := range s.result.Errors {
			out = append(out, s.name+": "+e)
		}
	}
	if rep.Section4 != nil {
		for _, e := range rep.Section4.Errors {
			out = append(out, "section 4: "+e)
		}
	}
	return out
}
