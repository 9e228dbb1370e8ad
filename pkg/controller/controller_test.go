package controller

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	fcache "k8s.io/client-go/tools/cache/testing"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/component-base/metrics/testutil"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

// deadline bounds every wait on the real work queue.
const deadline = 10 * time.Second

func testInstance(name, resourceVersion string) *v1beta1.ServiceInstance {
	return &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, ResourceVersion: resourceVersion}}
}

func noSync(context.Context, cache.ObjectName) (Result, error) { return Result{}, nil }

// queued drains the queue without waiting and returns the keys it held.
func queued(c *Controller) []cache.ObjectName {
	var keys []cache.ObjectName
	for c.queue.Len() > 0 {
		key, _ := c.queue.Get()
		c.queue.Done(key)
		c.queue.Forget(key)
		keys = append(keys, key)
	}
	return keys
}

func TestEventHandlerEnqueuesChangedObjects(t *testing.T) {
	c := New("handler-test", noSync, Options{})
	h := c.EventHandler()
	key := cache.ObjectName{Namespace: "ns", Name: "db"}

	h.OnAdd(testInstance("db", "1"), false)
	if got := queued(c); len(got) != 1 || got[0] != key {
		t.Fatalf("after add: %v", got)
	}
	h.OnUpdate(testInstance("db", "1"), testInstance("db", "1"))
	if got := queued(c); len(got) != 0 {
		t.Fatalf("a resync of an unchanged object was queued: %v", got)
	}
	h.OnUpdate(testInstance("db", "1"), testInstance("db", "2"))
	if got := queued(c); len(got) != 1 || got[0] != key {
		t.Fatalf("after update: %v", got)
	}
	h.OnDelete(testInstance("db", "2"))
	if got := queued(c); len(got) != 1 || got[0] != key {
		t.Fatalf("after delete: %v", got)
	}
	h.OnDelete(cache.DeletedFinalStateUnknown{Key: "ns/db", Obj: testInstance("db", "2")})
	if got := queued(c); len(got) != 1 || got[0] != key {
		t.Fatalf("after the delete of a tombstone: %v", got)
	}
	c.Enqueue("not an object")
	if got := queued(c); len(got) != 0 {
		t.Fatalf("a value without metadata was queued: %v", got)
	}
	c.EnqueueKey(key)
	if got := queued(c); len(got) != 1 || got[0] != key {
		t.Fatalf("after EnqueueKey: %v", got)
	}
	if c.Name() != "handler-test" {
		t.Errorf("Name() = %q", c.Name())
	}
}

// syncRecorder is a sync func that records when each key was synced and answers with
// the next of its scripted answers.
type syncRecorder struct {
	mu      sync.Mutex
	answers []func() (Result, error)
	synced  chan cache.ObjectName
	times   []time.Time
}

func newSyncRecorder(answers ...func() (Result, error)) *syncRecorder {
	return &syncRecorder{answers: answers, synced: make(chan cache.ObjectName, 100)}
}

func (r *syncRecorder) sync(_ context.Context, key cache.ObjectName) (Result, error) {
	r.mu.Lock()
	r.times = append(r.times, time.Now())
	answer := func() (Result, error) { return Result{}, nil }
	if len(r.answers) > 0 {
		answer, r.answers = r.answers[0], r.answers[1:]
	}
	r.mu.Unlock()
	defer func() { r.synced <- key }()
	return answer()
}

func (r *syncRecorder) wait(t *testing.T, want cache.ObjectName) {
	t.Helper()
	select {
	case got := <-r.synced:
		if got != want {
			t.Fatalf("synced %v, want %v", got, want)
		}
	case <-time.After(deadline):
		t.Fatalf("%v was not synced within %s", want, deadline)
	}
}

func (r *syncRecorder) gap(i int) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.times[i].Sub(r.times[i-1])
}

// run starts the loop and stops it when the test ends.
func run(t *testing.T, c *Controller) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(deadline):
			t.Errorf("Run did not return within %s", deadline)
		}
	})
}

