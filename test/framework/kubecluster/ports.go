package kubecluster

import (
	"fmt"
	"net"
)

// pickPorts chooses ports for a process to listen on; tests replace it to
// provoke a port clash.
var pickPorts = freePorts

// freePorts returns n distinct TCP ports that were free on 127.0.0.1 a moment
// ago. The listeners are held until all n are chosen, then closed, so another
// process may still take a port before ours binds it; callers retry on
// isPortClash.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer func() { _ = l.Close() }() // a probe: nothing was served on it
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// isPortClash reports whether a process that failed to start logged a bind
// error, i.e. whether starting it again on other ports may succeed.
func isPortClash(p *process) bool {
	return p.logContains("address already in use") || p.logContains("bind: ")
}

// maxStartAttempts is how often a process is started on fresh ports after a
// port clash.
const maxStartAttempts = 3

// hostPort is "127.0.0.1:<port>".
func hostPort(port int) string {
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
}
