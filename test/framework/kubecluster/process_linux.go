package kubecluster

import (
	"runtime"
	"sync"
	"syscall"
)

// sysProcAttr puts the child in its own process group and has the kernel
// SIGKILL it when the thread that started it dies (see startOnSpawnThread).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// helperProcAttr is for short-lived helpers such as kubectl: they stay in the
// test's process group (Ctrl-C reaches them) but die with the test process.
func helperProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// The parent-death signal fires when the forking *thread* exits, not the
// process. The Go runtime ends a thread when a goroutine that locked it exits
// without unlocking, so a child forked from an arbitrary goroutine could be
// killed early by unrelated code. Forking from one goroutine that locks its
// thread and never exits avoids that (golang/go#27505).
var spawner struct {
	once sync.Once
	reqs chan func()
}

// startOnSpawnThread runs start (which forks) on the dedicated thread.
func startOnSpawnThread(start func() error) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for f := range spawner.reqs {
				f()
			}
		}()
	})
	errc := make(chan error, 1)
	spawner.reqs <- func() { errc <- start() }
	return <-errc
}
