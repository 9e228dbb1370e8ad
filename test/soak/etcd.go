package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// etcdStartTimeout bounds a start of the catalog's etcd.
const etcdStartTimeout = time.Minute

// catalogEtcd is the etcd of the catalog's API server, run by the soak so
// that it can be killed on its own. It syncs its writes, as in production,
// and keeps its data directory and ports across restarts.
type catalogEtcd struct {
	bin, dir   string
	clientPort int
	peerPort   int
	// Endpoint is the client URL, http://127.0.0.1:<port>.
	Endpoint string
	child    *kubecluster.Child
	logf     func(string, ...any)
}

// startCatalogEtcd starts a fresh etcd with its data under dir/data and its
// log in dir/logs/catalog-etcd.log, on free ports (retrying after a clash).
func startCatalogEtcd(ctx context.Context, bin, dir string, logf func(string, ...any)) (*catalogEtcd, error) {
	e := &catalogEtcd{bin: bin, dir: dir, logf: logf}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		return nil, err
	}
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		ports, perr := kubecluster.FreePorts(2)
		if perr != nil {
			return nil, perr
		}
		e.clientPort, e.peerPort = ports[0], ports[1]
		e.Endpoint = "http://127.0.0.1:" + strconv.Itoa(e.clientPort)
		if err = os.RemoveAll(filepath.Join(dir, "data")); err != nil {
			return nil, err
		}
		if err = e.start(ctx); err == nil || !e.child.PortClash() {
			return e, err
		}
	}
	return e, err
}

// start starts etcd on its ports and data directory and waits until it is
// healthy.
func (e *catalogEtcd) start(ctx context.Context) error {
	client := "http://127.0.0.1:" + strconv.Itoa(e.clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(e.peerPort)
	ch, err := kubecluster.StartChild("catalog-etcd", filepath.Join(e.dir, "logs", "catalog-etcd.log"), e.dir, e.bin,
		"--name=catalog", "--data-dir="+filepath.Join(e.dir, "data"),
		"--listen-client-urls="+client, "--advertise-client-urls="+client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=catalog="+peer, "--initial-cluster-state=new",
		"--logger=zap", "--log-level=warn")
	if err != nil {
		return err
	}
	e.child = ch
	start := time.Now()
	if err := waitHealthy(ctx, ch, client+"/health"); err != nil {
		_ = ch.Stop()
		return fmt.Errorf("catalog etcd: %w\n%s", err, kubecluster.TailFile(ch.Process().LogFile, 20))
	}
	e.logf("catalog etcd %s ready in %s (pid %d)", client, time.Since(start).Round(time.Millisecond), ch.Process().PID)
	return nil
}

// kill SIGKILLs etcd.
func (e *catalogEtcd) kill() error { return catalogstack.KillChild(e.child) }

// running reports whether the etcd process runs.
func (e *catalogEtcd) running() bool { return e.child != nil && !e.child.Exited() }

// stop stops etcd.
func (e *catalogEtcd) stop() error {
	if e.child == nil {
		return nil
	}
	return e.child.Stop()
}

// waitHealthy polls etcd's /health until it reports healthy, the process
// exits or etcdStartTimeout passes.
func waitHealthy(ctx context.Context, ch *kubecluster.Child, url string) error {
	ctx, cancel := ch.WhileRunning(ctx)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, etcdStartTimeout, true, func(ctx context.Context) (bool, error) {
		body, err := figures.HTTPGet(ctx, client, url)
		return err == nil && strings.Contains(string(body), `"health":"true"`), nil
	})
	if ch.Exited() {
		return ch.ExitError()
	}
	return err
}
