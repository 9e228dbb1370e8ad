package controller

import (
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	// Registers the work queue metrics (depth, adds, latency, retries) of named queues.
	_ "k8s.io/component-base/metrics/prometheus/workqueue"
)

var (
	syncTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "servicecatalog",
		Subsystem:      "controller",
		Name:           "syncs_total",
		Help:           "Syncs of objects by control loop and result (success or error).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"controller", "result"})
	syncDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Namespace:      "servicecatalog",
		Subsystem:      "controller",
		Name:           "sync_duration_seconds",
		Help:           "Time taken to sync one object, by control loop.",
		Buckets:        metrics.ExponentialBuckets(0.001, 2, 16),
		StabilityLevel: metrics.ALPHA,
	}, []string{"controller"})

	registerOnce sync.Once
)

func registerMetrics() {
	registerOnce.Do(func() {
		legacyregistry.MustRegister(syncTotal, syncDuration)
	})
}

func observeSync(controller string, start time.Time, err error) {
	syncDuration.WithLabelValues(controller).Observe(time.Since(start).Seconds())
	result := "success"
	if err != nil {
		result = "error"
	}
	syncTotal.WithLabelValues(controller, result).Inc()
}
