package controller

import (
	"strconv"
	"sync"

	"k8s.io/client-go/tools/cache"
)

// Writes remembers the resourceVersion of each object's last write by the loop, so that a
// sync can tell when the informer cache has not caught up with it yet. Acting on the older
// copy would repeat a broker call that was already made: the cache would still show the
// request as in flight.
type Writes struct {
	mu      sync.Mutex
	written map[cache.ObjectName]uint64
}

// NewWrites returns an empty record.
func NewWrites() *Writes {
	return &Writes{written: map[cache.ObjectName]uint64{}}
}

// Wrote records that the loop wrote an object, which now has resourceVersion.
func (w *Writes) Wrote(key cache.ObjectName, resourceVersion string) {
	rv, err := strconv.ParseUint(resourceVersion, 10, 64)
	if err != nil {
		return
	}
	w.mu.Lock()
	w.written[key] = rv
	w.mu.Unlock()
}

// Released records that the loop removed an object's last finalizer with a write that
// returned resourceVersion. The API server then deletes the object and answers with the
// object as it was before the write, whose resourceVersion is the one the cache may still
// hold: that copy is stale too, until the deletion reaches the cache.
func (w *Writes) Released(key cache.ObjectName, resourceVersion string) {
	rv, err := strconv.ParseUint(resourceVersion, 10, 64)
	if err != nil {
		return
	}
	w.mu.Lock()
	w.written[key] = rv + 1
	w.mu.Unlock()
}

// Stale tells whether a cached copy, of resourceVersion, is older than the loop's last write
// of the object. The informer delivers the newer copy soon and queues the key again, so a
// stale sync can simply stop. Once the cache caught up, the record is dropped.
func (w *Writes) Stale(key cache.ObjectName, resourceVersion string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	written, ok := w.written[key]
	if !ok {
		return false
	}
	rv, err := strconv.ParseUint(resourceVersion, 10, 64)
	if err != nil || rv >= written {
		delete(w.written, key)
		return false
	}
	return true
}

// Forget drops the record of an object that no longer exists.
func (w *Writes) Forget(key cache.ObjectName) {
	w.mu.Lock()
	delete(w.written, key)
	w.mu.Unlock()
}
