package kubecluster

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Defaults for Options.
const (
	// DefaultAggregatedServiceNamespace is the namespace of the Service that
	// fronts the aggregated API server, and of the component identities.
	DefaultAggregatedServiceNamespace = "service-catalog"
	// DefaultAggregatedServiceName is the name of that Service.
	DefaultAggregatedServiceName = "catalog-apiserver"
	// DefaultStartTimeout bounds the start-up of each process.
	DefaultStartTimeout = 2 * time.Minute
)

// DefaultComponents are the service catalog components that get a client
// identity of a ServiceAccount in the aggregated service's namespace.
var DefaultComponents = []string{"catalog-apiserver", "catalog-controller-manager"}

// User is a client identity for which the cluster issues a client
// certificate and writes a kubeconfig.
type User struct {
	// Name identifies the user in this package (Config, Kubeconfig,
	// RunKubectl) and names its kubeconfig file, <Name>.kubeconfig.
	Name string
	// CommonName is the Kubernetes user name (the certificate's CN);
	// empty means Name.
	CommonName string
	// Groups are the Kubernetes groups (the certificate's O).
	Groups []string
}

// DefaultUsers returns the users a cluster gets when Options.Users is empty:
// "admin" (CN catalog-admin, group system:masters), and "alice" and "bob"
// (no groups, so no rights beyond those of any authenticated user).
func DefaultUsers() []User {
	return []User{
		{Name: "admin", CommonName: "catalog-admin", Groups: []string{"system:masters"}},
		{Name: "alice"},
		{Name: "bob"},
	}
}

