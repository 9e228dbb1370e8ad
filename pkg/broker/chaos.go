package broker

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// Fault is a kind of misbehaviour the chaos mode injects into one request.
type Fault string

// The faults of the chaos mode. The broker's record of what it holds stays
// true whatever it answers: a fault that rejects a request changes nothing, and
// a fault that loses or garbles an answer does so after the broker did the work.
const (
	// FaultServerError answers 500, 502 or 503; nothing changes.
	FaultServerError Fault = "serverError"
	// FaultTimeout does the work, then holds the answer until the client gives
	// up (past its timeout).
	FaultTimeout Fault = "timeout"
	// FaultMalformed does the work, then answers its 2xx status with the body
	// cut short (a bind's cut inside the credentials).
	FaultMalformed Fault = "malformed"
	// FaultConflict answers 409 to a provision or bind; nothing changes.
	FaultConflict Fault = "conflict"
	// FaultConcurrency answers 422 ConcurrencyError to a provision, update,
	// deprovision, bind or unbind; nothing changes.
	FaultConcurrency Fault = "concurrency"
	// FaultAsyncFailed answers 202 and the operation ends "failed" at its poll.
	// It applies to a provision or bind that creates its resource now, and to
	// an operation the plan runs asynchronously anyway; the request must
	// accept asynchronous answers.
	FaultAsyncFailed Fault = "asyncFailed"
	// FaultGone answers 410 to a last_operation poll. A delete in progress
	// that is to succeed finishes at once, since the 410 says the resource is
	// gone; any other operation is unchanged and the poll does not count. It
	// is not injected into a poll of a delete that is to fail.
	FaultGone Fault = "gone"
	// FaultSlow answers normally after a delay below the client's timeout.
	FaultSlow Fault = "slow"
)

// AllFaults lists every fault of the chaos mode.
var AllFaults = []Fault{
	FaultServerError, FaultTimeout, FaultMalformed, FaultConflict,
	FaultConcurrency, FaultAsyncFailed, FaultGone, FaultSlow,
}

// Defaults of ChaosOptions.
const (
	DefaultChaosRate       = 0.2
	DefaultChaosSlowMax    = 2 * time.Second
	DefaultChaosMaxHang    = 2 * time.Minute
	DefaultChaosMaxHistory = 1_000_000
)

// ChaosOptions configure the chaos mode: a seeded random share of the
// requests about instances and bindings misbehave (see Fault), and the broker
// keeps a history of those requests with what it did (GET /admin/history).
// The catalog endpoint and the admin API are never disturbed.
type ChaosOptions struct {
	// Enabled installs the chaos layer.
	Enabled bool
	// Rate is the share of requests that get a fault, 0 to 1; it can be
	// changed at run time (PUT /admin/chaos).
	Rate float64
	// Seed seeds the random choices: which requests, and which fault.
	Seed uint64
	// Faults are the faults to choose from; empty means AllFaults.
	Faults []Fault
	// SlowMax is the longest delay of FaultSlow; delays are drawn between a
	// tenth of it and it.
	SlowMax time.Duration
	// MaxHang bounds FaultTimeout when the client does not give up.
	MaxHang time.Duration
	// MaxHistory is how many history events are kept; later ones are only
	// counted.
	MaxHistory int
}

// NewChaosOptions returns the defaults: disabled, a rate of 20%, seed 1,
// every fault.
func NewChaosOptions() ChaosOptions {
	return ChaosOptions{
		Rate: DefaultChaosRate, Seed: 1, SlowMax: DefaultChaosSlowMax,
		MaxHang: DefaultChaosMaxHang, MaxHistory: DefaultChaosMaxHistory,
	}
}

