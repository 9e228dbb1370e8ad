package catalogstack

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// The API the catalog serves.
const (
	// Group is the catalog's API group.
	Group = "servicecatalog.k8s.io"
	// Version is the version registered with the aggregator.
	Version = "v1beta1"
)

// APIServiceName is the name of the catalog's APIService.
var APIServiceName = kubecluster.APIServiceName(Group, Version)

// Component names one of the catalog's processes; it is also the name of its
// command under cmd/ and of its binary.
type Component string

// The catalog's components.
const (
	// APIServer is the aggregated API server, cmd/apiserver.
	APIServer Component = "apiserver"
	// TestBroker is the in-memory OSB broker, cmd/test-broker.
	TestBroker Component = "test-broker"
	// ControllerManager runs the control loops, cmd/controller-manager.
	ControllerManager Component = "controller-manager"
)

// Identities of the components in the cluster: the ServiceAccounts of
// artifacts/deploy/rbac, whose client certificates kubecluster issues.
const (
	// APIServerIdentity is the API server's kubecluster component name.
	APIServerIdentity = "catalog-apiserver"
	// ControllerManagerIdentity is the controller manager's.
	ControllerManagerIdentity = "catalog-controller-manager"
)

// DefaultStartTimeout bounds the start of each component.
const DefaultStartTimeout = 2 * time.Minute

// DefaultComponents returns the components a stack runs when
// Options.Components is nil: the API server, the test broker, and the
// controller manager if the repository has cmd/controller-manager.
func DefaultComponents() []Component {
	cs := []Component{APIServer, TestBroker}
	if Buildable(ControllerManager) {
		cs = append(cs, ControllerManager)
	}
	return cs
}

// Options configure a stack. The zero value is ready to use.
type Options struct {
	// Cluster, if set, is used instead of starting a control plane; Stop
	// leaves it running. It needs the users of kubecluster.DefaultUsers (at
	// least AdminUser) and the component identities of
	// kubecluster.DefaultComponents.
	Cluster *kubecluster.Cluster
	// ClusterOptions configure the control plane started when Cluster is
	// nil.
	ClusterOptions kubecluster.Options
	// Dir receives the components' logs (Dir/logs) and the API server's
	// embedded etcd (Dir/catalog-etcd, emptied at every StartStack). Empty
	// means the cluster's run directory.
	Dir string
	// Components are the components to run; nil means DefaultComponents.
	// The API server is always run.
	Components []Component
	// BinDir is where BuildBinaries puts the binaries; empty means
	// <repo>/_output/e2e-bin.
	BinDir string
	// Binaries gives prebuilt binaries for some components, which are then
	// not built.
	Binaries map[Component]string
	// AdminUser is the cluster user (in system:masters) that applies the
	// RBAC and registers the APIService; empty means "admin".
	AdminUser string

	// APIServerArgs are appended to the API server's flags.
	APIServerArgs []string
	// TestBrokerPort is the test broker's port on 127.0.0.1; 0 means a free
	// one. A fixed port that is taken is an error.
	TestBrokerPort int
	// TestBrokerArgs are appended to the test broker's flags.
	TestBrokerArgs []string
	// ControllerManagerDirect makes the controller manager reach the catalog API server
	// at its local port instead of through kube-apiserver's aggregator, as a deployment
	// can through the API server's Service; the core API is still kube-apiserver.
	ControllerManagerDirect bool
	// ControllerManagerArgs are appended to the controller manager's flags
	// (--kubeconfig, for its ServiceAccount identity, and
	// --health-address=127.0.0.1:<free port>, whose /readyz is its
	// readiness check).
	ControllerManagerArgs []string

	// StartTimeout bounds the start of each component; zero means
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// Logf receives progress messages; Start defaults it to t.Logf.
	Logf func(format string, args ...any)
}

// Stack is a running service catalog on a real control plane.
type Stack struct {
	// Cluster is the control plane: kubeconfigs and clients for the users
	// (admin, alice, bob) and kubectl.
	Cluster *kubecluster.Cluster
	// Dir is the run directory of the catalog's components.
	Dir string
	// Binaries are the component binaries.
	Binaries map[Component]string
	// APIServerPort is the local port of the API server (it listens on
	// 127.0.0.1); the APIService routes to it.
	APIServerPort int
	// BrokerURL is the test broker's URL, http://127.0.0.1:<port>, if the
	// stack runs it.
	BrokerURL string
	// StartupDuration is how long StartStack took, the control plane
	// included.
	StartupDuration time.Duration

	opts        Options
	components  []Component
	adminUser   string
	ownCluster  bool
	etcdDataDir string
	brokerPort  int
	// cmHealthPort is the controller manager's health port.
	cmHealthPort int
	timeout      time.Duration
	logf         func(format string, args ...any)

	mu       sync.Mutex
	children map[Component]*kubecluster.Child

	stopOnce sync.Once
	stopErr  error
}

