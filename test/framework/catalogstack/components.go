package catalogstack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// maxStartAttempts is how often a component is started on a fresh port after
// a port clash.
const maxStartAttempts = 3

// StartComponent starts component c, which must be one of the stack's and not
// running, and waits until it is ready:
//   - the API server on its previous port (a free one the first time, or
//     after a clash), with the data of its embedded etcd kept from the last
//     run; it then (re-)registers the APIService and waits for it to be
//     Available;
//   - the test broker on its previous port (BrokerURL does not change; its
//     in-memory state starts empty), ready when /healthz answers;
//   - the controller manager, ready when /readyz on its health port answers
//     (caches synced, leader Lease held).
func (s *Stack) StartComponent(ctx context.Context, c Component) error {
	if !s.Has(c) {
		return fmt.Errorf("catalogstack: the stack does not run %s", c)
	}
	if s.Running(c) {
		return fmt.Errorf("catalogstack: %s is running already", c)
	}
	start := time.Now()
	var err error
	switch c {
	case APIServer:
		err = s.startAPIServer(ctx)
	case TestBroker:
		err = s.startBroker(ctx)
	case ControllerManager:
		err = s.startControllerManager(ctx)
	}
	if err != nil {
		return fmt.Errorf("starting %s: %w", c, err)
	}
	p, _ := s.Process(c)
	s.logf("catalogstack: %s ready in %s (pid %d, log %s)", c, time.Since(start).Round(time.Millisecond), p.PID, p.LogFile)
	return nil
}

// StopComponent stops component c (SIGTERM, then SIGKILL after 15 seconds) if
// it runs. It reports a process that had exited on its own or had to be
// killed. Stopping the API server leaves the APIService registered, so the
// cluster sees the API become unavailable exactly as when a real server
// dies; while it is down, namespace deletion and garbage collection stall in
// the whole cluster.
func (s *Stack) StopComponent(c Component) error {
	s.mu.Lock()
	ch := s.children[c]
	s.mu.Unlock()
	if ch == nil {
		return nil
	}
	return ch.Stop()
}

// RestartComponent stops component c and starts it again (see StopComponent
// and StartComponent). An error stopping it, such as the process having
// crashed before, is returned only if the start fails too; otherwise it is
// logged.
func (s *Stack) RestartComponent(ctx context.Context, c Component) error {
	stopErr := s.StopComponent(c)
	if stopErr != nil {
		s.logf("catalogstack: stopping %s: %v", c, stopErr)
	}
	if err := s.StartComponent(ctx, c); err != nil {
		return errors.Join(err, stopErr)
	}
	return nil
}

// launch starts bin as component c, recording the child.
func (s *Stack) launch(c Component, args []string) (*kubecluster.Child, error) {
	ch, err := kubecluster.StartChild(logName(c), s.LogFile(c), s.Dir, s.Binaries[c], args...)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.children[c] = ch
	s.mu.Unlock()
	return ch, nil
}

// startWithPort starts a component listening on a port: the previous one
// (*port) if set, else a free one, and again on a fresh free port after a
// port clash unless fixed. ready waits for the started process.
func (s *Stack) startWithPort(ctx context.Context, c Component, port *int, fixed bool, args func(port int) []string, ready func(ctx context.Context, ch *kubecluster.Child, port int) error) error {
	var errs []error
	for attempt := 1; attempt <= maxStartAttempts; attempt++ {
		if *port == 0 || attempt > 1 {
			ports, err := kubecluster.FreePorts(1)
			if err != nil {
				return err
			}
			*port = ports[0]
		}
		ch, err := s.launch(c, args(*port))
		if err != nil {
			return err
		}
		rctx, cancel := ch.WhileRunning(ctx)
		err = ready(rctx, ch, *port)
		cancel()
		if err == nil {
			return nil
		}
		if ch.Exited() {
			err = fmt.Errorf("%w (log %s):\n%s", ch.ExitError(), ch.Process().LogFile, kubecluster.TailFile(ch.Process().LogFile, 20))
		}
		_ = ch.Stop()
		errs = append(errs, err)
		if fixed || !ch.PortClash() {
			break
		}
		s.logf("catalogstack: %s: port %d taken, retrying on another port", c, *port)
	}
	return errors.Join(errs...)
}