// ServiceAccountUser returns the user name Kubernetes gives the ServiceAccount
// namespace/name: system:serviceaccount:<namespace>:<name>.
func ServiceAccountUser(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// Options configures a cluster. The zero value is ready to use.
type Options struct {
	// Dir is the run directory: PKI, kubeconfigs, logs and etcd data go
	// here. Start defaults it to t.TempDir(); StartCluster to a new
	// temporary directory that Stop removes unless KeepDir is set. A Dir
	// given by the caller is never removed, but every start regenerates the
	// PKI and kubeconfigs in it and empties Dir/etcd: a cluster always
	// starts fresh.
	Dir string
	// KeepDir keeps a temporary run directory created by StartCluster.
	KeepDir bool
	// Users are the client identities to create; empty means DefaultUsers.
	Users []User
	// Components are ServiceAccount names in AggregatedServiceNamespace
	// that get a client certificate and <name>.kubeconfig, authenticating
	// as system:serviceaccount:<ns>:<name> with the groups
	// system:serviceaccounts and system:serviceaccounts:<ns>, so that RBAC
	// written for those ServiceAccounts applies unchanged. Nil means
	// DefaultComponents; an empty non-nil slice means none.
	Components []string
	// AggregatedServiceName names the Service in front of the aggregated
	// API server; the aggregated serving certificate is issued for
	// <name>.<namespace>.svc. Empty means DefaultAggregatedServiceName.
	AggregatedServiceName string
	// AggregatedServiceNamespace is that Service's namespace, and the
	// namespace of the component identities. Empty means
	// DefaultAggregatedServiceNamespace.
	AggregatedServiceNamespace string
	// Binaries overrides LocateBinaries.
	Binaries *Binaries
	// DisableControllerManager skips kube-controller-manager. Namespaces
	// then never finish deleting, ownerReference GC does not happen, and
	// aggregated ClusterRoles do not reach admin, edit and view.
	DisableControllerManager bool
	// EtcdFsync makes kube-apiserver's etcd sync its writes to disk, as production etcd
	// does (see EtcdOptions.Fsync); benchmarks want it, tests do not.
	EtcdFsync bool
	// KubeAPIServerArgs are appended to the kube-apiserver flags (a flag
	// given again overrides the default).
	KubeAPIServerArgs []string
	// ServingIPs are added to the addresses kube-apiserver's serving
	// certificate is valid for (127.0.0.1): its advertise address and the
	// kubernetes Service's cluster IP, for clients in pods.
	ServingIPs []net.IP
	// ControllerManagerArgs are appended to the kube-controller-manager flags.
	ControllerManagerArgs []string
	// StartTimeout bounds the start-up of each process; zero means
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// Logf receives progress messages; Start defaults it to t.Logf.
	Logf func(format string, args ...any)
}

// credential is a client identity with its certificate and kubeconfig.
type credential struct {
	user       User
	cert       *certKey
	kubeconfig string
}

// Cluster is a running control plane: etcd, kube-apiserver and (unless
// disabled) kube-controller-manager, all on 127.0.0.1.
type Cluster struct {
	// Dir is the run directory.
	Dir string
	// Host is the kube-apiserver URL, https://127.0.0.1:<port>.
	Host string
	// EtcdEndpoint is the client URL of kube-apiserver's etcd.
	EtcdEndpoint string
	// CAFile is the cluster CA (PEM): it signed kube-apiserver's serving
	// certificate and every client certificate, and is its --client-ca-file.
	CAFile string
	// KubeconfigFile has a context per user and component, named after it;
	// the current context is "admin" if there is such a user, else the
	// first user.
	KubeconfigFile string
	// FrontProxyCAFile is the CA of the front-proxy client certificate that
	// the aggregator presents to aggregated API servers
	// (--requestheader-client-ca-file).
	FrontProxyCAFile string
	// AggregatedCAFile is the CA of the aggregated API server's serving
	// certificate; RegisterAggregatedAPI puts it in APIService.spec.caBundle.
	AggregatedCAFile string
	// AggregatedCertFile is the aggregated API server's serving
	// certificate, valid for
	// <AggregatedServiceName>.<AggregatedServiceNamespace>.svc, localhost
	// and 127.0.0.1.
	AggregatedCertFile string
	// AggregatedKeyFile is the key of AggregatedCertFile.
	AggregatedKeyFile string
	// AggregatedServiceName is the Service that RegisterAggregatedAPI
	// creates.
	AggregatedServiceName string
	// AggregatedServiceNamespace is its namespace.
	AggregatedServiceNamespace string
	// ServiceAccountSigningKeyFile is the private key that signs
	// ServiceAccount tokens.
	ServiceAccountSigningKeyFile string
	// ServiceAccountKeyFile is its public key.
	ServiceAccountKeyFile string
	// Binaries are the executables the cluster runs.
	Binaries Binaries
	// StartupDuration is how long StartCluster took.
	StartupDuration time.Duration

	users             map[string]*credential
	controllerManager *certKey
	userOrder         []string
	caPEM             []byte
	superuser         *rest.Config
	etcd              *Etcd
	procs             []*process // in start order
	removeDir         bool
	logf              func(format string, args ...any)
	stopOnce          sync.Once
	stopErr           error
	kubectlDir        string
}

// EnvKeepDir is the environment variable that, if set, names a directory
// under which Start creates each test's run directory (instead of
// t.TempDir()) and keeps it, logs included, for a look after the run.
const EnvKeepDir = "CATALOG_KUBECLUSTER_DIR"

// Start starts a cluster for a test and stops it when the test ends; if the
// test failed, the tail of each process log is printed first. It fails the
// test when the binaries are missing (run `make kube-binaries`) or the cluster
// does not come up. It skips in -short mode: real clusters belong to the e2e
// tier.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("kubecluster: a real cluster is not started in -short mode")
	}
	if opts.Dir == "" {
		if keep := os.Getenv(EnvKeepDir); keep != "" {
			if err := os.MkdirAll(keep, 0o755); err != nil {
				t.Fatalf("kubecluster: %v", err)
			}
			dir, err := os.MkdirTemp(keep, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-")
			if err != nil {
				t.Fatalf("kubecluster: %v", err)
			}
			opts.Dir = dir
		} else {
			opts.Dir = t.TempDir()
		}
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	c, err := StartCluster(t.Context(), opts)
	if err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubecluster: process logs (run dir %s):\n%s", c.Dir, c.LogTails(40))
		}
		if err := c.Stop(); err != nil {
			t.Errorf("kubecluster: %v", err)
		}
	})
	return c
}

