package brokerclient

import (
	"context"
	"strconv"
	"sync"
	"time"

	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

var (
	requestsTotal = metrics.NewCounterVec(&metrics.CounterOpts{
		Namespace:      "servicecatalog",
		Subsystem:      "osb",
		Name:           "requests_total",
		Help:           "Requests to brokers by broker, OSB operation and result class (2xx, 4xx, 5xx, timeout, error).",
		StabilityLevel: metrics.ALPHA,
	}, []string{"broker", "operation", "result"})
	requestDuration = metrics.NewHistogramVec(&metrics.HistogramOpts{
		Namespace:      "servicecatalog",
		Subsystem:      "osb",
		Name:           "request_duration_seconds",
		Help:           "Latency of requests to brokers by broker and OSB operation.",
		Buckets:        metrics.ExponentialBuckets(0.001, 2, 18),
		StabilityLevel: metrics.ALPHA,
	}, []string{"broker", "operation"})
	registerOnce sync.Once
)

// instrumented wraps a client and records every call's result class and latency.
type instrumented struct {
	broker string
	next   osb.Client
}

func instrument(broker string, next osb.Client) osb.Client {
	registerOnce.Do(func() { legacyregistry.MustRegister(requestsTotal, requestDuration) })
	return &instrumented{broker: broker, next: next}
}

func observe[T any](c *instrumented, op osb.Operation, call func() (T, error)) (T, error) {
	start := time.Now()
	resp, err := call()
	requestDuration.WithLabelValues(c.broker, string(op)).Observe(time.Since(start).Seconds())
	requestsTotal.WithLabelValues(c.broker, string(op), resultClass(err)).Inc()
	return resp, err
}

// resultClass is the status class of a call: 2xx for success, 4xx and 5xx for broker
// errors, timeout, or error for anything else.
func resultClass(err error) string {
	switch {
	case err == nil:
		return "2xx"
	case osb.IsTimeout(err):
		return "timeout"
	}
	if code, ok := osb.StatusCode(err); ok {
		return strconv.Itoa(code/100) + "xx"
	}
	return "error"
}

func (c *instrumented) GetCatalog(ctx context.Context) (*osb.CatalogResponse, error) {
	return observe(c, osb.OperationGetCatalog, func() (*osb.CatalogResponse, error) { return c.next.GetCatalog(ctx) })
}

func (c *instrumented) Provision(ctx context.Context, r *osb.ProvisionRequest) (*osb.ProvisionResponse, error) {
	return observe(c, osb.OperationProvision, func() (*osb.ProvisionResponse, error) { return c.next.Provision(ctx, r) })
}

func (c *instrumented) Update(ctx context.Context, r *osb.UpdateRequest) (*osb.UpdateResponse, error) {
	return observe(c, osb.OperationUpdate, func() (*osb.UpdateResponse, error) { return c.next.Update(ctx, r) })
}

func (c *instrumented) Deprovision(ctx context.Context, r *osb.DeprovisionRequest) (*osb.DeprovisionResponse, error) {
	return observe(c, osb.OperationDeprovision, func() (*osb.DeprovisionResponse, error) { return c.next.Deprovision(ctx, r) })
}

func (c *instrumented) PollLastOperation(ctx context.Context, r *osb.LastOperationRequest) (*osb.LastOperationResponse, error) {
	return observe(c, osb.OperationLastOperation, func() (*osb.LastOperationResponse, error) { return c.next.PollLastOperation(ctx, r) })
}

func (c *instrumented) GetInstance(ctx context.Context, r *osb.GetInstanceRequest) (*osb.GetInstanceResponse, error) {
	return observe(c, osb.OperationGetInstance, func() (*osb.GetInstanceResponse, error) { return c.next.GetInstance(ctx, r) })
}

func (c *instrumented) Bind(ctx context.Context, r *osb.BindRequest) (*osb.BindResponse, error) {
	return observe(c, osb.OperationBind, func() (*osb.BindResponse, error) { return c.next.Bind(ctx, r) })
}

func (c *instrumented) Unbind(ctx context.Context, r *osb.UnbindRequest) (*osb.UnbindResponse, error) {
	return observe(c, osb.OperationUnbind, func() (*osb.UnbindResponse, error) { return c.next.Unbind(ctx, r) })
}

func (c *instrumented) PollBindingLastOperation(ctx context.Context, r *osb.BindingLastOperationRequest) (*osb.LastOperationResponse, error) {
	return observe(c, osb.OperationBindingLastOperation, func() (*osb.LastOperationResponse, error) { return c.next.PollBindingLastOperation(ctx, r) })
}

func (c *instrumented) GetBinding(ctx context.Context, r *osb.GetBindingRequest) (*osb.GetBindingResponse, error) {
	return observe(c, osb.OperationGetBinding, func() (*osb.GetBindingResponse, error) { return c.next.GetBinding(ctx, r) })
}
