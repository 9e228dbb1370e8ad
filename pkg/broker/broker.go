// Package broker is an in-memory Open Service Broker (API 2.13 to 2.17) for
// tests and demos. It serves a catalog from a file or a built-in demo, keeps
// instances and bindings in memory, records every OSB request it receives,
// and can be told per plan and per operation to answer asynchronously, fail,
// hang, or send malformed answers. docs/test-broker.md describes it for users.
package broker

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Defaults of Options.
const (
	DefaultMaxRecordedRequests       = 100_000
	DefaultMaxRecordedBytes    int64 = 256 << 20
	DefaultMaxHang                   = 10 * time.Minute
	// maxRequestBody bounds an OSB request body.
	maxRequestBody = 1 << 20
	// maxTombstones bounds how many deleted ids are remembered for 410 answers.
	maxTombstones = 100_000
)

// Options configures a Broker.
type Options struct {
	// Catalog is served on /v2/catalog; nil means DemoCatalog().
	Catalog *Catalog
	// Username and Password, when Username is set, require HTTP basic auth on
	// the OSB and admin endpoints.
	Username string
	// Password is the basic-auth password.
	Password string
	// BearerToken, when set, is accepted as "Authorization: Bearer <token>"
	// (in addition to basic auth, if that is configured too).
	BearerToken string
	// MinAPIVersion and MaxAPIVersion bound the accepted X-Broker-API-Version;
	// defaults 2.13 and 2.17.
	MinAPIVersion string
	// MaxAPIVersion is the newest accepted version.
	MaxAPIVersion string
	// MaxRecordedRequests is how many recent requests are kept; 0 means
	// DefaultMaxRecordedRequests and a negative value disables recording.
	MaxRecordedRequests int
	// MaxRecordedBytes bounds the memory the recorded requests use; 0 means
	// DefaultMaxRecordedBytes.
	MaxRecordedBytes int64
	// MaxHang bounds a hanging answer; 0 means DefaultMaxHang.
	MaxHang time.Duration
	// Logger receives a V(4) line per request; the zero value means klog's
	// global logger.
	Logger klog.Logger
}

// Broker is the in-memory test broker. It is an http.Handler and is safe for
// concurrent use.
//
// Every handler decides what to answer under mu, taken once with a deferred
// unlock, and writes the answer after releasing it; a hang never holds mu.
type Broker struct {
	username, password, bearer string
	minMinor, maxMinor         int
	maxHang                    time.Duration
	logger                     klog.Logger
	rec                        *recorder
	mux                        *http.ServeMux
	stop                       chan struct{}
	stopOnce                   sync.Once

	mu            sync.Mutex
	catalog       *Catalog
	services      map[string]*osb.Service
	plans         map[string]planRef
	overrides     map[string]Behavior
	faults        map[string]int
	instances     map[string]*instance
	bindings      map[bindingKey]*binding
	goneInstances *tombstones
	goneBindings  *tombstones
	opSeq         uint64
}

// New returns a Broker.
func New(opts Options) (*Broker, error) {
	minMinor, maxMinor, err := apiVersionRange(opts.MinAPIVersion, opts.MaxAPIVersion)
	if err != nil {
		return nil, err
	}
	b := &Broker{
		username: opts.Username,
		password: opts.Password,
		bearer:   opts.BearerToken,
		minMinor: minMinor,
		maxMinor: maxMinor,
		maxHang:  opts.MaxHang,
		logger:   opts.Logger,
		rec:      newRecorderFor(opts),
		stop:     make(chan struct{}),
	}
	if b.logger.GetSink() == nil {
		b.logger = klog.Background()
	}
	if b.maxHang <= 0 {
		b.maxHang = DefaultMaxHang
	}
	b.forgetStateLocked()
	cat := opts.Catalog
	if cat == nil {
		cat = DemoCatalog()
	}
	b.setCatalogLocked(cat)
	b.mux = b.routes()
	return b, nil
}

// apiVersionRange parses the accepted API versions into minor numbers.
func apiVersionRange(minVersion, maxVersion string) (int, int, error) {
	minMinor, err := parseMinor(minVersion, 13)
	if err != nil {
		return 0, 0, fmt.Errorf("min API version: %w", err)
	}
	maxMinor, err := parseMinor(maxVersion, 17)
	if err != nil {
		return 0, 0, fmt.Errorf("max API version: %w", err)
	}
	if minMinor > maxMinor {
		return 0, 0, errors.New("min API version is newer than max API version")
	}
	return minMinor, maxMinor, nil
}

// newRecorderFor returns the request record opts ask for.
func newRecorderFor(opts Options) *recorder {
	maxBytes := opts.MaxRecordedBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxRecordedBytes
	}
	return newRecorder(cmp.Or(opts.MaxRecordedRequests, DefaultMaxRecordedRequests), maxBytes)
}

// parseMinor parses "2.x" and returns x; empty gives def.
func parseMinor(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	major, minor, ok := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(minor)
	if !ok || major != "2" || err != nil || n < 0 || strconv.Itoa(n) != minor {
		return 0, fmt.Errorf("%q is not a 2.x version", v)
	}
	return n, nil
}

// Close ends every hanging answer. The broker keeps serving; call it before
// shutting an http.Server down so Shutdown does not wait for hangs.
func (b *Broker) Close() {
	b.stopOnce.Do(func() { close(b.stop) })
}

// SetCatalog replaces the catalog and the behaviours it defines. Runtime
// overrides set with SetBehavior stay; fault counters restart.
func (b *Broker) SetCatalog(c *Catalog) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.setCatalogLocked(c)
}

func (b *Broker) setCatalogLocked(c *Catalog) {
	oldServices, oldPlans := b.services, b.plans
	b.catalog = c
	b.services, b.plans = c.index()
	// Instances of plans the new catalog no longer lists keep working for update,
	// deprovision and bind, as platforms expect of brokers: their plans stay known, though
	// no longer advertised.
	for _, inst := range b.instances {
		if _, ok := b.plans[inst.planID]; ok {
			continue
		}
		if ref, ok := oldPlans[inst.planID]; ok {
			b.plans[inst.planID] = ref
			if _, ok := b.services[ref.service.ID]; !ok {
				b.services[ref.service.ID] = oldServices[ref.service.ID]
			}
		}
	}
	b.faults = map[string]int{}
}

// Catalog returns the catalog being served.
func (b *Broker) Catalog() *Catalog {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.catalog
}

// Requests returns the recorded OSB requests, oldest first.
func (b *Broker) Requests() []RecordedRequest { return b.rec.snapshot(0) }

// RequestsSince returns the recorded requests with Seq greater than seq.
func (b *Broker) RequestsSince(seq uint64) []RecordedRequest { return b.rec.snapshot(seq) }

// ResetRequests forgets the recorded requests.
func (b *Broker) ResetRequests() { b.rec.reset() }

// Reset forgets every instance, binding, recorded request, runtime
// behaviour override and fault counter.
func (b *Broker) Reset() {
	b.forgetState()
	b.rec.reset()
}

// forgetState forgets every instance, binding, override and fault counter.
func (b *Broker) forgetState() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.forgetStateLocked()
}

func (b *Broker) forgetStateLocked() {
	b.instances = map[string]*instance{}
	b.bindings = map[bindingKey]*binding{}
	b.goneInstances = newTombstones(maxTombstones)
	b.goneBindings = newTombstones(maxTombstones)
	b.overrides = map[string]Behavior{}
	b.faults = map[string]int{}
}