// StartCluster starts a cluster and returns once kube-apiserver is ready and
// kube-controller-manager runs its controllers. The processes live until Stop
// (or, on Linux, until this process dies); ctx only bounds the start-up. On
// error everything started is stopped again.
func StartCluster(ctx context.Context, opts Options) (c *Cluster, err error) {
	start := time.Now()
	c, err = newCluster(opts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, c.LogTails(30))
			if stopErr := c.Stop(); stopErr != nil {
				err = fmt.Errorf("%w\nstopping: %w", err, stopErr)
			}
			c = nil
		}
	}()
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = DefaultStartTimeout
	}

	pki, err := c.writePKI(opts)
	if err != nil {
		return c, fmt.Errorf("generating PKI: %w", err)
	}
	c.etcd, err = RunEtcd(ctx, EtcdOptions{Binary: c.Binaries.Etcd, Dir: c.Dir, Logf: c.logf, Fsync: opts.EtcdFsync})
	if err != nil {
		return c, err
	}
	c.EtcdEndpoint = c.etcd.Endpoint
	c.procs = append(c.procs, c.etcd.proc)

	if err := c.startKubeAPIServer(ctx, pki, opts.KubeAPIServerArgs, timeout); err != nil {
		return c, err
	}
	if err := c.writeKubeconfigs(); err != nil {
		return c, fmt.Errorf("writing kubeconfigs: %w", err)
	}
	if !opts.DisableControllerManager {
		if err := c.startControllerManager(ctx, opts.ControllerManagerArgs, timeout); err != nil {
			return c, err
		}
	}
	c.StartupDuration = time.Since(start)
	c.logf("kubecluster: control plane up in %s at %s (run dir %s)", c.StartupDuration.Round(time.Millisecond), c.Host, c.Dir)
	return c, nil
}