// AddFlags registers the options as flags.
func (o *ChaosOptions) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.Enabled, "chaos", o.Enabled, "misbehave on a seeded random share of the requests about instances and bindings, and keep their history (/admin/chaos, /admin/history)")
	fs.Float64Var(&o.Rate, "chaos-rate", o.Rate, "with --chaos, the share of requests that get a fault (0 to 1)")
	fs.Uint64Var(&o.Seed, "chaos-seed", o.Seed, "with --chaos, the seed of the random choices")
	fs.Func("chaos-faults", "with --chaos, comma-separated faults to choose from (default all: "+faultList(AllFaults)+")", func(s string) error {
		faults, err := ParseFaults(s)
		o.Faults = faults
		return err
	})
	fs.DurationVar(&o.SlowMax, "chaos-slow-max", o.SlowMax, "with --chaos, the longest delay of a slow answer")
	fs.DurationVar(&o.MaxHang, "chaos-max-hang", o.MaxHang, "with --chaos, how long a timed-out answer is held if the client does not give up")
	fs.IntVar(&o.MaxHistory, "chaos-max-history", o.MaxHistory, "with --chaos, how many requests the history keeps")
}

// Validate checks the options.
func (o *ChaosOptions) Validate() error {
	var errs []error
	if o.Rate < 0 || o.Rate > 1 {
		errs = append(errs, fmt.Errorf("--chaos-rate %v is not between 0 and 1", o.Rate))
	}
	if o.SlowMax < 0 || o.MaxHang <= 0 || o.MaxHistory < 0 {
		errs = append(errs, errors.New("--chaos-slow-max and --chaos-max-history must not be negative, --chaos-max-hang must be positive"))
	}
	if _, err := ParseFaults(faultList(o.Faults)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// ParseFaults parses a comma-separated list of faults; empty means AllFaults.
func ParseFaults(s string) ([]Fault, error) {
	if strings.TrimSpace(s) == "" {
		return slices.Clone(AllFaults), nil
	}
	var out []Fault
	for _, f := range strings.Split(s, ",") {
		f := Fault(strings.TrimSpace(f))
		if !slices.Contains(AllFaults, f) {
			return nil, fmt.Errorf("unknown chaos fault %q (known: %s)", f, faultList(AllFaults))
		}
		out = append(out, f)
	}
	return out, nil
}

func faultList(fs []Fault) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = string(f)
	}
	return strings.Join(s, ",")
}

// Chaos is the chaos layer: an http.Handler in front of a Broker that injects
// faults into a random share of the OSB requests about instances and bindings
// and records each of them. Everything else goes to the broker untouched.
type Chaos struct {
	b       *Broker
	opts    ChaosOptions
	mux     *http.ServeMux
	history *chaosHistory

	mu     sync.Mutex
	rng    *rand.Rand
	rate   float64
	faults []Fault
	counts map[Fault]int
}

// NewChaos returns the chaos layer in front of b.
func NewChaos(b *Broker, opts ChaosOptions) (*Chaos, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(opts.Faults) == 0 {
		opts.Faults = slices.Clone(AllFaults)
	}
	c := &Chaos{
		b: b, opts: opts, history: newChaosHistory(opts.MaxHistory),
		rng: newChaosRand(opts.Seed), rate: opts.Rate, faults: opts.Faults, counts: map[Fault]int{},
	}
	c.mux = c.routes()
	return c, nil
}

// newChaosRand returns the seeded source of every random choice.
func newChaosRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// ServeHTTP serves a request through the chaos layer.
func (c *Chaos) ServeHTTP(w http.ResponseWriter, r *http.Request) { c.mux.ServeHTTP(w, r) }

// handler returns the broker, behind the chaos layer when it is enabled.
func (o *ChaosOptions) handler(b *Broker) (http.Handler, error) {
	if !o.Enabled {
		return b, nil
	}
	c, err := NewChaos(b, *o)
	if err != nil {
		return nil, err
	}
	b.logger.Info("Chaos mode on", "rate", o.Rate, "seed", o.Seed, "faults", faultList(c.faults))
	return c, nil
}

