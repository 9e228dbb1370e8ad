package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// adminUser is the cluster user (system:masters) the soak acts as.
const adminUser = "admin"

// env is the soak's world, all on 127.0.0.1: a control plane, the catalog's
// etcd, API server and controller-manager replicas, the test brokers, the
// clients, and the run directory with every log.
type env struct {
	opts     *options
	dir      string
	logf     func(string, ...any)
	binaries map[catalogstack.Component]string

	cluster  *kubecluster.Cluster
	etcd     *catalogEtcd
	stack    *catalogstack.Stack
	brokers  []*testBroker
	replicas *replicaSet

	kube    kubernetes.Interface
	catalog clientset.Interface
}

// startEnv starts everything. On error the env returned holds what was
// started, for close.
func startEnv(ctx context.Context, opts *options, dir string, logf func(string, ...any)) (*env, error) {
	e := &env{opts: opts, dir: dir, logf: logf}
	start := time.Now()
	bins, err := catalogstack.BuildBinaries(ctx, opts.binDir,
		[]catalogstack.Component{catalogstack.APIServer, catalogstack.TestBroker, catalogstack.ControllerManager})
	if err != nil {
		return e, err
	}
	e.binaries = bins
	logf("catalog binaries ready in %s (%s)", time.Since(start).Round(time.Millisecond), opts.binDir)
	if e.cluster, err = kubecluster.StartCluster(ctx, kubecluster.Options{Dir: filepath.Join(dir, "cluster"), Logf: logf}); err != nil {
		return e, err
	}
	if e.etcd, err = startCatalogEtcd(ctx, e.cluster.Binaries.Etcd, filepath.Join(dir, "catalog"), logf); err != nil {
		return e, err
	}
	if err := e.startStack(ctx); err != nil {
		return e, err
	}
	if err := e.newClients(); err != nil {
		return e, err
	}
	e.replicas = newReplicaSet(e, 2)
	if err := e.replicas.startAll(ctx); err != nil {
		return e, err
	}
	return e, e.startBrokers(ctx)
}

// startStack starts the catalog's API server on the soak's etcd, with
// compaction off so that the leak scan sees every value ever written.
func (e *env) startStack(ctx context.Context) error {
	s, err := catalogstack.StartStack(ctx, catalogstack.Options{
		Cluster:    e.cluster,
		Dir:        filepath.Join(e.dir, "catalog"),
		Components: []catalogstack.Component{catalogstack.APIServer},
		Binaries:   e.binaries,
		AdminUser:  adminUser,
		APIServerArgs: []string{
			"--etcd-servers=" + e.etcd.Endpoint,
			"--etcd-compaction-interval=0",
		},
		ControllerManagerDirect: e.opts.cmDirect,
		ControllerManagerArgs:   e.controllerManagerArgs(),
		Logf:                    e.logf,
	})
	if err != nil {
		return err
	}
	e.stack = s
	return nil
}

// controllerManagerArgs are the replicas' flags: short broker timeouts and
// backoffs, so that faults are noticed and retried within the soak, and a
// short leader Lease, so that a killed leader is replaced in seconds.
func (e *env) controllerManagerArgs() []string {
	return append([]string{
		"--osb-timeout=" + e.opts.osbTimeout.String(),
		"--retry-backoff-base=1s",
		"--retry-backoff-max=15s",
		"--poll-interval-max=5s",
		"--leader-elect-lease-duration=6s",
		"--leader-elect-renew-deadline=4s",
		"--leader-elect-retry-period=1s",
		"-v=" + strconv.Itoa(e.opts.cmVerbosity),
	}, strings.Fields(e.opts.cmArgs)...)
}

// newClients builds the admin's clients, through kube-apiserver (and its
// aggregator for the catalog), without a client-side rate limit.
func (e *env) newClients() error {
	cfg := rest.CopyConfig(e.cluster.Config(adminUser))
	cfg.QPS, cfg.Burst, cfg.RateLimiter = -1, 0, nil
	cfg.Timeout = 30 * time.Second
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.UserAgent = "catalog-soak"
	var err error
	if e.kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	e.catalog, err = clientset.NewForConfig(cfg)
	return err
}

// startBrokers starts the test brokers and registers them.
func (e *env) startBrokers(ctx context.Context) error {
	for i := range e.opts.brokers {
		b := newTestBroker(i)
		e.brokers = append(e.brokers, b)
		if err := b.start(ctx, e.binaries[catalogstack.TestBroker], e.stack.Dir, e.opts); err != nil {
			return fmt.Errorf("starting %s: %w", b.name, err)
		}
		if err := e.registerBroker(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// setChaos sets every broker's fault rate.
func (e *env) setChaos(ctx context.Context, rate float64) error {
	var errs []error
	for _, b := range e.brokers {
		errs = append(errs, b.setRate(ctx, rate))
	}
	return errors.Join(errs...)
}

// records reads every broker's record.
func (e *env) records(ctx context.Context) ([]*brokerRecord, error) {
	var out []*brokerRecord
	for _, b := range e.brokers {
		r, err := b.record(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// close stops everything, in the reverse order of start.
func (e *env) close() error {
	var errs []error
	if e.replicas != nil {
		errs = append(errs, e.replicas.stopAll())
	}
	if e.stack != nil {
		errs = append(errs, e.stack.Stop())
	}
	for _, b := range e.brokers {
		if b.child != nil {
			errs = append(errs, b.child.Stop())
		}
	}
	if e.etcd != nil {
		errs = append(errs, e.etcd.stop())
	}
	if e.cluster != nil {
		errs = append(errs, e.cluster.Stop())
	}
	return errors.Join(errs...)
}