// startAPIServer starts the API server in delegated mode with the
// aggregated serving certificate, registers the APIService and waits for it.
func (s *Stack) startAPIServer(ctx context.Context) error {
	caPEM, err := os.ReadFile(s.Cluster.AggregatedCAFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return fmt.Errorf("no certificate in %s", s.Cluster.AggregatedCAFile)
	}
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	defer client.CloseIdleConnections()
	kubeconfig := s.Cluster.Kubeconfig(APIServerIdentity)
	args := func(port int) []string {
		return append([]string{
			"--bind-address=127.0.0.1",
			"--secure-port=" + strconv.Itoa(port),
			"--tls-cert-file=" + s.Cluster.AggregatedCertFile,
			"--tls-private-key-file=" + s.Cluster.AggregatedKeyFile,
			// Delegated authentication and authorization, and the core API
			// for admission, as the ServiceAccount catalog-apiserver.
			"--kubeconfig=" + kubeconfig,
			"--authentication-kubeconfig=" + kubeconfig,
			"--authorization-kubeconfig=" + kubeconfig,
			// Embedded etcd; its data survives a restart of the component.
			"--etcd-data-dir=" + s.etcdDataDir,
			"--profiling=false",
			// Close open watches (kube-controller-manager's garbage
			// collector holds some through the aggregator) when stopping;
			// otherwise the server waits for them up to --request-timeout.
			"--shutdown-watch-termination-grace-period=2s",
		}, s.opts.APIServerArgs...)
	}
	ready := func(ctx context.Context, _ *kubecluster.Child, port int) error {
		return pollHTTP(ctx, client, "https://127.0.0.1:"+strconv.Itoa(port)+"/readyz", s.timeout)
	}
	if err := s.startWithPort(ctx, APIServer, &s.APIServerPort, false, args, ready); err != nil {
		return err
	}
	if err := s.Cluster.RegisterAggregatedAPI(ctx, Group, []string{Version}, s.APIServerPort); err != nil {
		return err
	}
	s.mu.Lock()
	ch := s.children[APIServer]
	s.mu.Unlock()
	rctx, cancel := ch.WhileRunning(ctx)
	defer cancel()
	err = s.Cluster.WaitAPIServiceAvailable(rctx, APIServiceName, s.timeout)
	if err == nil {
		err = s.waitServedThroughAggregator(rctx)
	}
	if err != nil && ch.Exited() {
		err = fmt.Errorf("%w: %w (log %s)", err, ch.ExitError(), ch.Process().LogFile)
	}
	return err
}

// waitServedThroughAggregator waits until the admin can list brokers through
// kube-apiserver and the cluster's (aggregated) discovery lists the catalog's
// resources, which is what kubectl needs.
//
// An Available APIService is not enough. After a restart the condition is
// still True from before. And a freshly started server answers 503 for a
// moment: k8s.io/apiserver loads the client CAs of
// extension-apiserver-authentication through an informer after it starts
// serving, and until then the server cannot trust the aggregator's
// front-proxy certificate.
func (s *Stack) waitServedThroughAggregator(ctx context.Context) error {
	cs := s.Cluster.Clientset(s.adminUser)
	gv := Group + "/" + Version
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, s.timeout, true, func(ctx context.Context) (bool, error) {
		_, err := cs.Discovery().RESTClient().Get().AbsPath("/apis", Group, Version, "clusterservicebrokers").
			Param("limit", "1").Timeout(10 * time.Second).DoRaw(ctx)
		if err != nil {
			last = fmt.Errorf("listing brokers as %s: %w", s.adminUser, err)
			return false, nil
		}
		// Partial discovery failures of other groups do not matter here.
		_, lists, _ := cs.Discovery().ServerGroupsAndResources()
		for _, l := range lists {
			if l.GroupVersion == gv && len(l.APIResources) > 0 {
				return true, nil
			}
		}
		last = fmt.Errorf("discovery does not list %s yet", gv)
		return false, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last: %w)", err, last)
	}
	return err
}

// startBroker starts the test broker on 127.0.0.1.
func (s *Stack) startBroker(ctx context.Context) error {
	if s.brokerPort == 0 {
		s.brokerPort = s.opts.TestBrokerPort
	}
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	args := func(port int) []string {
		return append([]string{"--address=127.0.0.1", "--port=" + strconv.Itoa(port)}, s.opts.TestBrokerArgs...)
	}
	ready := func(ctx context.Context, _ *kubecluster.Child, port int) error {
		return pollHTTP(ctx, client, "http://127.0.0.1:"+strconv.Itoa(port)+"/healthz", s.timeout)
	}
	// Once started, the port is kept: broker objects point at BrokerURL.
	fixed := s.opts.TestBrokerPort != 0 || s.BrokerURL != ""
	if err := s.startWithPort(ctx, TestBroker, &s.brokerPort, fixed, args, ready); err != nil {
		return err
	}
	s.BrokerURL = "http://127.0.0.1:" + strconv.Itoa(s.brokerPort)
	return nil
}

