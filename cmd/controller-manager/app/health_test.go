package app

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestClientCAGateHoldsRequestsUntilTheCAIsLoaded(t *testing.T) {
	var ca atomic.Value
	ca.Store([]byte(nil))
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	gate := withClientCAGate(ok, func() []byte { return ca.Load().([]byte) }, 10*time.Second, now)
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		gate.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Header().Get("Retry-After")
	}

	if code, retry := get("/metrics"); code != http.StatusServiceUnavailable || retry != "1" {
		t.Errorf("/metrics before the CA: %d Retry-After %q, want 503 Retry-After 1", code, retry)
	}
	for _, path := range []string{"/healthz", "/readyz", "/livez"} {
		if code, _ := get(path); code != http.StatusOK {
			t.Errorf("%s before the CA: %d, want it served", path, code)
		}
	}
	ca.Store([]byte("-----BEGIN CERTIFICATE-----"))
	if code, _ := get("/metrics"); code != http.StatusOK {
		t.Errorf("/metrics once the CA is loaded: %d, want it served", code)
	}
	ca.Store([]byte(nil))
	if code, _ := get("/metrics"); code != http.StatusOK {
		t.Errorf("/metrics after the CA was loaded once: %d, want it served", code)
	}
}

func TestClientCAGateOpensAfterTheWaitWithoutACA(t *testing.T) {
	clock := time.Unix(1000, 0)
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	gate := withClientCAGate(ok, func() []byte { return nil }, 10*time.Second, func() time.Time { return clock })
	rec := httptest.NewRecorder()
	gate.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("/metrics at once: %d, want 503", rec.Code)
	}
	clock = clock.Add(10 * time.Second)
	rec = httptest.NewRecorder()
	gate.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/metrics after the wait in a cluster without a client CA: %d, want it served", rec.Code)
	}
}
