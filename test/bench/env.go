package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// adminUser is the cluster user (system:masters) the benchmark acts as: it is
// exempt from priority and fairness in both API servers, and our server's
// delegated authorization allows it without a SubjectAccessReview.
const adminUser = "admin"

// profilingArg turns on /debug/pprof, which both API servers serve by default
// and the test harness turns off; the benchmark forces garbage collections
// through it before reading memory, and takes CPU profiles with -profile.
const profilingArg = "--profiling=true"

// env is the benchmark's world, all on 127.0.0.1: a control plane (etcd,
// kube-apiserver; kube-controller-manager only when asked for, see startKCM),
// the catalog's components in a catalogstack, a separate etcd for the raw
// etcd target, and the run directory holding logs and data.
type env struct {
	opts     *options
	dir      string
	logf     func(format string, args ...any)
	binaries map[catalogstack.Component]string

	cluster *kubecluster.Cluster
	stack   *catalogstack.Stack
	rawEtcd *kubecluster.Etcd
	kcm     *kubecluster.Child
}

// newEnv builds the catalog's binaries and starts the control plane without
// kube-controller-manager: its garbage collector watches every resource, ours
// included, and would add noise to section 1. When section 4 runs,
// kube-apiserver's etcd gets a quota of etcdQuota: it stores the CRD's
// objects, the bindings' Secrets and their Events.
func newEnv(ctx context.Context, opts *options, dir string, logf func(string, ...any)) (*env, error) {
	e := &env{opts: opts, dir: dir, logf: logf}
	start := time.Now()
	bins, err := catalogstack.BuildBinaries(ctx, opts.binDir,
		[]catalogstack.Component{catalogstack.APIServer, catalogstack.TestBroker, catalogstack.ControllerManager})
	if err != nil {
		return nil, err
	}
	e.binaries = bins
	logf("catalog binaries ready in %s (%s)", time.Since(start).Round(time.Millisecond), opts.binDir)
	if opts.runs(4) {
		// etcd reads its flags from ETCD_* variables too, and inherits ours.
		if err := os.Setenv("ETCD_QUOTA_BACKEND_BYTES", strconv.FormatInt(etcdQuota, 10)); err != nil {
			return nil, err
		}
	}
	e.cluster, err = kubecluster.StartCluster(ctx, kubecluster.Options{
		Dir:                      filepath.Join(dir, "cluster"),
		DisableControllerManager: true,
		// Every etcd syncs its writes, as in production, like our embedded one.
		EtcdFsync:         true,
		KubeAPIServerArgs: []string{profilingArg},
		Logf:              logf,
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// stackArgs are flags a section adds to its stack's components.
type stackArgs struct {
	apiServer, testBroker []string
}

// startStack starts the catalog's components in a fresh stack whose API
// server has an empty embedded etcd under dir/<name>. Only one stack runs at a
// time.
func (e *env) startStack(ctx context.Context, name string, args stackArgs, components ...catalogstack.Component) error {
	if e.stack != nil {
		return errors.New("a stack runs already")
	}
	s, err := catalogstack.StartStack(ctx, catalogstack.Options{
		Cluster:                 e.cluster,
		Dir:                     filepath.Join(e.dir, name),
		Components:              components,
		Binaries:                e.binaries,
		AdminUser:               adminUser,
		APIServerArgs:           append(append([]string{profilingArg}, args.apiServer...), strings.Fields(e.opts.apiServerArgs)...),
		TestBrokerArgs:          args.testBroker,
		ControllerManagerDirect: e.opts.cmDirect,
		ControllerManagerArgs:   strings.Fields(e.opts.cmArgs),
		Logf:                    e.logf,
	})
	if err != nil {
		return err
	}
	e.stack = s
	return nil
}

// stopStack stops the running stack, if any.
func (e *env) stopStack() error {
	if e.stack == nil {
		return nil
	}
	err := e.stack.Stop()
	e.stack = nil
	return err
}

// startRawEtcd starts the raw etcd target's etcd: the binary kube-apiserver's
// etcd runs, with the same flags (kubecluster.RunEtcd), in a process of its
// own so that its memory and load are the raw target's alone.
func (e *env) startRawEtcd(ctx context.Context) error {
	var err error
	e.rawEtcd, err = kubecluster.RunEtcd(ctx, kubecluster.EtcdOptions{
		Binary: e.cluster.Binaries.Etcd,
		Dir:    filepath.Join(e.dir, "raw-etcd"),
		Logf:   e.logf,
		Fsync:  true,
	})
	return err
}

// stopRawEtcd stops the raw etcd, if it runs.
func (e *env) stopRawEtcd() error {
	if e.rawEtcd == nil {
		return nil
	}
	err := e.rawEtcd.Stop()
	e.rawEtcd = nil
	return err
}

// startKCM starts kube-controller-manager with kubecluster's flags (its
// namespace, garbage-collector, serviceaccount and clusterrole-aggregation
// controllers, no serving) and waits until its serviceaccount controller has
// created default/default, which shows that it runs its controllers.
func (e *env) startKCM(ctx context.Context) error {
	c := e.cluster
	logFile := filepath.Join(c.Dir, "logs", "kube-controller-manager.log")
	ch, err := kubecluster.StartChild("kube-controller-manager", logFile, c.Dir, c.Binaries.KubeControllerManager,
		"--kubeconfig="+filepath.Join(c.Dir, "kube-controller-manager.kubeconfig"),
		"--secure-port=0",
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file="+c.ServiceAccountSigningKeyFile,
		"--root-ca-file="+c.CAFile,
		"--controllers=namespace,garbagecollector,serviceaccount,clusterrole-aggregation",
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	e.kcm = ch
	cs := c.Clientset(adminUser)
	wctx, cancel := ch.WhileRunning(ctx)
	defer cancel()
	err = wait.PollUntilContextTimeout(wctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	})
	if ch.Exited() {
		return fmt.Errorf("%w (log %s)", ch.ExitError(), logFile)
	}
	if err != nil {
		return fmt.Errorf("kube-controller-manager did not start its controllers: %w", err)
	}
	e.logf("kube-controller-manager running (pid %d)", ch.Process().PID)
	return nil
}

// stopKCM stops kube-controller-manager, if it runs.
func (e *env) stopKCM() error {
	if e.kcm == nil {
		return nil
	}
	err := e.kcm.Stop()
	e.kcm = nil
	return err
}

// close stops everything, in the reverse order of start.
func (e *env) close() error {
	errs := []error{e.stopKCM(), e.stopStack(), e.stopRawEtcd()}
	if e.cluster != nil {
		errs = append(errs, e.cluster.Stop())
	}
	return errors.Join(errs...)
}

// adminConfig is the admin's client configuration towards kube-apiserver.
func (e *env) adminConfig() *rest.Config {
	return e.cluster.Config(adminUser)
}

// directConfig is the admin's client configuration towards our API server's
// own port: the admin's client certificate, which our delegated
// authentication accepts (it trusts the cluster's client CA), and the CA of
// our serving certificate.
func (e *env) directConfig() (*rest.Config, error) {
	ca, err := os.ReadFile(e.cluster.AggregatedCAFile)
	if err != nil {
		return nil, err
	}
	cfg := e.adminConfig()
	cfg.Host = "https://127.0.0.1:" + strconv.Itoa(e.stack.APIServerPort)
	cfg.CAData = ca
	return cfg, nil
}

// catalogServer describes our API server, reached directly.
func (e *env) catalogServer() (goServer, error) {
	cfg, err := e.directConfig()
	if err != nil {
		return goServer{}, err
	}
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return goServer{}, err
	}
	stack := e.stack
	return goServer{
		Name:   "catalog-apiserver",
		PID:    func() int { p, _ := stack.Process(catalogstack.APIServer); return p.PID },
		Base:   cfg.Host,
		Client: client,
		Pprof:  true,
	}, nil
}

// kubeServer describes kube-apiserver.
func (e *env) kubeServer() (goServer, error) {
	cfg := e.adminConfig()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return goServer{}, err
	}
	pid := 0
	for _, p := range e.cluster.Processes() {
		if p.Name == "kube-apiserver" {
			pid = p.PID
		}
	}
	if pid == 0 {
		return goServer{}, errors.New("kube-apiserver is not among the cluster's processes")
	}
	return goServer{Name: "kube-apiserver", PID: func() int { return pid }, Base: cfg.Host, Client: client, Pprof: true}, nil
}

// kubeEtcdPID is the PID of kube-apiserver's etcd, 0 if unknown.
func (e *env) kubeEtcdPID() int {
	for _, p := range e.cluster.Processes() {
		if p.Name == "etcd" {
			return p.PID
		}
	}
	return 0
}

// kubeEtcdServer describes kube-apiserver's etcd (it serves /metrics on its
// client URL, and no pprof).
func (e *env) kubeEtcdServer() goServer {
	pid := e.kubeEtcdPID()
	return goServer{
		Name:   "kube-etcd",
		PID:    func() int { return pid },
		Base:   e.cluster.EtcdEndpoint,
		Client: &http.Client{Timeout: 30 * time.Second},
	}
}

// controllerServer describes the running controller manager: /metrics on its
// plain-HTTP health address, no pprof. Its PID follows restarts.
func (e *env) controllerServer() (goServer, error) {
	stack := e.stack
	p, ok := stack.Process(catalogstack.ControllerManager)
	if !ok {
		return goServer{}, errors.New("the controller manager does not run")
	}
	url, err := controllerMetricsURL(p.PID)
	if err != nil {
		return goServer{}, err
	}
	return goServer{
		Name:   string(catalogstack.ControllerManager),
		PID:    func() int { p, _ := stack.Process(catalogstack.ControllerManager); return p.PID },
		Base:   strings.TrimSuffix(url, "/metrics"),
		Client: &http.Client{Timeout: 30 * time.Second},
	}, nil
}

// etcdDBFile is the bbolt file of the etcd whose data directory is dataDir:
// its size is what etcd's quota (--quota-backend-bytes) counts.
func etcdDBFile(dataDir string) string {
	return filepath.Join(dataDir, "member", "snap", "db")
}

// etcdDBSizes returns the size of the bbolt files of kube-apiserver's etcd
// (the cluster's Dir/etcd) and of our API server's embedded etcd (the stack's
// Dir/catalog-etcd), by process name; a file that cannot be read is left out.
func (e *env) etcdDBSizes() map[string]int64 {
	out := map[string]int64{}
	for name, dir := range map[string]string{
		procKubeEtcd: filepath.Join(e.cluster.Dir, "etcd"),
		procCatalog:  filepath.Join(e.stack.Dir, "catalog-etcd"),
	} {
		if fi, err := os.Stat(etcdDBFile(dir)); err == nil {
			out[name] = fi.Size()
		}
	}
	return out
}

// rawEtcdServer describes the raw etcd target's etcd (it serves /metrics on
// its client URL, and no pprof).
func (e *env) rawEtcdServer() goServer {
	etcd := e.rawEtcd
	return goServer{
		Name:   "etcd",
		PID:    func() int { return etcd.Process().PID },
		Base:   etcd.Endpoint,
		Client: &http.Client{Timeout: 30 * time.Second},
	}
}

// createNamespaces creates the namespaces in kube-apiserver (our API server's
// namespace lifecycle admission refuses objects in a namespace that does not
// exist there).
func createNamespaces(ctx context.Context, cs kubernetes.Interface, names ...string) error {
	for _, n := range names {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", n, err)
		}
	}
	return nil
}
