package broker

import (
	"fmt"
	"sync"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"
)

// RequestRelist makes the next sync of the broker whose catalog.Key is key fetch its
// catalog, once, even when the relist period has not passed or the broker relists only by
// hand, and queues the broker: a ClusterServiceBroker for a bare name, a ServiceBroker for
// "namespace/name". Other loops call it when a broker tells them its catalog changed (422
// MaintenanceInfoConflict). The request is kept in memory only: a restarted
// controller-manager fetches every catalog anyway.
func (c *Controller) RequestRelist(key string) {
	name, err := cache.ParseObjectName(key)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("broker relist of %q: %w", key, err))
		return
	}
	c.relists.add(key)
	c.enqueue(name)
}

// relistRequests are the brokers, by catalog.Key, whose catalog was asked for again; the
// loop's workers and the callers of RequestRelist share them.
type relistRequests struct {
	mu   sync.Mutex
	keys sets.Set[string]
}

func (r *relistRequests) add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys == nil {
		r.keys = sets.New[string]()
	}
	r.keys.Insert(key)
}

// pending tells whether a relist of the broker was asked for.
func (r *relistRequests) pending(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys.Has(key)
}

// forget drops the request of a broker: its catalog is being fetched, or it is gone.
func (r *relistRequests) forget(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys.Delete(key)
}
