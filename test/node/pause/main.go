// Command pause is the sandbox process of the real-node tests' pods: it holds the
// pod's namespaces, reaps the children it inherits, and exits on SIGINT or SIGTERM.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	reaped := make(chan os.Signal, 1)
	signal.Notify(reaped, syscall.SIGCHLD)
	for {
		select {
		case <-stop:
			return
		case <-reaped:
			for {
				var status syscall.WaitStatus
				if pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil); pid <= 0 || err != nil {
					break
				}
			}
		}
	}
}
