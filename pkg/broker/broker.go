// Package broker is an in-memory Open Service Broker (API 2.13 to 2.17) for
// tests and demos. It serves a catalog from a file or a built-in demo, keeps
// instances and bindings in memory, records every OSB request it receives,
// and can be told per plan and per operation to answer asynchronously, fail,
// hang, or send malformed answers. docs/test-broker.md describes it for users.
package broker

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
type Broker struct {
	username, password, bearer string
	minMinor, maxMinor         int
	maxHang                    time.Duration
	logger                     klog.Logger
	rec                        *recorder
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
	b := &Broker{
		username: opts.Username,
		password: opts.Password,
		bearer:   opts.BearerToken,
		maxHang:  opts.MaxHang,
		logger:   opts.Logger,
		stop:     make(chan struct{}),

		overrides:     map[string]Behavior{},
		faults:        map[string]int{},
		instances:     map[string]*instance{},
		bindings:      map[bindingKey]*binding{},
		goneInstances: newTombstones(maxTombstones),
		goneBindings:  newTombstones(maxTombstones),
	}
	if b.logger.GetSink() == nil {
		b.logger = klog.Background()
	}
	if b.maxHang <= 0 {
		b.maxHang = DefaultMaxHang
	}
	var err error
	if b.minMinor, err = parseMinor(opts.MinAPIVersion, 13); err != nil {
		return nil, fmt.Errorf("min API version: %w", err)
	}
	if b.maxMinor, err = parseMinor(opts.MaxAPIVersion, 17); err != nil {
		return nil, fmt.Errorf("max API version: %w", err)
	}
	if b.minMinor > b.maxMinor {
		return nil, errors.New("min API version is newer than max API version")
	}
	maxCount, maxBytes := opts.MaxRecordedRequests, opts.MaxRecordedBytes
	if maxCount == 0 {
		maxCount = DefaultMaxRecordedRequests
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxRecordedBytes
	}
	b.rec = newRecorder(maxCount, maxBytes)
	cat := opts.Catalog
	if cat == nil {
		cat = DemoCatalog()
	}
	b.setCatalogLocked(cat)
	return b, nil
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

// SetBehavior overrides the behaviour of a plan, given by id, by name if the
// name is unique in the catalog, or as "offering/plan". It restarts the
// plan's fault counters.
func (b *Broker) SetBehavior(plan string, bh Behavior) error {
	if err := bh.Validate(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.resolvePlanLocked(plan)
	if err != nil {
		return err
	}
	b.overrides[id] = bh
	b.resetFaultsLocked(id)
	return nil
}

// ResetBehavior removes a plan's override, so the catalog's knobs apply again.
func (b *Broker) ResetBehavior(plan string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.resolvePlanLocked(plan)
	if err != nil {
		return err
	}
	delete(b.overrides, id)
	b.resetFaultsLocked(id)
	return nil
}

// Behavior returns the behaviour in effect for a plan and whether it comes
// from a runtime override.
func (b *Broker) Behavior(plan string) (Behavior, bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id, err := b.resolvePlanLocked(plan)
	if err != nil {
		return Behavior{}, false, err
	}
	if o, ok := b.overrides[id]; ok {
		return o, true, nil
	}
	return b.catalog.Behaviors[id], false, nil
}

func (b *Broker) resetFaultsLocked(planID string) {
	for k := range b.faults {
		if strings.HasPrefix(k, planID+"\x00") {
			delete(b.faults, k)
		}
	}
}

// resolvePlanLocked finds a plan id from an id, a unique name or "offering/plan".
func (b *Broker) resolvePlanLocked(plan string) (string, error) {
	if _, ok := b.plans[plan]; ok {
		return plan, nil
	}
	svcName, planName, qualified := strings.Cut(plan, "/")
	var found []string
	for id, ref := range b.plans {
		if qualified && ref.service.Name == svcName && ref.plan.Name == planName ||
			!qualified && ref.plan.Name == plan {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", fmt.Errorf("no plan %q in the catalog", plan)
	}
	return "", fmt.Errorf("plan name %q is ambiguous; use its id or offering/plan", plan)
}

// opBehaviorLocked returns the behaviour of op on a plan.
func (b *Broker) opBehaviorLocked(planID string, op osb.Operation) OpBehavior {
	if o, ok := b.overrides[planID]; ok {
		return o.For(op)
	}
	bh := b.catalog.Behaviors[planID]
	return bh.For(op)
}

// takeFaultLocked returns the operation's behaviour when a fault is to be
// injected into this request, consuming one of FailTimes, and nil otherwise.
func (b *Broker) takeFaultLocked(planID string, op osb.Operation, ob *OpBehavior) *OpBehavior {
	if !ob.hasFault() {
		return nil
	}
	if ob.FailTimes > 0 {
		key := planID + "\x00" + string(op)
		if b.faults[key] >= ob.FailTimes {
			return nil
		}
		b.faults[key]++
	}
	return ob
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
	b.mu.Lock()
	b.instances = map[string]*instance{}
	b.bindings = map[bindingKey]*binding{}
	b.goneInstances = newTombstones(maxTombstones)
	b.goneBindings = newTombstones(maxTombstones)
	b.overrides = map[string]Behavior{}
	b.faults = map[string]int{}
	b.mu.Unlock()
	b.rec.reset()
}

// ServeHTTP serves the OSB API under /v2/, the admin API under /admin/,
// /healthz, and instance dashboards under /dashboard/.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/v2/"):
		b.serveOSB(w, r)
	case p == "/admin" || strings.HasPrefix(p, "/admin/"):
		if !b.authorized(r) {
			writeUnauthorized(w)
			return
		}
		b.serveAdmin(w, r)
	case p == "/healthz":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	case strings.HasPrefix(p, "/dashboard/instances/"):
		b.serveDashboard(w, r)
	default:
		writeError(w, http.StatusNotFound, "", "not found")
	}
}

// Handler returns the broker as an http.Handler.
func (b *Broker) Handler() http.Handler { return b }

// statusWriter remembers the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status.
func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// call is one OSB request being served.
type call struct {
	w        *statusWriter
	r        *http.Request
	body     []byte
	minor    int
	platform string // originating identity platform, if sent
	query    url.Values
}

func (b *Broker) serveOSB(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	rec := b.rec.add(&RecordedRequest{
		Time: start, Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: body,
	})
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		b.rec.setStatus(rec, sw.status)
		if lv := b.logger.V(4); lv.Enabled() {
			lv.Info("OSB request served", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"requestIdentity", r.Header.Get(osb.HeaderRequestIdentity), "duration", time.Since(start))
		}
	}()
	if id := r.Header.Get(osb.HeaderRequestIdentity); id != "" {
		sw.Header().Set(osb.HeaderRequestIdentity, id)
	}
	if readErr != nil {
		writeError(sw, http.StatusRequestEntityTooLarge, "", "request body is too large or unreadable")
		return
	}
	if !b.authorized(r) {
		writeUnauthorized(sw)
		return
	}
	minor, err := b.checkVersion(r.Header.Get(osb.HeaderAPIVersion))
	if err != nil {
		writeError(sw, http.StatusPreconditionFailed, "", err.Error())
		return
	}
	c := &call{w: sw, r: r, body: body, minor: minor, query: r.URL.Query()}
	if h := r.Header.Get(osb.HeaderOriginatingIdentity); h != "" {
		platform, _, err := osb.ParseOriginatingIdentity(h)
		if err != nil {
			writeError(sw, http.StatusBadRequest, "", "malformed "+osb.HeaderOriginatingIdentity+" header: "+err.Error())
			return
		}
		c.platform = platform
	}
	b.route(c)
}

