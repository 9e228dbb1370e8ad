package catalogstack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// killTimeout bounds the wait for a SIGKILLed process to be gone.
const killTimeout = 30 * time.Second

// KillComponent sends SIGKILL to component c's process, by PID, and waits
// until it has exited, as when its node dies: nothing is flushed, released or
// unregistered (a killed API server leaves its APIService in place). It does
// nothing if c is not running. StartComponent starts it again.
func (s *Stack) KillComponent(c Component) error {
	s.mu.Lock()
	ch := s.children[c]
	s.mu.Unlock()
	if ch == nil || ch.Exited() {
		return nil
	}
	return KillChild(ch)
}

// KillChild sends SIGKILL to ch's process, by PID, and waits until it has
// exited. A later ch.Stop does not report the exit as unexpected.
func KillChild(ch *kubecluster.Child) error {
	p := ch.Process()
	proc, err := os.FindProcess(p.PID)
	if err != nil {
		return err
	}
	if err := proc.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s (pid %d): %w", p.Name, p.PID, err)
	}
	select {
	case <-ch.Done():
	case <-time.After(killTimeout):
		return fmt.Errorf("%s (pid %d) did not exit within %s of SIGKILL", p.Name, p.PID, killTimeout)
	}
	_ = ch.Stop() // the exit was ours: mark it stopped
	return nil
}

// StartControllerManagerReplica starts one more controller manager process,
// named name (its log is logs/<name>.log, appended to), with the flags the
// stack gives its own controller manager, --health-address on a free port,
// and extra (such as --secure-port, which the stack sets to 0). Replicas elect a leader through their Lease, so only one runs
// the loops. It returns the process and its health port once /healthz
// answers; /readyz answers only while the replica leads. The stack does not
// stop replicas: the caller does, with Child.Stop or KillChild.
func (s *Stack) StartControllerManagerReplica(ctx context.Context, name string, extra ...string) (*kubecluster.Child, int, error) {
	bin, err := s.controllerManagerBinary(ctx)
	if err != nil {
		return nil, 0, err
	}
	kubeconfigs, err := s.controllerManagerKubeconfigs()
	if err != nil {
		return nil, 0, err
	}
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	var errs []error
	for attempt := 1; attempt <= maxStartAttempts; attempt++ {
		ports, err := kubecluster.FreePorts(1)
		if err != nil {
			return nil, 0, err
		}
		args := append(append(append([]string{}, kubeconfigs...), "--secure-port=0", "--health-address=127.0.0.1:"+strconv.Itoa(ports[0])), s.opts.ControllerManagerArgs...)
		ch, err := kubecluster.StartChild(name, filepath.Join(s.Dir, "logs", name+".log"), s.Dir, bin, append(args, extra...)...)
		if err != nil {
			return nil, 0, err
		}
		rctx, cancel := ch.WhileRunning(ctx)
		err = pollHTTP(rctx, client, "http://127.0.0.1:"+strconv.Itoa(ports[0])+"/healthz", s.timeout)
		cancel()
		if err == nil {
			return ch, ports[0], nil
		}
		_ = ch.Stop()
		errs = append(errs, err)
		if !ch.PortClash() {
			break
		}
	}
	return nil, 0, fmt.Errorf("starting %s: %w", name, errors.Join(errs...))
}

// controllerManagerBinary returns the controller manager's binary: the
// stack's, one given in Options.Binaries, or one built now.
func (s *Stack) controllerManagerBinary(ctx context.Context) (string, error) {
	if bin := s.Binaries[ControllerManager]; bin != "" {
		return bin, nil
	}
	if bin := s.opts.Binaries[ControllerManager]; bin != "" {
		return bin, nil
	}
	paths, err := BuildBinaries(ctx, s.opts.BinDir, []Component{ControllerManager})
	if err != nil {
		return "", err
	}
	return paths[ControllerManager], nil
}