// newCluster validates opts and prepares the run directory.
func newCluster(opts Options) (*Cluster, error) {
	var bins Binaries
	if opts.Binaries != nil {
		bins = *opts.Binaries
		if err := bins.check(bins.KubeAPIServer, bins.KubeControllerManager, bins.Etcd); err != nil {
			return nil, err
		}
	} else {
		var err error
		if bins, err = LocateBinaries(); err != nil {
			return nil, err
		}
	}
	c := &Cluster{
		Dir:                        opts.Dir,
		Binaries:                   bins,
		AggregatedServiceName:      cmpOr(opts.AggregatedServiceName, DefaultAggregatedServiceName),
		AggregatedServiceNamespace: cmpOr(opts.AggregatedServiceNamespace, DefaultAggregatedServiceNamespace),
		users:                      map[string]*credential{},
		logf:                       opts.Logf,
	}
	if c.logf == nil {
		c.logf = func(string, ...any) {}
	}
	if c.Dir == "" {
		dir, err := os.MkdirTemp("", "kubecluster-")
		if err != nil {
			return nil, err
		}
		c.Dir, c.removeDir = dir, !opts.KeepDir
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, err
	}
	c.Dir = dir
	for _, d := range []string{"pki", "logs", "kubectl-cache"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	c.kubectlDir = filepath.Join(c.Dir, "kubectl-cache")
	return c, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// clusterPKI holds the files kube-apiserver and the controller manager need.
type clusterPKI struct {
	servingCert, servingKey       string
	frontProxyCert, frontProxyKey string
	controllerManager             *certKey
}

// writePKI generates every CA, certificate and key under Dir/pki.
func (c *Cluster) writePKI(opts Options) (*clusterPKI, error) {
	dir := filepath.Join(c.Dir, "pki")
	p := &clusterPKI{}

	ca, err := newCA("kubecluster-ca")
	if err != nil {
		return nil, err
	}
	c.caPEM = ca.certPEM
	if c.CAFile, _, err = ca.write(dir, "ca"); err != nil {
		return nil, err
	}
	serving, err := ca.issue(certSpec{
		commonName: "kube-apiserver",
		dnsNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		ips:   append([]net.IP{net.IPv4(127, 0, 0, 1)}, opts.ServingIPs...),
		usage: x509.ExtKeyUsageServerAuth,
	})
	if err != nil {
		return nil, err
	}
	if p.servingCert, p.servingKey, err = serving.write(dir, "apiserver"); err != nil {
		return nil, err
	}

	// Client identities: users, components, the controller manager and the
	// harness's own superuser.
	users := opts.Users
	if len(users) == 0 {
		users = DefaultUsers()
	}
	components := opts.Components
	if components == nil {
		components = DefaultComponents
	}
	ns := c.AggregatedServiceNamespace
	for _, name := range components {
		users = append(users, User{
			Name:       name,
			CommonName: ServiceAccountUser(ns, name),
			Groups:     []string{"system:serviceaccounts", "system:serviceaccounts:" + ns},
		})
	}
	for _, u := range users {
		if u.Name == "" || strings.ContainsAny(u.Name, `/\`) || u.Name == "kubeconfig" {
			return nil, fmt.Errorf("invalid user name %q", u.Name)
		}
		if _, dup := c.users[u.Name]; dup {
			return nil, fmt.Errorf("user %q given twice (users and components share one namespace)", u.Name)
		}
		u.CommonName = cmpOr(u.CommonName, u.Name)
		u.Groups = slices.Clone(u.Groups)
		ck, err := ca.issue(certSpec{commonName: u.CommonName, organizations: u.Groups, usage: x509.ExtKeyUsageClientAuth})
		if err != nil {
			return nil, err
		}
		if _, _, err := ck.write(dir, "user-"+u.Name); err != nil {
			return nil, err
		}
		c.users[u.Name] = &credential{user: u, cert: ck, kubeconfig: filepath.Join(c.Dir, u.Name+".kubeconfig")}
		c.userOrder = append(c.userOrder, u.Name)
	}
	if p.controllerManager, err = ca.issue(certSpec{commonName: "system:kube-controller-manager", usage: x509.ExtKeyUsageClientAuth}); err != nil {
		return nil, err
	}
	if _, _, err := p.controllerManager.write(dir, "kube-controller-manager"); err != nil {
		return nil, err
	}
	c.controllerManager = p.controllerManager
	superuser, err := ca.issue(certSpec{commonName: "kubecluster-harness", organizations: []string{"system:masters"}, usage: x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}
	if _, _, err := superuser.write(dir, "harness"); err != nil {
		return nil, err
	}
	c.superuser = &rest.Config{TLSClientConfig: rest.TLSClientConfig{CertData: superuser.certPEM, KeyData: superuser.keyPEM}}

	// The aggregator's client certificate toward aggregated API servers,
	// under its own CA as in a real cluster.
	fpCA, err := newCA("kubecluster-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	if c.FrontProxyCAFile, _, err = fpCA.write(dir, "front-proxy-ca"); err != nil {
		return nil, err
	}
	fpClient, err := fpCA.issue(certSpec{commonName: frontProxyClientName, usage: x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}
	if p.frontProxyCert, p.frontProxyKey, err = fpClient.write(dir, "front-proxy-client"); err != nil {
		return nil, err
	}

	// The aggregated API server's serving certificate. The aggregator
	// verifies it for <service>.<namespace>.svc against the caBundle.
	aggCA, err := newCA("kubecluster-aggregated-ca")
	if err != nil {
		return nil, err
	}
	if c.AggregatedCAFile, _, err = aggCA.write(dir, "aggregated-ca"); err != nil {
		return nil, err
	}
	svc := c.AggregatedServiceName + "." + ns + ".svc"
	aggServing, err := aggCA.issue(certSpec{
		commonName: svc,
		dnsNames:   []string{svc, svc + ".cluster.local", "localhost"},
		ips:        []net.IP{net.IPv4(127, 0, 0, 1)},
		usage:      x509.ExtKeyUsageServerAuth,
	})
	if err != nil {
		return nil, err
	}
	if c.AggregatedCertFile, c.AggregatedKeyFile, err = aggServing.write(dir, "aggregated-serving"); err != nil {
		return nil, err
	}

	if c.ServiceAccountSigningKeyFile, c.ServiceAccountKeyFile, err = writeServiceAccountKeys(dir); err != nil {
		return nil, err
	}
	return p, nil
}

// frontProxyClientName is the CN of the aggregator's client certificate and
// kube-apiserver's --requestheader-allowed-names.
const frontProxyClientName = "front-proxy-client"

// startKubeAPIServer starts kube-apiserver on a free port, retrying on a port
// clash, and waits for /readyz.
func (c *Cluster) startKubeAPIServer(ctx context.Context, p *clusterPKI, extra []string, timeout time.Duration) error {
	logFile := filepath.Join(c.Dir, "logs", "kube-apiserver.log")
	var errs []error
	for attempt := 1; attempt <= maxStartAttempts; attempt++ {
		ports, err := pickPorts(1)
		if err != nil {
			return err
		}
		port := ports[0]
		args := []string{
			"--bind-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", port),
			"--advertise-address=127.0.0.1",
			// The default lease reconciler would write 127.0.0.1 into the
			// kubernetes Endpoints, which validation rejects as loopback.
			"--endpoint-reconciler-type=none",
			"--etcd-servers=" + c.EtcdEndpoint,
			"--cert-dir=" + filepath.Join(c.Dir, "kube-apiserver-certs"),
			"--tls-cert-file=" + p.servingCert,
			"--tls-private-key-file=" + p.servingKey,
			"--client-ca-file=" + c.CAFile,
			"--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-account-key-file=" + c.ServiceAccountKeyFile,
			"--service-account-signing-key-file=" + c.ServiceAccountSigningKeyFile,
			// Only allocates IPs for Service objects; nothing dials them.
			"--service-cluster-ip-range=10.0.0.0/24",
			"--requestheader-client-ca-file=" + c.FrontProxyCAFile,
			"--requestheader-allowed-names=" + frontProxyClientName,
			"--requestheader-username-headers=X-Remote-User",
			"--requestheader-uid-headers=X-Remote-Uid",
			"--requestheader-group-headers=X-Remote-Group",
			"--requestheader-extra-headers-prefix=X-Remote-Extra-",
			"--proxy-client-cert-file=" + p.frontProxyCert,
			"--proxy-client-key-file=" + p.frontProxyKey,
			// Route to APIService.spec.service through the Service itself:
			// with an ExternalName Service that is https://localhost:<port>.
			"--enable-aggregator-routing=false",
			"--profiling=false",
		}
		args = append(args, extra...)
		proc, err := startProcess("kube-apiserver", logFile, c.Dir, c.Binaries.KubeAPIServer, args)
		if err != nil {
			return err
		}
		c.Host = "https://" + hostPort(port)
		started := time.Now()
		err = c.waitReady(ctx, proc, timeout)
		if err == nil {
			c.procs = append(c.procs, proc)
			c.logf("kube-apiserver %s ready in %s (pid %d)", c.Host, time.Since(started).Round(time.Millisecond), proc.PID)
			return nil
		}
		_ = proc.stop()
		errs = append(errs, err)
		if !isPortClash(proc) {
			break
		}
		c.logf("kube-apiserver: port clash on attempt %d, retrying on another port", attempt)
	}
	return fmt.Errorf("starting kube-apiserver: %w", errors.Join(errs...))
}

// waitReady polls kube-apiserver's /readyz until it answers ok.
func (c *Cluster) waitReady(ctx context.Context, proc *process, timeout time.Duration) error {
	ctx, cancel := proc.whileRunning(ctx)
	defer cancel()
	cs, err := kubernetes.NewForConfig(c.superuserConfig())
	if err != nil {
		return err
	}
	var last error
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").Timeout(5 * time.Second).DoRaw(ctx)
		if err != nil {
			last = err
			return false, nil
		}
		return strings.TrimSpace(string(body)) == "ok", nil
	})
	switch {
	case err == nil:
		return nil
	case proc.exited():
		return proc.exitError()
	case last != nil:
		return fmt.Errorf("kube-apiserver not ready: %w (last: %w)", err, last)
	default:
		return err
	}
}

// startControllerManager starts kube-controller-manager with the controllers
// that tests of an aggregated API depend on, and waits until the
// serviceaccount controller has created default/default, which shows that it
// is connected and running controllers.
func (c *Cluster) startControllerManager(ctx context.Context, extra []string, timeout time.Duration) error {
	kubeconfig := filepath.Join(c.Dir, "kube-controller-manager.kubeconfig")
	args := []string{
		"--kubeconfig=" + kubeconfig,
		// No serving at all: its default secure port binds 0.0.0.0:10257.
		"--secure-port=0",
		"--bind-address=127.0.0.1",
		"--leader-elect=false",
		// Each controller runs as its own ServiceAccount in kube-system,
		// with the bootstrap RBAC of a real cluster.
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + c.ServiceAccountSigningKeyFile,
		"--root-ca-file=" + c.CAFile,
		// namespace: deleting a namespace deletes its contents, aggregated
		// resources included (found through discovery).
		// garbagecollector: ownerReferences.
		// serviceaccount: the "default" ServiceAccount in every namespace.
		// clusterrole-aggregation: ClusterRoles labelled
		// rbac.authorization.k8s.io/aggregate-to-{admin,edit,view} fill the
		// built-in admin, edit and view roles, as in any real cluster.
		"--controllers=namespace,garbagecollector,serviceaccount,clusterrole-aggregation",
		"--profiling=false",
	}
	args = append(args, extra...)
	proc, err := startProcess("kube-controller-manager", filepath.Join(c.Dir, "logs", "kube-controller-manager.log"), c.Dir, c.Binaries.KubeControllerManager, args)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, proc)
	cs, err := kubernetes.NewForConfig(c.superuserConfig())
	if err != nil {
		return err
	}
	started := time.Now()
	pctx, cancel := proc.whileRunning(ctx)
	defer cancel()
	err = wait.PollUntilContextTimeout(pctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, nil
	})
	if proc.exited() {
		return proc.exitError()
	}
	if err != nil {
		return fmt.Errorf("kube-controller-manager did not start its controllers: %w", err)
	}
	c.logf("kube-controller-manager running in %s (pid %d)", time.Since(started).Round(time.Millisecond), proc.PID)
	return nil
}

// Stop stops the processes in reverse start order, each with SIGTERM and,
// after a deadline, SIGKILL, and removes the run directory if StartCluster
// created it (and KeepDir was not set). It reports processes that had exited
// on their own or had to be killed. Stop may be called more than once.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		for i := len(c.procs) - 1; i >= 0; i-- {
			if err := c.procs[i].stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.removeDir {
			if err := os.RemoveAll(c.Dir); err != nil {
				errs = append(errs, err)
			}
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// Processes describes the running (or stopped) processes, in start order.
func (c *Cluster) Processes() []Process {
	out := make([]Process, len(c.procs))
	for i, p := range c.procs {
		out[i] = p.Process
	}
	return out
}

// LogTails returns the last n lines of each process log, labelled.
func (c *Cluster) LogTails(n int) string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(c.Dir, "logs", "*.log"))
	sort.Strings(logs)
	for _, l := range logs {
		fmt.Fprintf(&b, "----- %s (last %d lines) -----\n%s\n", l, n, tailFile(l, n))
	}
	return b.String()
}

// Users returns the names of the users and components, in creation order.
func (c *Cluster) Users() []string {
	return slices.Clone(c.userOrder)
}

// credential returns the named user or component; it panics on an unknown
// name, which is a mistake in the calling test.
func (c *Cluster) credential(name string) *credential {
	cr, ok := c.users[name]
	if !ok {
		panic(fmt.Sprintf("kubecluster: unknown user %q (have %s)", name, strings.Join(c.userOrder, ", ")))
	}
	return cr
}

// UserInfo returns the Kubernetes user name and groups of the named user or
// component.
func (c *Cluster) UserInfo(name string) User {
	u := c.credential(name).user
	u.Groups = slices.Clone(u.Groups)
	return u
}

// Config returns a new client configuration for the named user or component
// (see Users), authenticating with its client certificate. Client-side rate
// limiting is relaxed for tests (QPS 100, burst 200).
func (c *Cluster) Config(name string) *rest.Config {
	cr := c.credential(name)
	return &rest.Config{
		Host: c.Host,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   slices.Clone(c.caPEM),
			CertData: slices.Clone(cr.cert.certPEM),
			KeyData:  slices.Clone(cr.cert.keyPEM),
		},
		QPS:   100,
		Burst: 200,
	}
}

// Clientset returns a typed client for the named user or component.
func (c *Cluster) Clientset(name string) kubernetes.Interface {
	cs, err := kubernetes.NewForConfig(c.Config(name))
	if err != nil {
		panic(fmt.Sprintf("kubecluster: client for %q: %v", name, err)) // only on an invalid config
	}
	return cs
}

// Kubeconfig returns the path of the named user's or component's kubeconfig
// (<Dir>/<name>.kubeconfig), with certificates embedded.
func (c *Cluster) Kubeconfig(name string) string {
	return c.credential(name).kubeconfig
}

// superuserConfig is the harness's own system:masters identity, used for
// readiness checks and RegisterAggregatedAPI.
func (c *Cluster) superuserConfig() *rest.Config {
	cfg := rest.CopyConfig(c.superuser)
	cfg.Host = c.Host
	cfg.CAData = slices.Clone(c.caPEM)
	cfg.QPS, cfg.Burst = 100, 200
	return cfg
}
