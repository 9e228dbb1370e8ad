package kubecluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// stopTimeout is how long a process gets to exit after SIGTERM before it is
// killed.
const stopTimeout = 15 * time.Second

// Process describes one process started by this package.
type Process struct {
	// Name is the component name, e.g. "kube-apiserver".
	Name string
	// PID is the operating system process id.
	PID int
	// LogFile receives the process's stdout and stderr.
	LogFile string
}

// process is a started child process and its exit status.
type process struct {
	Process
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid once done is closed
	stopped bool          // set by stop, so an exit we caused is not an error
}

// startProcess starts bin with args, appending its output to logFile. The
// child gets its own process group (so a Ctrl-C on the test does not reach it
// before our orderly teardown) and, on Linux, SIGKILL when the parent dies, so
// a crashed or killed test run does not leave it behind. Only this PID is ever
// signalled (see stop).
func startProcess(name, logFile, dir, bin string, args []string) (*process, error) {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // the child has its own descriptor
	fmt.Fprintf(f, "=== %s starting %s %s\n", time.Now().Format(time.RFC3339Nano), bin, strings.Join(args, " "))

	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.SysProcAttr = sysProcAttr()
	if err := startOnSpawnThread(cmd.Start); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{
		Process: Process{Name: name, PID: cmd.Process.Pid, LogFile: logFile},
		cmd:     cmd,
		done:    make(chan struct{}),
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// whileRunning returns a context that is cancelled when ctx is, or when the
// process exits, so that a wait for the process to become ready returns at
// once when it dies.
func (p *process) whileRunning(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-p.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// exitError describes how the process ended, for error messages.
func (p *process) exitError() error {
	if p.waitErr != nil {
		return fmt.Errorf("%s (pid %d) exited: %w", p.Name, p.PID, p.waitErr)
	}
	return fmt.Errorf("%s (pid %d) exited", p.Name, p.PID)
}

// stop sends SIGTERM to the process (by PID), waits up to stopTimeout and then
// sends SIGKILL. It returns an error if the process had already exited on its
// own, or did not exit after SIGTERM.
func (p *process) stop() error {
	if p.exited() {
		if p.stopped {
			return nil
		}
		p.stopped = true
		return fmt.Errorf("%w exited before it was stopped; see %s", p.exitError(), p.LogFile)
	}
	p.stopped = true
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return fmt.Errorf("%s (pid %d) did not exit within %s of SIGTERM and was killed", p.Name, p.PID, stopTimeout)
}

// logContains reports whether the process's log contains s.
func (p *process) logContains(s string) bool {
	b, err := os.ReadFile(p.LogFile)
	return err == nil && bytes.Contains(b, []byte(s))
}

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
