package main

import (
	"context"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	watchtools "k8s.io/client-go/tools/watch"
)

// watchFunc opens a watch; it adapts a client's Watch to the RetryWatcher.
type watchFunc func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)

// WatchWithContext implements cache.WatcherWithContext.
func (f watchFunc) WatchWithContext(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return f(ctx, opts)
}

// observer records, from a watch, when each of a set of objects was first
// seen in a wanted state. Times are taken on the client when the event
// arrives.
type observer struct {
	mu   sync.Mutex
	seen map[string]time.Time
	want map[string]bool
	done chan struct{}
}

// observe watches from resource version rv (re-opening the watch when the
// server closes it) until ctx ends or every name in want has matched: match
// returns the object's name and whether it is in the wanted state.
func observe(ctx context.Context, rv string, w watchFunc, want []string, match func(runtime.Object) (string, bool)) (*observer, error) {
	o := &observer{seen: map[string]time.Time{}, want: map[string]bool{}, done: make(chan struct{})}
	for _, n := range want {
		o.want[n] = true
	}
	rw, err := watchtools.NewRetryWatcherWithContext(ctx, rv, w)
	if err != nil {
		return nil, err
	}
	go func() {
		defer rw.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-rw.ResultChan():
				if !ok {
					return
				}
				if ev.Type != watch.Added && ev.Type != watch.Modified {
					continue
				}
				name, ok := match(ev.Object)
				if !ok {
					continue
				}
				if o.record(name, time.Now()) {
					close(o.done)
					return
				}
			}
		}
	}()
	return o, nil
}

// record notes name at t, if wanted and not seen before, and reports whether
// every wanted name has now been seen.
func (o *observer) record(name string, t time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.want[name] {
		return false
	}
	if _, dup := o.seen[name]; dup {
		return false
	}
	o.seen[name] = t
	return len(o.seen) == len(o.want)
}

// count is the number of wanted names seen so far.
func (o *observer) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.seen)
}

// wait waits until every wanted name was seen or timeout passes, and returns
// the times seen so far.
func (o *observer) wait(ctx context.Context, timeout time.Duration) (map[string]time.Time, bool) {
	select {
	case <-o.done:
	case <-time.After(timeout):
	case <-ctx.Done():
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]time.Time, len(o.seen))
	for k, v := range o.seen {
		out[k] = v
	}
	return out, len(out) == len(o.want)
}
