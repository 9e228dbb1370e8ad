package main

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// resyncResult is the controller manager's restart at one size of section 4:
// how long until it serves again and until it has looked at every object.
type resyncResult struct {
	// ReadySeconds is from starting the stopped controller manager until its
	// /readyz answers: process start, informer caches synced (every
	// instance, binding and binding Secret listed), leader Lease held.
	ReadySeconds float64 `json:"readySeconds"`
	// SyncedSeconds is from the same start until its instance and binding
	// loops have synced at least as many keys as there are objects
	// (ObjectsByLoop) and their work queues are empty.
	SyncedSeconds float64            `json:"syncedSeconds"`
	ObjectsByLoop map[string]int     `json:"objectsByLoop"`
	SyncsByLoop   map[string]float64 `json:"syncsByLoop"`
	// BrokerCalls counts the test broker's requests during the resync, by
	// kind: a resync of objects that are Ready sends no PUT.
	BrokerCalls map[string]int `json:"brokerCalls"`
}

// resync stops the controller manager, starts it again and waits until it
// has synced every instance and binding once (see resyncResult).
func (s *scaleEnv) resync(ctx context.Context) (*resyncResult, error) {
	stack := s.f.e.stack
	r := &resyncResult{
		ObjectsByLoop: map[string]int{"serviceinstance": s.instances, "servicebinding": s.bindings},
		SyncsByLoop:   map[string]float64{},
	}
	if err := s.f.brokerMark(ctx); err != nil {
		return r, err
	}
	if err := stack.StopComponent(catalogstack.ControllerManager); err != nil {
		return r, fmt.Errorf("stopping the controller manager: %w", err)
	}
	start := time.Now()
	if err := stack.StartComponent(ctx, catalogstack.ControllerManager); err != nil {
		return r, err
	}
	r.ReadySeconds = time.Since(start).Seconds()
	url := s.f.controllerMetricsURL()
	timeout := scaledTimeout(s.opts.doneTimeout, s.instances+s.bindings)
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		samples := scrapeController(ctx, url)
		if samples == nil {
			return false, nil
		}
		done := true
		for loop, n := range r.ObjectsByLoop {
			syncs := sumOf(samples, "servicecatalog_controller_syncs_total", map[string]string{"controller": loop})
			depth := sumOf(samples, "workqueue_depth", map[string]string{"name": loop})
			r.SyncsByLoop[loop] = syncs
			done = done && syncs >= float64(n) && depth == 0
		}
		return done, nil
	})
	r.SyncedSeconds = time.Since(start).Seconds()
	if err != nil {
		return r, fmt.Errorf("the controller manager did not sync every object within %s of its start: %w (syncs %v of %v)", timeout, err, r.SyncsByLoop, r.ObjectsByLoop)
	}
	reqs, err := s.f.brokerCalls(ctx)
	r.BrokerCalls = summarizeBrokerCalls(reqs, "instance", 0).Calls
	s.f.logf("section 4: controller manager restarted: ready after %.1fs, every object synced after %.1fs", r.ReadySeconds, r.SyncedSeconds)
	return r, err
}