// Start starts a stack for a test and stops it when the test ends; if the
// test failed, the tail of every process log is printed first. It skips in
// -short mode: real clusters belong to the e2e tier.
func Start(t testing.TB, opts Options) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("catalogstack: a real cluster is not started in -short mode")
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	if opts.Cluster == nil && opts.ClusterOptions.Dir == "" {
		if keep := os.Getenv(kubecluster.EnvKeepDir); keep != "" {
			if err := os.MkdirAll(keep, 0o755); err != nil {
				t.Fatalf("catalogstack: %v", err)
			}
			dir, err := os.MkdirTemp(keep, strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-")
			if err != nil {
				t.Fatalf("catalogstack: %v", err)
			}
			opts.ClusterOptions.Dir = dir
		} else {
			opts.ClusterOptions.Dir = t.TempDir()
		}
	}
	s, err := StartStack(t.Context(), opts)
	if err != nil {
		t.Fatalf("catalogstack: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("catalogstack: process logs:\n%s", s.LogTails(40))
		}
		if err := s.Stop(); err != nil {
			t.Errorf("catalogstack: %v", err)
		}
	})
	return s
}

// StartStack starts a stack and returns once the APIService is Available and
// every component runs. The processes live until Stop (or, on Linux, until
// this process dies); ctx only bounds the start-up. On error everything it
// started is stopped again, and the error carries the log tails.
func StartStack(ctx context.Context, opts Options) (s *Stack, err error) {
	start := time.Now()
	s = &Stack{
		opts:      opts,
		adminUser: cmpOr(opts.AdminUser, "admin"),
		timeout:   opts.StartTimeout,
		logf:      opts.Logf,
		children:  map[Component]*kubecluster.Child{},
	}
	if s.timeout <= 0 {
		s.timeout = DefaultStartTimeout
	}
	if s.logf == nil {
		s.logf = func(string, ...any) {}
	}
	s.components = opts.Components
	if s.components == nil {
		s.components = DefaultComponents()
	}
	if !slices.Contains(s.components, APIServer) {
		s.components = append([]Component{APIServer}, s.components...)
	}
	for _, c := range s.components {
		switch c {
		case APIServer, TestBroker, ControllerManager:
		default:
			return nil, fmt.Errorf("catalogstack: unknown component %q", c)
		}
	}

	// Build first: it may take a while, and nothing runs yet.
	if err := s.buildBinaries(ctx); err != nil {
		return nil, err
	}

	if opts.Cluster != nil {
		s.Cluster = opts.Cluster
	} else {
		co := opts.ClusterOptions
		if co.Logf == nil {
			co.Logf = s.logf
		}
		s.Cluster, err = kubecluster.StartCluster(ctx, co)
		if err != nil {
			return nil, err
		}
		s.ownCluster = true
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, s.LogTails(30))
			if stopErr := s.Stop(); stopErr != nil {
				err = fmt.Errorf("%w\nstopping: %w", err, stopErr)
			}
			s = nil
		}
	}()
	for _, u := range []string{s.adminUser, APIServerIdentity, ControllerManagerIdentity} {
		if !slices.Contains(s.Cluster.Users(), u) {
			return s, fmt.Errorf("catalogstack: the cluster has no user %q (have %s)", u, strings.Join(s.Cluster.Users(), ", "))
		}
	}

	s.Dir = cmpOr(opts.Dir, s.Cluster.Dir)
	if s.Dir, err = filepath.Abs(s.Dir); err != nil {
		return s, err
	}
	if err := os.MkdirAll(filepath.Join(s.Dir, "logs"), 0o755); err != nil {
		return s, err
	}
	s.etcdDataDir = filepath.Join(s.Dir, "catalog-etcd")
	if err := os.RemoveAll(s.etcdDataDir); err != nil {
		return s, err
	}

	if err := s.applyRBAC(ctx); err != nil {
		return s, err
	}
	// The order matters: the broker serves before a controller could fetch
	// its catalog, and the controller manager finds the API registered.
	for _, c := range []Component{APIServer, TestBroker, ControllerManager} {
		if !slices.Contains(s.components, c) {
			continue
		}
		if err := s.StartComponent(ctx, c); err != nil {
			return s, err
		}
	}
	s.StartupDuration = time.Since(start)
	s.logf("catalogstack: service catalog up in %s (API server 127.0.0.1:%d, components %v)",
		s.StartupDuration.Round(time.Millisecond), s.APIServerPort, s.components)
	return s, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// buildBinaries fills s.Binaries from Options.Binaries and BuildBinaries.
func (s *Stack) buildBinaries(ctx context.Context) error {
	s.Binaries = map[Component]string{}
	var missing []Component
	for _, c := range s.components {
		if p := s.opts.Binaries[c]; p != "" {
			s.Binaries[c] = p
			continue
		}
		missing = append(missing, c)
	}
	if len(missing) == 0 {
		return nil
	}
	start := time.Now()
	paths, err := BuildBinaries(ctx, s.opts.BinDir, missing)
	if err != nil {
		return err
	}
	for c, p := range paths {
		s.Binaries[c] = p
	}
	s.logf("catalogstack: binaries %v ready in %s", missing, time.Since(start).Round(time.Millisecond))
	return nil
}

