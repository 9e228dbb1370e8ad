package serviceinstance

import (
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

var (
	createToReady = metrics.NewHistogram(&metrics.HistogramOpts{
		Namespace:      "servicecatalog",
		Subsystem:      "instance",
		Name:           "create_to_ready_seconds",
		Help:           "Time from the creation of a ServiceInstance to its first Ready=True.",
		Buckets:        metrics.ExponentialBuckets(0.01, 2, 18),
		StabilityLevel: metrics.ALPHA,
	})
	registerOnce sync.Once
)

func registerMetrics() {
	registerOnce.Do(func() { legacyregistry.MustRegister(createToReady) })
}

// observeReady records the time to the first provision of an instance.
func observeReady(instance *v1beta1.ServiceInstance, now time.Time) {
	createToReady.Observe(now.Sub(instance.CreationTimestamp.Time).Seconds())
}