// routes sends the OSB requests about instances and bindings through the
// chaos, serves the chaos admin endpoints, and passes the rest to the broker.
func (c *Chaos) routes() *http.ServeMux {
	const (
		instance = "/v2/service_instances/{instance_id}"
		binding  = instance + "/service_bindings/{binding_id}"
	)
	mux := http.NewServeMux()
	for _, rt := range []struct {
		method, path string
		op           osb.Operation
	}{
		{http.MethodPut, instance, osb.OperationProvision},
		{http.MethodPatch, instance, osb.OperationUpdate},
		{http.MethodDelete, instance, osb.OperationDeprovision},
		{http.MethodGet, instance, osb.OperationGetInstance},
		{http.MethodGet, instance + "/last_operation", osb.OperationLastOperation},
		{http.MethodPut, binding, osb.OperationBind},
		{http.MethodDelete, binding, osb.OperationUnbind},
		{http.MethodGet, binding, osb.OperationGetBinding},
		{http.MethodGet, binding + "/last_operation", osb.OperationBindingLastOperation},
	} {
		mux.Handle(rt.method+" "+rt.path, c.disturb(rt.method, rt.op))
	}
	mux.Handle("GET /admin/chaos", c.b.requireAuth(http.HandlerFunc(c.getChaos)))
	mux.Handle("PUT /admin/chaos", c.b.requireAuth(http.HandlerFunc(c.putChaos)))
	mux.Handle("GET /admin/history", c.b.requireAuth(http.HandlerFunc(c.getHistory)))
	mux.Handle("/", c.b)
	return mux
}

// disturb serves one OSB operation: it decides on a fault, lets the broker
// answer through it, and records the request in the history. Requests the
// broker refuses before any work (credentials, API version; and HEAD, which
// a GET route also matches) go to it untouched.
func (c *Chaos) disturb(method string, op osb.Operation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method || !c.b.authorized(r) {
			c.b.ServeHTTP(w, r)
			return
		}
		if _, err := c.b.checkVersion(r.Header.Get(osb.HeaderAPIVersion)); err != nil {
			c.b.ServeHTTP(w, r)
			return
		}
		ev, before := c.begin(r, op)
		sw := &statusWriter{ResponseWriter: w}
		ev.Fault = c.inject(sw, r, ev)
		ev.Status = sw.status
		c.finish(ev, before)
	})
}

// pick decides the fault of one request of op: none with probability 1-rate,
// else one of the enabled faults that apply to it, uniformly.
func (c *Chaos) pick(r *http.Request, op osb.Operation) Fault {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rate <= 0 || c.rng.Float64() >= c.rate {
		return ""
	}
	var candidates []Fault
	for _, f := range c.faults {
		if applies(f, r, op) {
			candidates = append(candidates, f)
		}
	}
	if len(candidates) == 0 {
		return ""
	}
	return candidates[c.rng.IntN(len(candidates))]
}

// applies reports whether fault f can be injected into a request of op.
func applies(f Fault, r *http.Request, op osb.Operation) bool {
	switch f {
	case FaultConflict:
		return op == osb.OperationProvision || op == osb.OperationBind
	case FaultConcurrency:
		return mutating(op)
	case FaultAsyncFailed:
		return mutating(op) && r.URL.Query().Get("accepts_incomplete") == "true"
	case FaultGone:
		return op == osb.OperationLastOperation || op == osb.OperationBindingLastOperation
	}
	return true
}

// mutating reports the operations that change what the broker holds.
func mutating(op osb.Operation) bool {
	switch op {
	case osb.OperationProvision, osb.OperationUpdate, osb.OperationDeprovision, osb.OperationBind, osb.OperationUnbind:
		return true
	}
	return false
}

// slowDelay draws the delay of a slow answer.
func (c *Chaos) slowDelay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	lo := c.opts.SlowMax / 10
	if c.opts.SlowMax <= lo {
		return lo
	}
	return lo + time.Duration(c.rng.Int64N(int64(c.opts.SlowMax-lo)))
}

// serverErrorStatus draws the status of a FaultServerError.
func (c *Chaos) serverErrorStatus() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[c.rng.IntN(3)]
}

// count records an injected fault.
func (c *Chaos) count(f Fault) {
	if f == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[f]++
}
