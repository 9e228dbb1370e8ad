package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
	typed "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/framework/nodecluster"
)

// attempts is how often a client tries a request before giving up.
const attempts = 8

// counters count requests; a phase reports their change.
type counters struct {
	creates, createErrors, createsFailed atomic.Int64
	reads, readErrors, readsFailed       atomic.Int64
}

// load creates, reads and watches instances through kube-apiserver.
type load struct {
	instances typed.ServiceInstanceInterface
	o         options
	c         counters

	mu    sync.Mutex
	acked []string        // the instances whose create was acknowledged
	seen  map[string]bool // the instances the watch delivered
	next  int

	watchReconnects, watchGaps atomic.Int64
	// lastModified is when the watch last delivered a change to an existing
	// instance (UnixNano): only the controller manager changes them.
	lastModified atomic.Int64
	// workers stops the writers and readers; the watch stops with run's ctx.
	workers    sync.WaitGroup
	watchDone  chan struct{}
	stopWrites context.CancelFunc
}

func newLoad(c *nodecluster.Cluster, o options) (*load, error) {
	cs, err := versioned.NewForConfig(c.Config("admin"))
	if err != nil {
		return nil, err
	}
	return &load{instances: cs.ServicecatalogV1beta1().ServiceInstances(namespace), o: o, seen: map[string]bool{}, watchDone: make(chan struct{})}, nil
}

// run starts the writers, the readers and the watch; they stop with ctx, the
// writers and readers also at stopWorkers.
func (l *load) run(ctx context.Context) {
	workCtx, stop := context.WithCancel(ctx)
	pace := time.NewTicker(time.Second / time.Duration(max(1, l.o.rate)))
	l.stopWrites = func() {
		stop()
		pace.Stop()
	}
	for range l.o.writers {
		l.loop(workCtx, func(ctx context.Context) {
			select {
			case <-ctx.Done():
			case <-pace.C:
				l.create(ctx)
			}
		})
	}
	for range l.o.readers {
		l.loop(workCtx, l.read)
	}
	go func() {
		defer close(l.watchDone)
		l.watch(ctx)
	}()
}

// stopWorkers stops the writers and readers and waits for them.
func (l *load) stopWorkers() {
	l.stopWrites()
	l.workers.Wait()
}

func (l *load) loop(ctx context.Context, op func(context.Context)) {
	l.workers.Add(1)
	go func() {
		defer l.workers.Done()
		for ctx.Err() == nil {
			op(ctx)
		}
	}()
}

// retry calls f up to attempts times with a growing pause, counting every
// failed attempt in errs and a request that failed every attempt in failed.
func retry(ctx context.Context, errs, failed *atomic.Int64, f func() error) error {
	var err error
	for i := range attempts {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		errs.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(min(100*time.Millisecond<<i, 2*time.Second)):
		}
	}
	failed.Add(1)
	return err
}

// create creates the next instance; a create that an earlier attempt made
// (AlreadyExists on a retry) is acknowledged.
func (l *load) create(ctx context.Context) {
	l.mu.Lock()
	l.next++
	n := l.next
	l.mu.Unlock()
	name := fmt.Sprintf("ha-%05d", n)
	inst := newInstance(name, n%2 == 0)
	tried := false
	err := retry(ctx, &l.c.createErrors, &l.c.createsFailed, func() error {
		_, err := l.instances.Create(ctx, inst, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) && tried {
			return nil
		}
		tried = true
		return err
	})
	l.c.creates.Add(1)
	if err == nil {
		l.mu.Lock()
		l.acked = append(l.acked, name)
		l.mu.Unlock()
	}
}

// newInstance returns an instance of a plan the test broker provisions at
// once, or, when async, over two polls.
func newInstance(name string, async bool) *v1beta1.ServiceInstance {
	plan := v1beta1.PlanReference{ClusterServiceClassExternalName: "redis", ClusterServicePlanExternalName: "cache"}
	if async {
		plan = v1beta1.PlanReference{ClusterServiceClassExternalName: "rabbitmq", ClusterServicePlanExternalName: "cluster"}
	}
	return &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1beta1.ServiceInstanceSpec{PlanReference: plan}}
}

// read gets an acknowledged instance, or lists a page of them.
func (l *load) read(ctx context.Context) {
	l.mu.Lock()
	var name string
	if n := len(l.acked); n > 0 && rand.IntN(4) > 0 {
		name = l.acked[rand.IntN(n)]
	}
	l.mu.Unlock()
	_ = retry(ctx, &l.c.readErrors, &l.c.readsFailed, func() error {
		if name == "" {
			_, err := l.instances.List(ctx, metav1.ListOptions{Limit: 50})
			return err
		}
		_, err := l.instances.Get(ctx, name, metav1.GetOptions{})
		return err
	})
	l.c.reads.Add(1)
	time.Sleep(20 * time.Millisecond)
}

// watch watches the instances from the beginning, resuming each time from the
// last resourceVersion it saw. A resume the server refuses (410: events may
// be lost) is a gap: it lists again.
func (l *load) watch(ctx context.Context) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			list, err := l.instances.List(ctx, metav1.ListOptions{})
			if err != nil {
				time.Sleep(500 * time.Millisecond)
				continue
			}
			l.markSeen(list.Items...)
			rv = list.ResourceVersion
		}
		w, err := l.instances.Watch(ctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
		if err != nil {
			time.Sleep(500 * time.Millisecond)
			continue
		}
		rv = l.consume(w, rv)
		l.watchReconnects.Add(1)
	}
}

// consume reads w's events until it ends and returns the resourceVersion to
// resume from ("" to list again).
func (l *load) consume(w watch.Interface, rv string) string {
	defer w.Stop()
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			if status := apierrors.FromObject(ev.Object); apierrors.IsResourceExpired(status) || apierrors.IsGone(status) {
				l.watchGaps.Add(1)
				return ""
			}
			return rv
		}
		inst, ok := ev.Object.(*v1beta1.ServiceInstance)
		if !ok {
			continue
		}
		rv = inst.ResourceVersion
		switch ev.Type {
		case watch.Modified:
			l.lastModified.Store(time.Now().UnixNano())
			l.markSeen(*inst)
		case watch.Added, watch.Deleted:
			l.markSeen(*inst)
		}
	}
	return rv
}

func (l *load) markSeen(items ...v1beta1.ServiceInstance) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, i := range items {
		l.seen[i.Name] = true
	}
}

// acknowledged returns the acknowledged creates.
func (l *load) acknowledged() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acked...)
}

// notDelivered returns the acknowledged creates the watch never delivered.
func (l *load) notDelivered() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, name := range l.acked {
		if !l.seen[name] {
			out = append(out, name)
		}
	}
	return out
}

// waitDelivered waits, up to timeout, until the watch delivered every
// acknowledged create.
func (l *load) waitDelivered(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for len(l.notDelivered()) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(200 * time.Millisecond)
	}
}