// startControllerManager starts the controller manager as the ServiceAccount
// catalog-controller-manager, serving its health endpoints over plain HTTP on
// a free loopback port and not over HTTPS (its default port, 8444 on every
// address, would clash between stacks), and waits until
// its /readyz answers: informer caches synced and the leader Lease held.
func (s *Stack) startControllerManager(ctx context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	kubeconfigs, err := s.controllerManagerKubeconfigs()
	if err != nil {
		return err
	}
	args := func(port int) []string {
		return append(append(kubeconfigs, "--secure-port=0", "--health-address=127.0.0.1:"+strconv.Itoa(port)), s.opts.ControllerManagerArgs...)
	}
	ready := func(ctx context.Context, _ *kubecluster.Child, port int) error {
		return pollHTTP(ctx, client, "http://127.0.0.1:"+strconv.Itoa(port)+"/readyz", s.timeout)
	}
	return s.startWithPort(ctx, ControllerManager, &s.cmHealthPort, false, args, ready)
}

// controllerManagerKubeconfigs returns a controller manager's kubeconfig
// flags: its ServiceAccount identity through kube-apiserver or, with
// ControllerManagerDirect, straight to the API server for the catalog.
func (s *Stack) controllerManagerKubeconfigs() ([]string, error) {
	identity := s.Cluster.Kubeconfig(ControllerManagerIdentity)
	if !s.opts.ControllerManagerDirect {
		return []string{"--kubeconfig=" + identity}, nil
	}
	direct, err := s.directKubeconfig(identity)
	if err != nil {
		return nil, err
	}
	return []string{"--kubeconfig=" + direct, "--core-kubeconfig=" + identity}, nil
}

// pollHTTP polls url until it answers 200, ctx is done or timeout passes.
func pollHTTP(ctx context.Context, client *http.Client, url string, timeout time.Duration) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err
			return false, nil
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return true, nil
		}
		last = fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
		return false, nil
	})
	if err != nil && last != nil {
		return fmt.Errorf("%w (last: %w)", err, last)
	}
	return err
}

// apiServiceResource is apiregistration.k8s.io/v1 apiservices.
var apiServiceResource = schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}

// APIServiceAvailable reads the catalog's APIService once and reports whether
// its Available condition is True, with the condition (or what is missing)
// as text.
func (s *Stack) APIServiceAvailable(ctx context.Context) (bool, string, error) {
	dyn, err := dynamic.NewForConfig(s.Cluster.Config(s.adminUser))
	if err != nil {
		return false, "", err
	}
	obj, err := dyn.Resource(apiServiceResource).Get(ctx, APIServiceName, metav1.GetOptions{})
	if err != nil {
		return false, "", err
	}
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, raw := range conds {
		cond, ok := raw.(map[string]any)
		if !ok || cond["type"] != "Available" {
			continue
		}
		return cond["status"] == "True", fmt.Sprintf("Available=%v reason=%v message=%v", cond["status"], cond["reason"], cond["message"]), nil
	}
	return false, "no Available condition", nil
}

// DirectConfig returns a client configuration for the named cluster user or
// component that reaches the catalog API server at its local port, verifying
// its serving certificate, instead of going through kube-apiserver's
// aggregator; the server authenticates the user's client certificate itself.
func (s *Stack) DirectConfig(user string) (*rest.Config, error) {
	ca, err := os.ReadFile(s.Cluster.AggregatedCAFile)
	if err != nil {
		return nil, err
	}
	cfg := s.Cluster.Config(user)
	cfg.Host = "https://127.0.0.1:" + strconv.Itoa(s.APIServerPort)
	cfg.CAFile, cfg.CAData = "", ca
	return cfg, nil
}

// directKubeconfig writes a copy of the kubeconfig at path that reaches the catalog API
// server at its local port, verifying its serving certificate, and returns its path.
func (s *Stack) directKubeconfig(path string) (string, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return "", err
	}
	ca, err := os.ReadFile(s.Cluster.AggregatedCAFile)
	if err != nil {
		return "", err
	}
	for _, cluster := range cfg.Clusters {
		cluster.Server = "https://127.0.0.1:" + strconv.Itoa(s.APIServerPort)
		cluster.CertificateAuthority = ""
		cluster.CertificateAuthorityData = ca
	}
	direct := filepath.Join(s.Dir, "catalog-controller-manager-direct.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, direct); err != nil {
		return "", err
	}
	return direct, nil
}
