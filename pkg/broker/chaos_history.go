package broker

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// HistoryEvent is one OSB request about an instance or binding as the chaos
// layer served it: what was asked, what the broker held when it arrived, the
// fault injected and the status the client got. GET /admin/history returns
// them, oldest first.
type HistoryEvent struct {
	// Seq numbers the events from 1 in arrival order.
	Seq uint64 `json:"seq"`
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// Duration is how long its answer took (a timeout: until the client left).
	Duration time.Duration `json:"duration"`
	// Operation is the OSB operation.
	Operation osb.Operation `json:"operation"`
	// InstanceID is the instance of the request path.
	InstanceID string `json:"instanceID"`
	// BindingID is the binding of the request path, for binding operations.
	BindingID string `json:"bindingID,omitempty"`
	// Held is set on a provision (bind) when the broker held an instance
	// (binding) of this id that had not failed to be created, i.e. when the
	// request asks again for what the broker already made.
	Held bool `json:"held,omitempty"`
	// Fault is the fault injected, if any.
	Fault Fault `json:"fault,omitempty"`
	// Status is the status the client got; 0 when it left before an answer.
	Status int `json:"status"`
	// Credentials are the credentials a bind issued, when it created a
	// binding (whatever the client got), so that tests can look for them.
	Credentials map[string]any `json:"credentials,omitempty"`
}

// chaosHistory keeps the first max events.
type chaosHistory struct {
	mu      sync.Mutex
	max     int
	seq     uint64
	events  []HistoryEvent
	dropped int
}

func newChaosHistory(maxEvents int) *chaosHistory { return &chaosHistory{max: maxEvents} }

// add numbers ev and keeps it, unless the history is full.
func (h *chaosHistory) add(ev *HistoryEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	ev.Seq = h.seq
	if len(h.events) >= h.max {
		h.dropped++
		return
	}
	h.events = append(h.events, *ev)
}

// since returns copies of the events with Seq greater than seq.
func (h *chaosHistory) since(seq uint64) []HistoryEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	// The history keeps the first events: event i has Seq i+1.
	i := int(min(seq, uint64(len(h.events))))
	out := slices.Clone(h.events[i:])
	for j := range out {
		out[j].Credentials = deepCopyMap(out[j].Credentials)
	}
	return out
}

// stats returns how many events were seen and how many were not kept.
func (h *chaosHistory) stats() (seen uint64, dropped int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seq, h.dropped
}

// begin starts the history event of r: which ids it is about and whether the
// broker holds what a provision or bind asks for. It also returns the
// binding a bind finds, to tell later whether the bind created a new one.
func (c *Chaos) begin(r *http.Request, op osb.Operation) (*HistoryEvent, *binding) {
	ev := &HistoryEvent{Time: time.Now(), Operation: op, InstanceID: r.PathValue("instance_id"), BindingID: r.PathValue("binding_id")}
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	var found *binding
	switch op {
	case osb.OperationProvision:
		inst := c.b.instances[ev.InstanceID]
		ev.Held = inst != nil && !inst.failedToProvision()
	case osb.OperationBind:
		found = c.b.bindings[bindingKey{ev.InstanceID, ev.BindingID}]
		ev.Held = found != nil && !found.failedToBind()
	}
	return ev, found
}

// finish completes ev, with the credentials of a binding the request
// created, and keeps it.
func (c *Chaos) finish(ev *HistoryEvent, found *binding) {
	ev.Duration = time.Since(ev.Time)
	if ev.Operation == osb.OperationBind {
		c.b.mu.Lock()
		if bd := c.b.bindings[bindingKey{ev.InstanceID, ev.BindingID}]; bd != nil && bd != found {
			ev.Credentials = deepCopyMap(bd.credentials)
		}
		c.b.mu.Unlock()
	}
	c.history.add(ev)
}

// History returns the events with Seq greater than seq, oldest first.
func (c *Chaos) History(seq uint64) []HistoryEvent { return c.history.since(seq) }

// ChaosStatus is the chaos layer's state, GET /admin/chaos.
type ChaosStatus struct {
	// Rate is the share of requests that get a fault.
	Rate float64 `json:"rate"`
	// Faults are the faults chosen from.
	Faults []Fault `json:"faults"`
	// Requests counts the requests the chaos layer served.
	Requests uint64 `json:"requests"`
	// Injected counts the faults injected, by fault.
	Injected map[Fault]int `json:"injected"`
	// HistoryDropped counts the events the history did not keep.
	HistoryDropped int `json:"historyDropped"`
}

// ChaosSettings change the chaos layer at run time, PUT /admin/chaos; unset
// fields stay as they are.
type ChaosSettings struct {
	// Rate is the share of requests that get a fault, 0 to 1.
	Rate *float64 `json:"rate,omitempty"`
	// Faults are the faults to choose from; empty means every fault.
	Faults []Fault `json:"faults,omitempty"`
	// Seed, when set, restarts the random choices from this seed.
	Seed *uint64 `json:"seed,omitempty"`
}

// Status returns the chaos layer's state.
func (c *Chaos) Status() ChaosStatus {
	seen, dropped := c.history.stats()
	c.mu.Lock()
	defer c.mu.Unlock()
	return ChaosStatus{Rate: c.rate, Faults: slices.Clone(c.faults), Requests: seen, Injected: maps.Clone(c.counts), HistoryDropped: dropped}
}

// Set changes the rate, faults or seed.
func (c *Chaos) Set(s ChaosSettings) error {
	if s.Rate != nil && (*s.Rate < 0 || *s.Rate > 1) {
		return errors.New("rate must be between 0 and 1")
	}
	faults, err := ParseFaults(faultList(s.Faults))
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.Rate != nil {
		c.rate = *s.Rate
	}
	if s.Faults != nil {
		c.faults = faults
	}
	if s.Seed != nil {
		c.rng = newChaosRand(*s.Seed)
	}
	return nil
}

func (c *Chaos) getChaos(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.Status())
}

func (c *Chaos) putChaos(w http.ResponseWriter, r *http.Request) {
	var s ChaosSettings
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err == nil {
		err = strictUnmarshal(data, &s)
	}
	if err == nil {
		err = c.Set(s)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "", "invalid chaos settings: "+err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (c *Chaos) getHistory(w http.ResponseWriter, r *http.Request) {
	var since uint64
	if s := r.URL.Query().Get("since"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "", "since must be a history sequence number")
			return
		}
		since = n
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(c.History(since))
}
