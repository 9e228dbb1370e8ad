package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// replica is one controller-manager process.
type replica struct {
	name       string
	child      *kubecluster.Child
	healthPort int
	// busy is set while the replica is being killed or restarted.
	busy bool
}

// replicaSet runs the controller-manager replicas: it kills and restarts
// them, and restarts one that exits on its own (a replica whose Lease
// renewal fails exits by design), counting those exits.
type replicaSet struct {
	e      *env
	client *http.Client

	mu        sync.Mutex
	replicas  []*replica
	kills     int
	selfExits []string
}

// newReplicaSet describes n replicas named cm-a, cm-b, ...
func newReplicaSet(e *env, n int) *replicaSet {
	rs := &replicaSet{e: e, client: &http.Client{Timeout: 2 * time.Second}}
	for i := range n {
		rs.replicas = append(rs.replicas, &replica{name: "catalog-controller-manager-" + string(rune('a'+i))})
	}
	return rs
}

// startAll starts every replica and waits until one leads.
func (rs *replicaSet) startAll(ctx context.Context) error {
	for i := range rs.replicas {
		if err := rs.start(ctx, i); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, ok := rs.leader(ctx); ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("no controller-manager replica became the leader within 2 minutes")
}

// start starts replica i (again).
func (rs *replicaSet) start(ctx context.Context, i int) error {
	rs.mu.Lock()
	r := rs.replicas[i]
	rs.mu.Unlock()
	ch, port, err := rs.e.stack.StartControllerManagerReplica(ctx, r.name)
	if err != nil {
		return err
	}
	rs.mu.Lock()
	r.child, r.healthPort = ch, port
	rs.mu.Unlock()
	rs.e.logf("%s started (pid %d)", r.name, ch.Process().PID)
	return nil
}

// leader returns the replica that leads: the one whose /readyz answers.
func (rs *replicaSet) leader(ctx context.Context) (int, bool) {
	rs.mu.Lock()
	ports := make([]int, len(rs.replicas))
	for i, r := range rs.replicas {
		if r.child != nil && !r.child.Exited() {
			ports[i] = r.healthPort
		}
	}
	rs.mu.Unlock()
	for i, p := range ports {
		if p == 0 {
			continue
		}
		if _, err := figures.HTTPGet(ctx, rs.client, "http://127.0.0.1:"+strconv.Itoa(p)+"/readyz"); err == nil {
			return i, true
		}
	}
	return 0, false
}

// claim marks replica i busy and returns it, unless it is busy already.
func (rs *replicaSet) claim(i int) (*replica, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r := rs.replicas[i]
	if r.busy {
		return nil, false
	}
	r.busy = true
	return r, true
}

// release clears replica i's busy mark.
func (rs *replicaSet) release(i int) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.replicas[i].busy = false
}

// killAndRestart SIGKILLs replica i and starts it again.
func (rs *replicaSet) killAndRestart(ctx context.Context, i int) error {
	r, ok := rs.claim(i)
	if !ok {
		return nil
	}
	defer rs.release(i)
	if r.child != nil {
		if err := catalogstack.KillChild(r.child); err != nil {
			return err
		}
	}
	rs.mu.Lock()
	rs.kills++
	rs.mu.Unlock()
	rs.e.logf("%s SIGKILLed", r.name)
	return rs.start(ctx, i)
}

// supervise restarts, every second until ctx is done, the replicas that
// exited on their own.
func (rs *replicaSet) supervise(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		for i := range rs.replicas {
			rs.restartIfExited(ctx, i)
		}
	}
}

// restartIfExited restarts replica i if its process exited on its own.
func (rs *replicaSet) restartIfExited(ctx context.Context, i int) {
	r, ok := rs.claim(i)
	if !ok {
		return
	}
	defer rs.release(i)
	if r.child == nil || !r.child.Exited() || ctx.Err() != nil {
		return
	}
	exitErr := r.child.ExitError()
	if r.child.Stop() != nil { // an error: the exit was not ours
		rs.mu.Lock()
		rs.selfExits = append(rs.selfExits, fmt.Sprintf("%s at %s: %v", r.name, time.Now().UTC().Format(time.RFC3339), exitErr))
		rs.mu.Unlock()
		rs.e.logf("%s exited on its own (%v); restarting it", r.name, exitErr)
	}
	if err := rs.start(ctx, i); err != nil && ctx.Err() == nil {
		rs.e.logf("restarting %s: %v", r.name, err)
	}
}

// ensureRunning starts every replica that does not run.
func (rs *replicaSet) ensureRunning(ctx context.Context) error {
	var errs []error
	for i := range rs.replicas {
		r, ok := rs.claim(i)
		if !ok {
			continue
		}
		if r.child == nil || r.child.Exited() {
			errs = append(errs, rs.start(ctx, i))
		}
		rs.release(i)
	}
	return errors.Join(errs...)
}

// stats returns the kills and the exits on their own.
func (rs *replicaSet) stats() (int, []string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.kills, append([]string(nil), rs.selfExits...)
}

// stopAll stops every replica.
func (rs *replicaSet) stopAll() error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var errs []error
	for _, r := range rs.replicas {
		if r.child != nil {
			errs = append(errs, r.child.Stop())
		}
	}
	return errors.Join(errs...)
}