func TestRunSyncsTheKeysOfAnInformersEvents(t *testing.T) {
	source := fcache.NewFakeControllerSource()
	informer := cache.NewSharedIndexInformer(source, &v1beta1.ServiceInstance{}, 0, cache.Indexers{})
	r := newSyncRecorder()
	c := New("informer-test", r.sync, Options{Workers: 2}, informer.HasSynced)
	if _, err := informer.AddEventHandler(c.EventHandler()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go informer.RunWithContext(ctx)
	run(t, c)

	key := cache.ObjectName{Namespace: "ns", Name: "db"}
	source.Add(testInstance("db", ""))
	r.wait(t, key)
	source.Modify(testInstance("db", ""))
	r.wait(t, key)
	source.Delete(testInstance("db", ""))
	r.wait(t, key)
	select {
	case got := <-r.synced:
		t.Fatalf("unexpected sync of %v", got)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestRunRetriesAFailedSyncWithBackoff(t *testing.T) {
	const minDelay = 20 * time.Millisecond
	failed := func() (Result, error) { return Result{}, errors.New("broker unwell") }
	r := newSyncRecorder(failed, failed)
	c := New("retry-test", r.sync, Options{MinRetryDelay: minDelay, MaxRetryDelay: time.Second})
	key := cache.ObjectName{Namespace: "ns", Name: "db"}
	before, _ := testutil.GetCounterValuesFromGatherer(legacyregistry.DefaultGatherer, "servicecatalog_controller_syncs_total",
		map[string]string{"controller": "retry-test"}, "result")
	c.EnqueueKey(key)
	run(t, c)
	r.wait(t, key)
	r.wait(t, key)
	r.wait(t, key)
	// The per-key backoff doubles: about 20ms, then 40ms.
	if gap := r.gap(1); gap < minDelay {
		t.Errorf("first retry after %s, want at least %s", gap, minDelay)
	}
	if gap := r.gap(2); gap < 2*minDelay {
		t.Errorf("second retry after %s, want at least %s", gap, 2*minDelay)
	}
	select {
	case <-r.synced:
		t.Fatal("a successful sync was retried")
	case <-time.After(100 * time.Millisecond):
	}
	if n := c.queue.NumRequeues(key); n != 0 {
		t.Errorf("the backoff of a key that synced is not reset: %d requeues", n)
	}
	after, err := testutil.GetCounterValuesFromGatherer(legacyregistry.DefaultGatherer, "servicecatalog_controller_syncs_total",
		map[string]string{"controller": "retry-test"}, "result")
	if err != nil {
		t.Fatal(err)
	}
	if after["error"]-before["error"] != 2 || after["success"]-before["success"] != 1 {
		t.Errorf("syncs_total %v, want 2 errors and 1 success", after)
	}
}

func TestRunHonoursRequeueAfter(t *testing.T) {
	const delay = 60 * time.Millisecond
	r := newSyncRecorder(func() (Result, error) { return Result{RequeueAfter: delay}, nil })
	c := New("requeue-test", r.sync, Options{})
	key := cache.ObjectName{Namespace: "ns", Name: "db"}
	c.EnqueueKey(key)
	run(t, c)
	r.wait(t, key)
	r.wait(t, key)
	if gap := r.gap(1); gap < delay {
		t.Errorf("requeued after %s, want at least %s", gap, delay)
	}
	select {
	case <-r.synced:
		t.Fatal("a sync that asked for nothing was requeued")
	case <-time.After(2 * delay):
	}
}

func TestEnqueueAfterDelaysTheKey(t *testing.T) {
	c := New("enqueue-after-test", noSync, Options{})
	key := cache.ObjectName{Namespace: "ns", Name: "db"}
	c.EnqueueAfter(key, time.Hour)
	if n := c.queue.Len(); n != 0 {
		t.Errorf("a key delayed by an hour is queued now: %d", n)
	}
	c.queue.ShutDown()
}

func TestRunFailsWhenCachesNeverSync(t *testing.T) {
	c := New("unsynced-test", noSync, Options{}, func() bool { return false })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Run(ctx); err == nil {
		t.Error("Run returned no error though the caches never synced")
	}
}
