package broker

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"time"
	"unicode/utf8"
)

// RecordedRequest is one OSB request as the broker received it, unredacted:
// tests read it to check what the platform sent.
type RecordedRequest struct {
	// Seq numbers requests from 1 in arrival order.
	Seq uint64
	// Time is when the request arrived.
	Time time.Time
	// Method is the HTTP method.
	Method string
	// Path is the escaped request path.
	Path string
	// RawQuery is the encoded query string.
	RawQuery string
	// Header holds every request header.
	Header http.Header
	// Body is the request body (at most 1 MiB is read).
	Body []byte
	// Status is the status the broker answered, or 0 while it is still
	// answering (for example a hanging request).
	Status int
}

// Query returns the decoded query parameters.
func (r *RecordedRequest) Query() url.Values {
	v, _ := url.ParseQuery(r.RawQuery)
	return v
}

// MarshalJSON writes the body as a string when it is UTF-8 (as OSB bodies
// are), and as Base64 in bodyBase64 otherwise.
func (r RecordedRequest) MarshalJSON() ([]byte, error) {
	type out struct {
		Seq        uint64      `json:"seq"`
		Time       time.Time   `json:"time"`
		Method     string      `json:"method"`
		Path       string      `json:"path"`
		RawQuery   string      `json:"rawQuery,omitempty"`
		Header     http.Header `json:"header"`
		Body       *string     `json:"body,omitempty"`
		BodyBase64 []byte      `json:"bodyBase64,omitempty"`
		Status     int         `json:"status"`
	}
	o := out{Seq: r.Seq, Time: r.Time, Method: r.Method, Path: r.Path, RawQuery: r.RawQuery, Header: r.Header, Status: r.Status}
	if len(r.Body) > 0 {
		if utf8.Valid(r.Body) {
			s := string(r.Body)
			o.Body = &s
		} else {
			o.BodyBase64 = r.Body
		}
	}
	return json.Marshal(o)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *RecordedRequest) UnmarshalJSON(data []byte) error {
	var in struct {
		Seq        uint64      `json:"seq"`
		Time       time.Time   `json:"time"`
		Method     string      `json:"method"`
		Path       string      `json:"path"`
		RawQuery   string      `json:"rawQuery"`
		Header     http.Header `json:"header"`
		Body       *string     `json:"body"`
		BodyBase64 []byte      `json:"bodyBase64"`
		Status     int         `json:"status"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	*r = RecordedRequest{Seq: in.Seq, Time: in.Time, Method: in.Method, Path: in.Path, RawQuery: in.RawQuery, Header: in.Header, Status: in.Status}
	switch {
	case in.Body != nil:
		r.Body = []byte(*in.Body)
	case in.BodyBase64 != nil:
		r.Body = in.BodyBase64
	}
	return nil
}

// recorder keeps the most recent requests within a count and a byte budget.
type recorder struct {
	mu       sync.Mutex
	maxCount int
	maxBytes int64
	ring     []*RecordedRequest // ring buffer, oldest at head
	head     int
	size     int
	bytes    int64
	seq      uint64
}

func newRecorder(maxCount int, maxBytes int64) *recorder {
	return &recorder{maxCount: maxCount, maxBytes: maxBytes}
}

// approxSize estimates the memory a record holds.
func approxSize(r *RecordedRequest) int64 {
	n := int64(len(r.Body) + len(r.Path) + len(r.RawQuery) + 128)
	for k, vs := range r.Header {
		n += int64(len(k))
		for _, v := range vs {
			n += int64(len(v)) + 16
		}
	}
	return n
}

// add stores rec, evicting the oldest records over the limits, and returns it
// so the caller can set its status.
func (rc *recorder) add(rec *RecordedRequest) *RecordedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.seq++
	rec.Seq = rc.seq
	if rc.maxCount <= 0 {
		return rec
	}
	size := approxSize(rec)
	for rc.size > 0 && (rc.size >= rc.maxCount || rc.bytes+size > rc.maxBytes) {
		old := rc.ring[rc.head]
		rc.ring[rc.head] = nil
		rc.bytes -= approxSize(old)
		rc.head = (rc.head + 1) % len(rc.ring)
		rc.size--
	}
	if rc.size == len(rc.ring) {
		rc.grow()
	}
	rc.ring[(rc.head+rc.size)%len(rc.ring)] = rec
	rc.size++
	rc.bytes += size
	return rec
}

// grow doubles the ring (up to maxCount), keeping order.
func (rc *recorder) grow() {
	n := max(16, 2*len(rc.ring))
	n = min(n, rc.maxCount)
	ring := make([]*RecordedRequest, n)
	for i := 0; i < rc.size; i++ {
		ring[i] = rc.ring[(rc.head+i)%len(rc.ring)]
	}
	rc.ring, rc.head = ring, 0
}

// setStatus records the answer's status.
func (rc *recorder) setStatus(rec *RecordedRequest, status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rec.Status = status
}

// snapshot copies the records with Seq > since, oldest first.
func (rc *recorder) snapshot(since uint64) []RecordedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]RecordedRequest, 0, rc.size)
	for i := 0; i < rc.size; i++ {
		r := rc.ring[(rc.head+i)%len(rc.ring)]
		if r.Seq > since {
			cp := *r
			cp.Header = r.Header.Clone()
			cp.Body = bytes.Clone(r.Body)
			out = append(out, cp)
		}
	}
	return out
}

func (rc *recorder) reset() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.ring, rc.head, rc.size, rc.bytes = nil, 0, 0, 0
}
