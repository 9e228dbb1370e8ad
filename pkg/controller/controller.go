// Package controller runs the catalog's control loops. It owns what every loop shares: a
// typed rate-limited work queue, the workers, the wait for informer caches, retries and
// metrics. Each loop only says how to sync one object.
package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// Result tells the runner what to do with a key after a successful sync.
type Result struct {
	// Requeue syncs the key again at once: the next step of an operation whose state the
	// sync just wrote.
	Requeue bool
	// RequeueAfter, when positive, syncs the key again after this long: polling an
	// asynchronous broker operation, or waiting for a stored next-attempt time.
	RequeueAfter time.Duration
}

// RequeueNow is the result of a sync whose next step follows at once.
var RequeueNow = Result{Requeue: true}

// Sooner returns the result that syncs again first: a requeue at once, else the shorter
// positive wait.
func Sooner(a, b Result) Result {
	switch {
	case a.Requeue || b.Requeue:
		return RequeueNow
	case a.RequeueAfter <= 0:
		return b
	case b.RequeueAfter <= 0 || a.RequeueAfter < b.RequeueAfter:
		return a
	}
	return b
}

// SyncFunc brings the object named by key to the state its spec asks for. An error
// retries the key with a per-key exponential backoff.
type SyncFunc func(ctx context.Context, key cache.ObjectName) (Result, error)

// Options configure a control loop.
type Options struct {
	// Workers is the number of keys synced in parallel.
	Workers int
	// MinRetryDelay and MaxRetryDelay bound the backoff of keys whose sync failed.
	MinRetryDelay, MaxRetryDelay time.Duration
}

// Controller runs one control loop: a queue of object keys and the workers syncing them.
type Controller struct {
	name    string
	sync    SyncFunc
	queue   workqueue.TypedRateLimitingInterface[cache.ObjectName]
	workers int
	synced  []cache.InformerSynced
}

// New returns a control loop named name (used for metrics and logs) that syncs keys with
// sync once the given informers have synced.
func New(name string, sync SyncFunc, opts Options, synced ...cache.InformerSynced) *Controller {
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	if opts.MinRetryDelay <= 0 {
		opts.MinRetryDelay = 10 * time.Millisecond
	}
	if opts.MaxRetryDelay <= 0 {
		opts.MaxRetryDelay = 5 * time.Minute
	}
	registerMetrics()
	return &Controller{
		name: name,
		sync: sync,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.NewTypedItemExponentialFailureRateLimiter[cache.ObjectName](opts.MinRetryDelay, opts.MaxRetryDelay),
			workqueue.TypedRateLimitingQueueConfig[cache.ObjectName]{Name: name},
		),
		workers: opts.Workers,
		synced:  synced,
	}
}

// Name returns the loop's name.
func (c *Controller) Name() string { return c.name }

// Enqueue adds the key of an object, or of a deleted object's tombstone, to the queue.
func (c *Controller) Enqueue(obj interface{}) {
	if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tombstone.Obj
	}
	m, err := meta.Accessor(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("%s: cannot enqueue %T: %w", c.name, obj, err))
		return
	}
	c.queue.Add(cache.ObjectName{Namespace: m.GetNamespace(), Name: m.GetName()})
}

// EnqueueKey adds a key to the queue.
func (c *Controller) EnqueueKey(key cache.ObjectName) {
	c.queue.Add(key)
}

// EnqueueAfter adds a key to the queue after a delay.
func (c *Controller) EnqueueAfter(key cache.ObjectName, delay time.Duration) {
	c.queue.AddAfter(key, delay)
}

// EnqueueRelated returns an event handler function that queues, for an object of type T
// (or the tombstone of one), the keys of the loop's objects it concerns.
func EnqueueRelated[T any](c *Controller, keys func(T) []cache.ObjectName) func(obj interface{}) {
	return func(obj interface{}) {
		if tombstone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = tombstone.Obj
		}
		if o, ok := obj.(T); ok {
			for _, key := range keys(o) {
				c.queue.Add(key)
			}
		}
	}
}

// EventHandler enqueues objects when they are added, changed (a new resourceVersion) or
// deleted.
func (c *Controller) EventHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: c.Enqueue,
		UpdateFunc: func(oldObj, newObj interface{}) {
			o, errOld := meta.Accessor(oldObj)
			n, errNew := meta.Accessor(newObj)
			if errOld == nil && errNew == nil && o.GetResourceVersion() == n.GetResourceVersion() {
				return // a periodic resync of an unchanged object
			}
			c.Enqueue(newObj)
		},
		DeleteFunc: c.Enqueue,
	}
}

// Watch syncs the objects of informer's kind: their keys are queued when they are added,
// changed or deleted.
func (c *Controller) Watch(informer cache.SharedInformer) {
	c.Handle(informer, c.EventHandler())
}

// Handle adds handler to informer. An informer that has stopped already takes no
// handler; that is reported, and the loop stops with its informers anyway.
func (c *Controller) Handle(informer cache.SharedInformer, handler cache.ResourceEventHandler) {
	if _, err := informer.AddEventHandler(handler); err != nil {
		utilruntime.HandleError(fmt.Errorf("%s: watching %T: %w", c.name, informer, err))
	}
}

// Run waits for the informer caches, then syncs keys with the configured number of
// workers until ctx ends; it returns once every worker has stopped.
func (c *Controller) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithValues("controller", c.name)
	ctx = klog.NewContext(ctx, logger)
	defer c.queue.ShutDown()

	logger.Info("Waiting for caches to sync")
	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return fmt.Errorf("%s: caches did not sync", c.name)
	}
	logger.Info("Starting workers", "count", c.workers)
	var wg sync.WaitGroup
	for range c.workers {
		wg.Go(func() {
			wait.UntilWithContext(ctx, c.work, time.Second)
		})
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	logger.Info("Stopped workers")
	return nil
}

// work syncs keys until the queue shuts down.
func (c *Controller) work(ctx context.Context) {
	for c.processNext(ctx) {
	}
}

func (c *Controller) processNext(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)

	logger := klog.FromContext(ctx).WithValues("key", key)
	start := time.Now()
	result, err := c.sync(klog.NewContext(ctx, logger), key)
	observeSync(c.name, start, err)
	switch {
	case err != nil:
		logger.V(2).Info("Sync failed, will retry", "err", err, "retries", c.queue.NumRequeues(key))
		c.queue.AddRateLimited(key)
	case result.Requeue:
		c.queue.Forget(key)
		c.queue.Add(key)
	case result.RequeueAfter > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, result.RequeueAfter)
	default:
		c.queue.Forget(key)
	}
	return true
}
