package operation

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// polls remembers, in memory, when each object's operation may be polled next: an event
// about the object (the loop's own status write, a label change) queues it at once, and
// must not poll a broker that asked, with Retry-After, to wait. A restarted controller
// polls at once, which the broker answers like any other poll.
type polls struct {
	mu        sync.Mutex
	notBefore map[types.UID]time.Time
}

func newPolls() *polls { return &polls{notBefore: map[types.UID]time.Time{}} }

// next records when obj may be polled next.
func (p *polls) next(obj Identified, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notBefore[obj.GetUID()] = at
}

// at returns when obj may be polled next, if that was recorded.
func (p *polls) at(obj Identified) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.notBefore[obj.GetUID()]
	return at, ok
}

// wait returns how long until obj may be polled, or zero.
func (p *polls) wait(obj Identified, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return max(p.notBefore[obj.GetUID()].Sub(now), 0)
}

// done forgets obj: its operation is no longer polled.
func (p *polls) done(obj Identified) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.notBefore, obj.GetUID())
}

// Identified is an object with a UID.
type Identified interface{ GetUID() types.UID }