// route dispatches an OSB request by path and method.
func (b *Broker) route(c *call) {
	segs := strings.Split(strings.TrimPrefix(c.r.URL.EscapedPath(), "/v2/"), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			writeError(c.w, http.StatusNotFound, "", "not found")
			return
		}
		segs[i] = u
	}
	m := c.r.Method
	switch {
	case len(segs) == 1 && segs[0] == "catalog":
		if allow(c, m, http.MethodGet) {
			b.getCatalog(c)
		}
	case len(segs) == 2 && segs[0] == "service_instances":
		switch m {
		case http.MethodPut:
			b.provision(c, segs[1])
		case http.MethodPatch:
			b.update(c, segs[1])
		case http.MethodDelete:
			b.deprovision(c, segs[1])
		case http.MethodGet:
			b.getInstance(c, segs[1])
		default:
			allow(c, m, "GET, PUT, PATCH, DELETE")
		}
	case len(segs) == 3 && segs[0] == "service_instances" && segs[2] == "last_operation":
		if allow(c, m, http.MethodGet) {
			b.lastOperation(c, segs[1])
		}
	case len(segs) == 4 && segs[0] == "service_instances" && segs[2] == "service_bindings":
		switch m {
		case http.MethodPut:
			b.bind(c, segs[1], segs[3])
		case http.MethodDelete:
			b.unbind(c, segs[1], segs[3])
		case http.MethodGet:
			b.getBinding(c, segs[1], segs[3])
		default:
			allow(c, m, "GET, PUT, DELETE")
		}
	case len(segs) == 5 && segs[0] == "service_instances" && segs[2] == "service_bindings" && segs[4] == "last_operation":
		if allow(c, m, http.MethodGet) {
			b.bindingLastOperation(c, segs[1], segs[3])
		}
	default:
		writeError(c.w, http.StatusNotFound, "", "not found")
	}
}

// allow answers 405 unless method is allowed.
func allow(c *call, method, allowed string) bool {
	if method == allowed {
		return true
	}
	c.w.Header().Set("Allow", allowed)
	writeError(c.w, http.StatusMethodNotAllowed, "", "method not allowed")
	return false
}

