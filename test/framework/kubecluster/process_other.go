//go:build unix && !linux

package kubecluster

import "syscall"

// sysProcAttr puts the child in its own process group. Outside Linux there is
// no parent-death signal, so only Stop (or the test's cleanup) ends it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// helperProcAttr is for short-lived helpers such as kubectl; there is nothing
// to set outside Linux.
func helperProcAttr() *syscall.SysProcAttr { return nil }

// startOnSpawnThread runs start; only Linux needs a dedicated thread.
func startOnSpawnThread(start func() error) error { return start() }
