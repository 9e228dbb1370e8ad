package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// controllerStats summarises one control loop of the controller manager
// during a section, from the differences of its /metrics: how often it
// synced each object, how long a sync took, and how long keys waited in the
// queue for a worker.
type controllerStats struct {
	// Loop is the control loop (and work queue) name.
	Loop string `json:"loop"`
	// SyncsPerObject and SyncErrorsPerObject are syncs (and failed syncs)
	// divided by the section's objects.
	SyncsPerObject      float64 `json:"syncsPerObject"`
	SyncErrorsPerObject float64 `json:"syncErrorsPerObject"`
	// RetriesPerObject counts rate-limited re-queues (after errors).
	RetriesPerObject float64 `json:"retriesPerObject"`
	// MeanSyncMs is the mean duration of a sync: reads from the informer
	// caches, the broker call and the API writes, client-side rate limiting
	// included.
	MeanSyncMs float64 `json:"meanSyncMs"`
	// MeanQueueWaitMs is the mean time a key waited for a worker.
	MeanQueueWaitMs float64 `json:"meanQueueWaitMs"`
}

// controllerMetricsURL returns the /metrics URL of the controller manager
// whose process is pid, from the --health-address flag it was started with
// (the last one wins, as for the process itself).
func controllerMetricsURL(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "", err
	}
	addr := ""
	for _, arg := range bytes.Split(b, []byte{0}) {
		if v, ok := strings.CutPrefix(string(arg), "--health-address="); ok {
			addr = v
		}
	}
	if addr == "" {
		return "", errors.New("the controller manager has no --health-address")
	}
	return "http://" + addr + "/metrics", nil
}

// scrapeController reads the controller manager's metrics; nil when they
// cannot be read (the figures are then left out, which is not an error).
func scrapeController(ctx context.Context, url string) []sample {
	if url == "" {
		return nil
	}
	samples, err := scrape(ctx, &http.Client{Timeout: 30 * time.Second}, url)
	if err != nil {
		return nil
	}
	return samples
}

// summarizeController computes loop's stats for objects from two scrapes.
func summarizeController(before, after []sample, loop string, objects int) *controllerStats {
	if before == nil || after == nil || objects == 0 {
		return nil
	}
	d := func(name, label string, extra ...string) float64 {
		match := map[string]string{label: loop}
		if len(extra) == 2 {
			match[extra[0]] = extra[1]
		}
		return sumOf(after, name, match) - sumOf(before, name, match)
	}
	n := float64(objects)
	st := &controllerStats{
		Loop:                loop,
		SyncsPerObject:      d("servicecatalog_controller_syncs_total", "controller") / n,
		SyncErrorsPerObject: d("servicecatalog_controller_syncs_total", "controller", "result", "error") / n,
		RetriesPerObject:    d("workqueue_retries_total", "name") / n,
	}
	if c := d("servicecatalog_controller_sync_duration_seconds_count", "controller"); c > 0 {
		st.MeanSyncMs = 1000 * d("servicecatalog_controller_sync_duration_seconds_sum", "controller") / c
	}
	if c := d("workqueue_queue_duration_seconds_count", "name"); c > 0 {
		st.MeanQueueWaitMs = 1000 * d("workqueue_queue_duration_seconds_sum", "name") / c
	}
	return st
}