// authorized checks basic or bearer credentials when any are configured.
func (b *Broker) authorized(r *http.Request) bool {
	if b.username == "" && b.bearer == "" {
		return true
	}
	if b.username != "" {
		if u, p, ok := r.BasicAuth(); ok &&
			subtle.ConstantTimeCompare([]byte(u), []byte(b.username)) == 1 &&
			subtle.ConstantTimeCompare([]byte(p), []byte(b.password)) == 1 {
			return true
		}
	}
	if b.bearer != "" {
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok &&
			subtle.ConstantTimeCompare([]byte(tok), []byte(b.bearer)) == 1 {
			return true
		}
	}
	return false
}

func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="test-broker"`)
	writeError(w, http.StatusUnauthorized, "", "missing or invalid credentials")
}

// checkVersion parses X-Broker-API-Version and checks the accepted range.
func (b *Broker) checkVersion(v string) (int, error) {
	want := fmt.Sprintf("the %s header must be between 2.%d and 2.%d", osb.HeaderAPIVersion, b.minMinor, b.maxMinor)
	if v == "" {
		return 0, errors.New(want + "; it is missing")
	}
	n, err := parseMinor(v, 0)
	if err != nil || n < b.minMinor || n > b.maxMinor {
		return 0, fmt.Errorf("%s; got %q", want, v)
	}
	return n, nil
}

// errorBody is an OSB error answer.
type errorBody struct {
	Error            string `json:"error,omitempty"`
	Description      string `json:"description,omitempty"`
	InstanceUsable   *bool  `json:"instance_usable,omitempty"`
	UpdateRepeatable *bool  `json:"update_repeatable,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	data := []byte(`{"description":"encoding the answer failed"}`)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
	} else {
		data = buf.Bytes()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

func writeError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, errorBody{Error: code, Description: description})
}

// writeFault answers with an injected FailStatus.
func writeFault(w http.ResponseWriter, ob *OpBehavior) {
	if ob.FailBody != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(ob.FailStatus)
		_, _ = io.WriteString(w, ob.FailBody)
		return
	}
	desc := ob.FailDescription
	if desc == "" && ob.FailError == "" {
		desc = "test broker: injected failure"
	}
	writeJSON(w, ob.FailStatus, errorBody{
		Error: ob.FailError, Description: desc, InstanceUsable: ob.InstanceUsable, UpdateRepeatable: ob.UpdateRepeatable,
	})
}

// hang waits until the client goes away, the broker closes, or the hang time
// passes. It reports whether the client is still waiting.
func (b *Broker) hang(r *http.Request, ob *OpBehavior) bool {
	d := b.maxHang
	if ob.HangSeconds > 0 {
		d = min(d, time.Duration(ob.HangSeconds)*time.Second)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.Context().Done():
		return false
	case <-b.stop:
		return r.Context().Err() == nil
	case <-t.C:
		return r.Context().Err() == nil
	}
}

// answer is a success answer, possibly to be garbled by a fault.
type answer struct {
	status     int
	body       any
	malformed  string // the body to send if the fault asks for a malformed one
	retryAfter int
}

// send writes a success answer, applying the post-commit faults of fault.
func (b *Broker) send(c *call, a answer, fault *OpBehavior) {
	if fault != nil {
		if fault.Hang && !b.hang(c.r, fault) {
			return
		}
		switch {
		case fault.Status204:
			c.w.WriteHeader(http.StatusNoContent)
			return
		case fault.malformed():
			body := a.malformed
			if body == "" {
				body = `{"description": "test broker: this body is cut short`
			}
			c.w.Header().Set("Content-Type", "application/json")
			c.w.WriteHeader(a.status)
			_, _ = io.WriteString(c.w, body)
			return
		}
	}
	if a.retryAfter > 0 {
		c.w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	writeJSON(c.w, a.status, a.body)
}

func (b *Broker) getCatalog(c *call) {
	b.mu.Lock()
	data := b.catalog.served
	b.mu.Unlock()
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	c.w.WriteHeader(http.StatusOK)
	_, _ = c.w.Write(data)
}

// tombstones remembers a bounded number of deleted ids.
type tombstones struct {
	set  map[string]struct{}
	ring []string
	next int
}

func newTombstones(n int) *tombstones {
	return &tombstones{set: map[string]struct{}{}, ring: make([]string, 0, min(n, 1024)), next: 0}
}

func (t *tombstones) add(id string) {
	if _, ok := t.set[id]; ok {
		return
	}
	if len(t.ring) < maxTombstones {
		t.ring = append(t.ring, id)
	} else {
		delete(t.set, t.ring[t.next])
		t.ring[t.next] = id
		t.next = (t.next + 1) % len(t.ring)
	}
	t.set[id] = struct{}{}
}

func (t *tombstones) has(id string) bool {
	_, ok := t.set[id]
	return ok
}

func (t *tombstones) remove(id string) {
	// The ring slot stays; a later add of the same id re-adds it to the set.
	delete(t.set, id)
}
