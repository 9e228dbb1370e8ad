//go:build !unix

package kubecluster

import "syscall"

// sysProcAttr has nothing to set outside Unix; only Stop ends the child.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// helperProcAttr is for short-lived helpers such as kubectl; there is nothing
// to set outside Unix.
func helperProcAttr() *syscall.SysProcAttr { return nil }

// startOnSpawnThread runs start; only Linux needs a dedicated thread.
func startOnSpawnThread(start func() error) error { return start() }
