package broker

import (
	"sync"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
)

// RequestRelist makes the next sync of the named broker fetch its catalog, once, even when
// the relist period has not passed or the broker relists only by hand, and queues the
// broker. Other loops call it when a broker tells them its catalog changed (422
// MaintenanceInfoConflict). The request is kept in memory only: a restarted
// controller-manager fetches every catalog anyway.
func (c *Controller) RequestRelist(name string) {
	c.relists.add(name)
	c.enqueue(cache.ObjectName{Name: name})
}

// relistRequests are the brokers whose catalog was asked for again; the loop's workers and
// the callers of RequestRelist share them.
type relistRequests struct {
	mu    sync.Mutex
	names sets.Set[string]
}

func (r *relistRequests) add(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names == nil {
		r.names = sets.New[string]()
	}
	r.names.Insert(name)
}

// pending tells whether a relist of the broker was asked for.
func (r *relistRequests) pending(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.names.Has(name)
}

// forget drops the request of a broker: its catalog is being fetched, or it is gone.
func (r *relistRequests) forget(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names.Delete(name)
}