// repoPath returns <repo>/<rel>.
func repoPath(rel string) (string, error) {
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, filepath.FromSlash(rel)), nil
}

// applyRBAC applies the catalog namespace, artifacts/deploy/rbac and
// artifacts/deploy/flowcontrol (the controller manager's FlowSchema and
// priority level) as the admin with kubectl, the way an operator installs
// them, and waits until the cluster's ClusterRole aggregation has put the
// catalog's rules into the built-in edit role (when kube-controller-manager
// runs, which does that).
func (s *Stack) applyRBAC(ctx context.Context) error {
	ns, err := repoPath("artifacts/deploy/base/namespace.yaml")
	if err != nil {
		return err
	}
	if _, err := s.Kubectl(ctx, s.adminUser, "apply", "-f", ns); err != nil {
		return err
	}
	for _, dir := range []string{"artifacts/deploy/rbac", "artifacts/deploy/flowcontrol"} {
		path, err := repoPath(dir)
		if err != nil {
			return err
		}
		if _, err := s.Kubectl(ctx, s.adminUser, "apply", "-k", path); err != nil {
			return err
		}
	}
	kcm := false
	for _, p := range s.Cluster.Processes() {
		kcm = kcm || p.Name == "kube-controller-manager"
	}
	if !kcm {
		return nil
	}
	cs := s.Cluster.Clientset(s.adminUser)
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, s.timeout, true, func(ctx context.Context) (bool, error) {
		role, err := cs.RbacV1().ClusterRoles().Get(ctx, "edit", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return grants(role.Rules, Group, "serviceinstances"), nil
	})
	if err != nil {
		return fmt.Errorf("the built-in edit ClusterRole did not aggregate the catalog's rules: %w", err)
	}
	return nil
}

// grants reports whether some rule names resource in group.
func grants(rules []rbacv1.PolicyRule, group, resource string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) {
			return true
		}
	}
	return false
}

// Components returns the components the stack runs (running or stopped).
func (s *Stack) Components() []Component {
	return slices.Clone(s.components)
}

// Has reports whether the stack runs component c (it may be stopped at the
// moment; see Running).
func (s *Stack) Has(c Component) bool {
	return slices.Contains(s.components, c)
}

// Running reports whether component c's process is running.
func (s *Stack) Running(c Component) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.children[c]
	return ch != nil && !ch.Exited()
}

// Process describes component c's current (or last) process.
func (s *Stack) Process(c Component) (kubecluster.Process, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.children[c]
	if ch == nil {
		return kubecluster.Process{}, false
	}
	return ch.Process(), true
}

// Processes describes every process of the stack that was started (the
// control plane's included, if the stack started it), running or not.
func (s *Stack) Processes() []kubecluster.Process {
	var out []kubecluster.Process
	if s.ownCluster {
		out = append(out, s.Cluster.Processes()...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.components {
		if ch := s.children[c]; ch != nil {
			out = append(out, ch.Process())
		}
	}
	return out
}

// LogFile returns the path of component c's log.
func (s *Stack) LogFile(c Component) string {
	return filepath.Join(s.Dir, "logs", logName(c)+".log")
}

// logName names a component's log and process: the identity it runs as, or
// "test-broker".
func logName(c Component) string {
	switch c {
	case APIServer:
		return APIServerIdentity
	case ControllerManager:
		return ControllerManagerIdentity
	default:
		return string(c)
	}
}

// LogTails returns the last n lines of every process log, labelled.
func (s *Stack) LogTails(n int) string {
	var b strings.Builder
	if s.Cluster != nil {
		b.WriteString(s.Cluster.LogTails(n))
		if s.Dir == "" || s.Dir == s.Cluster.Dir {
			return b.String()
		}
	}
	logs, _ := filepath.Glob(filepath.Join(s.Dir, "logs", "*.log"))
	sort.Strings(logs)
	for _, l := range logs {
		fmt.Fprintf(&b, "----- %s (last %d lines) -----\n%s\n", l, n, kubecluster.TailFile(l, n))
	}
	return b.String()
}

// unregisterTimeout bounds the deletion of the APIService at Stop.
const unregisterTimeout = 30 * time.Second

// Stop stops everything the stack started, in this order: the controller
// manager; the APIService (deleted, so that the cluster's discovery stays
// complete); the API server; the test broker; the control plane, if the
// stack started it. It reports processes that had exited on their own or had
// to be killed. Stop may be called more than once.
func (s *Stack) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if err := s.StopComponent(ControllerManager); err != nil {
			errs = append(errs, err)
		}
		if s.Cluster != nil && s.APIServerPort != 0 {
			ctx, cancel := context.WithTimeout(context.Background(), unregisterTimeout)
			if err := s.Cluster.UnregisterAggregatedAPI(ctx, Group, []string{Version}); err != nil {
				errs = append(errs, err)
			}
			cancel()
		}
		for _, c := range []Component{APIServer, TestBroker} {
			if err := s.StopComponent(c); err != nil {
				errs = append(errs, err)
			}
		}
		if s.ownCluster {
			if err := s.Cluster.Stop(); err != nil {
				errs = append(errs, err)
			}
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}
