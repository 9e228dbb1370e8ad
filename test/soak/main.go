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
	"strings"
	"syscall"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// options are the soak's flags.
type options struct {
	instances   int
	bindings    int
	namespaces  int
	brokers     int
	concurrency int

	faultRate   float64
	seed        uint64
	faults      string
	slowMax     time.Duration
	cmKillEvery time.Duration
	apiKills    int
	etcdKills   int
	windowMin   time.Duration

	osbTimeout      time.Duration
	cmArgs          string
	cmVerbosity     int
	cmDirect        bool
	settleTimeout   time.Duration
	convergeTimeout time.Duration
	timeout         time.Duration

	out    string
	binDir string
	keep   bool

	// values are every flag's value, for the report.
	values map[string]string
}

// newFlagSet returns the flag set of the soak, filling o.
func newFlagSet(o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.instances, "instances", 1000, "Instances created, then updated; half deleted, then all.")
	fs.IntVar(&o.bindings, "bindings", 1000, "Bindings created, one for each of the first instances (at most -instances).")
	fs.IntVar(&o.namespaces, "namespaces", 20, "Namespaces the objects are spread over.")
	fs.IntVar(&o.brokers, "brokers", 2, "Test brokers, each with its own offering; instances are spread over them.")
	fs.IntVar(&o.concurrency, "concurrency", 32, "Creates, updates and deletes sent at once.")
	fs.Float64Var(&o.faultRate, "fault-rate", 0.2, "Share of the brokers' answers about instances and bindings that misbehave during the fault windows.")
	fs.Uint64Var(&o.seed, "seed", 1, "Seed of the brokers' faults (broker i uses seed+i) and of the choice of replica to kill when no leader is known.")
	fs.StringVar(&o.faults, "faults", "", "Comma-separated broker faults to choose from; empty means all of "+strings.Join(faultNames(), ","))
	fs.DurationVar(&o.slowMax, "slow-max", 2*time.Second, "Longest delay of a slow broker answer (below -osb-timeout).")
	fs.DurationVar(&o.cmKillEvery, "cm-kill-every", 15*time.Second, "SIGKILL the leading controller manager this often during the fault windows, and restart it; 0 never.")
	fs.IntVar(&o.apiKills, "apiserver-kills", 2, "SIGKILLs (and restarts) of the catalog API server.")
	fs.IntVar(&o.etcdKills, "etcd-kills", 1, "SIGKILLs (and restarts) of the catalog's etcd.")
	fs.DurationVar(&o.windowMin, "window-min", 0, "Shortest fault window: the faults go on at least this long even if the steps are done.")
	fs.DurationVar(&o.osbTimeout, "osb-timeout", 5*time.Second, "The controller manager's --osb-timeout: broker answers held longer time out.")
	fs.StringVar(&o.cmArgs, "cm-args", "", "Extra controller-manager flags, space-separated.")
	fs.IntVar(&o.cmVerbosity, "cm-verbosity", 4, "The controller managers' -v: 4 logs every broker request, which the findings quote and the leak scan searches.")
	fs.BoolVar(&o.cmDirect, "cm-direct", false, "The controller managers reach the catalog API server directly rather than through kube-apiserver's aggregator.")
	fs.DurationVar(&o.settleTimeout, "settle-timeout", time.Minute, "How long each step waits for the controllers before the next one (under faults).")
	fs.DurationVar(&o.convergeTimeout, "converge-timeout", 5*time.Minute, "How long the objects may take to converge once the faults stop.")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Minute, "Give up after this long.")
	fs.StringVar(&o.out, "out", "_output/soak", "Directory of the JSON reports (relative to the repository root).")
	fs.StringVar(&o.binDir, "bin-dir", "_output/soak/bin", "Where the catalog's binaries are built (relative to the repository root).")
	fs.BoolVar(&o.keep, "keep", false, "Keep the run directory (logs, data); it is always kept when a target is missed or a step failed.")
	return fs
}

// parseFlags parses and checks args.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := newFlagSet(o, stderr)
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
	return o, o.absPaths()
}

// validate checks the options.
func (o *options) validate() error {
	var errs []error
	if o.instances < 2 || o.namespaces < 1 || o.brokers < 1 || o.concurrency < 1 {
		errs = append(errs, errors.New("-instances must be at least 2; -namespaces, -brokers and -concurrency positive"))
	}
	if o.bindings < 0 || o.bindings > o.instances {
		errs = append(errs, errors.New("-bindings must be between 0 and -instances"))
	}
	if o.faultRate < 0 || o.faultRate > 1 {
		errs = append(errs, errors.New("-fault-rate must be between 0 and 1"))
	}
	if _, err := broker.ParseFaults(o.faults); err != nil {
		errs = append(errs, fmt.Errorf("-faults: %w", err))
	}
	if o.apiKills < 0 || o.etcdKills < 0 || o.cmKillEvery < 0 || o.windowMin < 0 {
		errs = append(errs, errors.New("kills and durations must not be negative"))
	}
	if o.slowMax >= o.osbTimeout {
		errs = append(errs, errors.New("-slow-max must be below -osb-timeout: a slow answer is not a timeout"))
	}
	return errors.Join(errs...)
}

// absPaths makes -out and -bin-dir absolute, relative to the repository.
func (o *options) absPaths() error {
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return err
	}
	for _, p := range []*string{&o.out, &o.binDir} {
		if !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
	}
	return nil
}

// faultNames lists the brokers' faults.
func faultNames() []string {
	out := make([]string, len(broker.AllFaults))
	for i, f := range broker.AllFaults {
		out[i] = string(f)
	}
	return out
}

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, opts, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
