package main

import (
	"context"
	"errors"
	"time"
)

// A target is one way of storing ServiceInstances that section 1 compares: our
// API server called directly, our API server through kube-apiserver's
// aggregator, a CRD on kube-apiserver, and raw etcd puts. Each target keeps its
// objects in a namespace (or key prefix) of its own.
type target interface {
	// Name is the short name used in tables and the JSON report.
	Name() string
	// Describe says what the target is, for the report.
	Describe() string
	// Process names the process that serves the target (whose memory is
	// measured) and returns its PID.
	Process() (name string, pid int)
	// Warmup makes the target serve a few requests outside the measured
	// namespace, so that first-request costs (a fresh CRD's storage, new
	// connections) do not land in the measurements.
	Warmup(ctx context.Context) error
	// Create stores the benchmark object called name.
	Create(ctx context.Context, name string) error
	// List reads every stored object in one request, asking for the media type
	// accept. It returns errNotServed when the target does not serve it.
	List(ctx context.Context, accept string) (listResult, error)
	// ListPaged reads every stored object in pages of limit objects (JSON).
	ListPaged(ctx context.Context, limit int64) (listResult, error)
	// Revision returns the current resource version (etcd revision).
	Revision(ctx context.Context) (string, error)
	// Watch watches the target's objects from revision rev on and sends the name
	// of every object created to the returned channel, which is closed when
	// ctx ends or the watch fails.
	Watch(ctx context.Context, rev string) (<-chan string, error)
}

// The media types section 1 asks for.
const (
	mediaJSON     = "application/json"
	mediaProtobuf = "application/vnd.kubernetes.protobuf"
)

// errNotServed means a target does not serve the media type asked for.
var errNotServed = errors.New("not served")

// listResult describes one complete read of a target's objects.
type listResult struct {
	// Items is the number of objects read.
	Items int
	// Bytes is the size of the response bodies.
	Bytes int64
	// Pages is the number of requests.
	Pages int
	// Duration is the time from the first request to the end of the last body.
	Duration time.Duration
}

// warmupObjects is the number of objects each target's Warmup creates.
const warmupObjects = 30
