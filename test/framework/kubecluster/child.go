package kubecluster

import (
	"context"
)

// Child is a long-running process started by StartChild, for harnesses that
// run their own components next to the cluster (the catalog's API server,
// controller manager and test broker) with the same care as the cluster's:
// its own process group, SIGKILL on Linux when the test process dies, output
// appended to a log file, and a stop by PID only.
type Child struct {
	p *process
}

// StartChild starts bin with args in dir, appending its stdout and stderr to
// logFile (after a line giving the command). name labels it in messages. The
// process lives until Stop or, on Linux, until the calling process dies.
func StartChild(name, logFile, dir, bin string, args ...string) (*Child, error) {
	p, err := startProcess(name, logFile, dir, bin, args)
	if err != nil {
		return nil, err
	}
	return &Child{p: p}, nil
}

// Process describes the child: name, PID and log file.
func (c *Child) Process() Process { return c.p.Process }

// Done is closed once the process has exited.
func (c *Child) Done() <-chan struct{} { return c.p.done }

// Exited reports whether the process has exited.
func (c *Child) Exited() bool { return c.p.exited() }

// ExitError describes how the process ended, for error messages; call it only
// once Exited is true.
func (c *Child) ExitError() error { return c.p.exitError() }

// WhileRunning returns a context that is cancelled when ctx is, or when the
// process exits, so that a wait for the process to become ready ends at once
// when it dies.
func (c *Child) WhileRunning(ctx context.Context) (context.Context, context.CancelFunc) {
	return c.p.whileRunning(ctx)
}

// PortClash reports whether the process logged a bind error, i.e. whether
// starting it again on another port may succeed.
func (c *Child) PortClash() bool { return isPortClash(c.p) }

// Stop sends SIGTERM to the process (by PID), waits up to 15 seconds and then
// sends SIGKILL. It returns an error if the process had exited on its own
// before Stop, or had to be killed. Stop may be called more than once.
func (c *Child) Stop() error { return c.p.stop() }

// FreePorts returns n distinct TCP ports that were free on 127.0.0.1 a moment
// ago. Another process may take one before the caller binds it: retry on
// Child.PortClash.
func FreePorts(n int) ([]int, error) { return freePorts(n) }

// TailFile returns the last n lines of the file at path, or a note saying why
// it cannot be read.
func TailFile(path string, n int) string { return tailFile(path, n) }
