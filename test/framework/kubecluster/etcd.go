package kubecluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// etcdStartTimeout bounds how long etcd may take to report healthy.
const etcdStartTimeout = 30 * time.Second

// Etcd is a running single-member etcd server on 127.0.0.1 (plain HTTP,
// loopback only) started by RunEtcd or StartEtcd.
type Etcd struct {
	// Endpoint is the client URL, http://127.0.0.1:<port>.
	Endpoint string
	// DataDir is the etcd data directory.
	DataDir string

	proc *process
}

// EtcdOptions configures RunEtcd.
type EtcdOptions struct {
	// Binary is the etcd executable; empty means LocateEtcd.
	Binary string
	// Dir receives the data directory (Dir/etcd, emptied at every start:
	// each etcd starts fresh) and the log (Dir/logs/etcd.log, appended to).
	// Required; Dir itself is never removed.
	Dir string
	// Logf, if set, receives progress messages.
	Logf func(format string, args ...any)
	// Fsync makes etcd sync its writes to disk, as production etcd does; without it,
	// it runs with --unsafe-no-fsync, enough for test data and much faster on slow disks.
	Fsync bool
}

// RunEtcd starts etcd with a data directory under opts.Dir, on free client
// and peer ports, and waits until it reports healthy. The process lives until
// Stop (or until this process dies, on Linux); ctx only bounds the start-up.
func RunEtcd(ctx context.Context, opts EtcdOptions) (*Etcd, error) {
	if opts.Dir == "" {
		return nil, errors.New("kubecluster: EtcdOptions.Dir is required")
	}
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = LocateEtcd(); err != nil {
			return nil, err
		}
	}
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	logDir := filepath.Join(opts.Dir, "logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, err
	}
	dataDir := filepath.Join(opts.Dir, "etcd")
	start := time.Now()
	var errs []error
	for attempt := 1; attempt <= maxStartAttempts; attempt++ {
		ports, err := pickPorts(2)
		if err != nil {
			return nil, err
		}
		client, peer := "http://"+hostPort(ports[0]), "http://"+hostPort(ports[1])
		// A failed attempt may have initialised the data directory with
		// the old peer URL; start from scratch.
		if err := os.RemoveAll(dataDir); err != nil {
			return nil, err
		}
		args := []string{
			"--name=kubecluster",
			"--data-dir=" + dataDir,
			"--listen-client-urls=" + client,
			"--advertise-client-urls=" + client,
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=kubecluster=" + peer,
			"--initial-cluster-state=new",
			"--logger=zap",
			"--log-level=warn",
		}
		if !opts.Fsync {
			// Test data: durability across a machine crash is not needed, and fsync
			// dominates write latency on slow disks.
			args = append(args, "--unsafe-no-fsync")
		}
		p, err := startProcess("etcd", filepath.Join(logDir, "etcd.log"), opts.Dir, bin, args)
		if err != nil {
			return nil, err
		}
		err = waitEtcdHealthy(ctx, p, client)
		if err == nil {
			logf("etcd %s ready in %s (pid %d, data %s)", client, time.Since(start).Round(time.Millisecond), p.PID, dataDir)
			return &Etcd{Endpoint: client, DataDir: dataDir, proc: p}, nil
		}
		_ = p.stop()
		errs = append(errs, err)
		if !isPortClash(p) {
			break
		}
		logf("etcd: port clash on attempt %d, retrying on other ports", attempt)
	}
	return nil, fmt.Errorf("starting etcd: %w; log: %s\n%s", errors.Join(errs...), filepath.Join(logDir, "etcd.log"), tailFile(filepath.Join(logDir, "etcd.log"), 20))
}

// waitEtcdHealthy polls etcd's /health endpoint until it reports healthy, the
// process exits, or etcdStartTimeout passes.
func waitEtcdHealthy(ctx context.Context, p *process, endpoint string) error {
	ctx, cancel := p.whileRunning(ctx)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	var last error
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, etcdStartTimeout, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/health", nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err
			return false, nil
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`) {
			return true, nil
		}
		last = fmt.Errorf("GET /health: %s: %s", resp.Status, body)
		return false, nil
	})
	switch {
	case err == nil:
		return nil
	case p.exited():
		return p.exitError()
	case last != nil:
		return fmt.Errorf("etcd not healthy: %w (last: %w)", err, last)
	default:
		return err
	}
}

// Stop terminates etcd (SIGTERM, then SIGKILL after a deadline). The data
// directory is left in place. Stop may be called more than once.
func (e *Etcd) Stop() error {
	return e.proc.stop()
}

// Process describes the etcd process.
func (e *Etcd) Process() Process {
	return e.proc.Process
}

// StartEtcd starts etcd for a test, with its data directory under
// t.TempDir(), and stops it when the test ends. It returns the client
// endpoint (http://127.0.0.1:<port>). It fails the test if the etcd binary is
// missing: run `make kube-binaries`.
func StartEtcd(t testing.TB) string {
	t.Helper()
	bin, err := LocateEtcd()
	if err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	dir := t.TempDir()
	e, err := RunEtcd(t.Context(), EtcdOptions{Binary: bin, Dir: dir, Logf: t.Logf})
	if err != nil {
		t.Fatalf("kubecluster: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("etcd log tail (%s):\n%s", e.proc.LogFile, tailFile(e.proc.LogFile, 40))
		}
		if err := e.Stop(); err != nil {
			t.Errorf("kubecluster: %v", err)
		}
	})
	return e.Endpoint
}
