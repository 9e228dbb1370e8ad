package osb

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

// hang answers nothing until the client gives up.
func hang(_ http.ResponseWriter, r *http.Request) {
	<-r.Context().Done()
}

// TestOrphanMitigationTable walks every row of the OSB specification's
// orphan-mitigation table (checklist section S) through a real HTTP exchange.
func TestOrphanMitigationTable(t *testing.T) {
	type row struct {
		op      Operation
		name    string
		handler http.HandlerFunc
		wantErr bool
		wantOM  bool
	}
	const (
		goodProvision = `{"dashboard_url":"http://d"}`
		goodBind      = `{"credentials":{"password":"pw"}}`
	)
	var rows []row
	for _, op := range []Operation{OperationProvision, OperationBind} {
		good := goodProvision
		if op == OperationBind {
			good = goodBind
		}
		rows = append(rows,
			row{op, "200 success", reply(200, good), false, false},
			row{op, "200 malformed", reply(200, `{"x":`), true, false},
			row{op, "201 success", reply(201, good), false, false},
			row{op, "201 malformed", reply(201, `{"x":`), true, true},
			row{op, "202 success", reply(202, `{"operation":"o"}`), false, false},
			row{op, "202 malformed", reply(202, `not json`), true, true},
			row{op, "other 2xx: 204", reply(204, ``), true, true},
			row{op, "other 2xx: 203", reply(203, good), true, true},
			row{op, "other 2xx: 299", reply(299, good), true, true},
			row{op, "408", reply(408, ``), true, false},
			row{op, "400", reply(400, errPlain), true, false},
			row{op, "401", reply(401, ``), true, false},
			row{op, "404", reply(404, ``), true, false},
			row{op, "409", reply(409, `{}`), true, false},
			row{op, "410", reply(410, `{}`), true, false},
			row{op, "422 ConcurrencyError", reply(422, errConcurrency), true, false},
			row{op, "422 AsyncRequired", reply(422, errAsyncRequired), true, false},
			row{op, "500", reply(500, `{}`), true, true},
			row{op, "503", reply(503, `<html>down</html>`), true, true},
			row{op, "timeout", hang, true, true},
		)
	}
	for _, op := range []Operation{OperationDeprovision, OperationUnbind} {
		rows = append(rows,
			row{op, "200 success", reply(200, `{}`), false, false},
			row{op, "200 malformed", reply(200, `nope`), true, false},
			row{op, "202 success", reply(202, `{"operation":"o"}`), false, false},
			row{op, "202 malformed", reply(202, `nope`), true, false},
			row{op, "other 2xx: 201", reply(201, `{}`), true, true},
			row{op, "other 2xx: 204", reply(204, ``), true, true},
			row{op, "408", reply(408, ``), true, false},
			row{op, "400", reply(400, ``), true, false},
			row{op, "410", reply(410, `{}`), true, false},
			row{op, "422 ConcurrencyError", reply(422, errConcurrency), true, false},
			row{op, "500", reply(500, ``), true, true},
			row{op, "timeout", hang, true, false},
		)
	}
	rows = append(rows,
		row{OperationUpdate, "other 2xx: 204", reply(204, ``), true, false},
		row{OperationUpdate, "500", reply(500, ``), true, false},
		row{OperationUpdate, "200 malformed", reply(200, `x`), true, false},
		row{OperationUpdate, "timeout", hang, true, false},
		row{OperationLastOperation, "500", reply(500, ``), true, false},
		row{OperationLastOperation, "timeout", hang, true, false},
		row{OperationGetCatalog, "500", reply(500, ``), true, false},
		row{OperationGetInstance, "204", reply(204, ``), true, false},
		row{OperationGetBinding, "timeout", hang, true, false},
		row{OperationBindingLastOperation, "503", reply(503, ``), true, false},
	)
	for _, r := range rows {
		t.Run(string(r.op)+"/"+r.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, r.handler)
			timeout := 10 * time.Second
			if r.name == "timeout" {
				timeout = 200 * time.Millisecond
			}
			c := newClientFor(t, ts.URL, func(c *Config) { c.Timeout = timeout })
			_, err := call(context.Background(), c, r.op)
			if (err != nil) != r.wantErr {
				t.Fatalf("error = %v, want error %t", err, r.wantErr)
			}
			if got := NeedsOrphanMitigation(r.op, err); got != r.wantOM {
				t.Fatalf("NeedsOrphanMitigation(%s, %v) = %t, want %t", r.op, err, got, r.wantOM)
			}
			if r.name == "timeout" && !IsTimeout(err) {
				t.Errorf("IsTimeout(%v) = false", err)
			}
			if r.name != "timeout" && IsTimeout(err) {
				t.Errorf("IsTimeout(%v) = true", err)
			}
		})
	}
}

func TestLastOperationNeedsOrphanMitigation(t *testing.T) {
	failed := &LastOperationResponse{State: StateFailed}
	for op, want := range map[Operation]bool{
		OperationProvision: true, OperationDeprovision: true, OperationBind: true, OperationUnbind: true,
		OperationUpdate: false, OperationGetCatalog: false,
	} {
		if got := LastOperationNeedsOrphanMitigation(op, failed); got != want {
			t.Errorf("failed %s: got %t, want %t", op, got, want)
		}
		for _, s := range []LastOperationState{StateSucceeded, StateInProgress} {
			if LastOperationNeedsOrphanMitigation(op, &LastOperationResponse{State: s}) {
				t.Errorf("%s %s needs orphan mitigation", s, op)
			}
		}
	}
	if LastOperationNeedsOrphanMitigation(OperationProvision, nil) {
		t.Error("nil response needs orphan mitigation")
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("context deadline", func(t *testing.T) {
		ts := newTestServer(t, hang)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := call(ctx, newClientFor(t, ts.URL), OperationProvision)
		if !IsTimeout(err) || !NeedsOrphanMitigation(OperationProvision, err) {
			t.Fatalf("error = %v, want a timeout needing orphan mitigation", err)
		}
		if RequestIdentityOf(err) == "" || RequestIdentityOf(err) != ts.last(t).Header.Get(HeaderRequestIdentity) {
			t.Error("timeout error lacks the request identity")
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("timeout does not unwrap to DeadlineExceeded: %v", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		got := make(chan struct{})
		ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) { close(got); hang(w, r) })
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-got; cancel() }()
		_, err := call(ctx, newClientFor(t, ts.URL), OperationBind)
		var te *TransportError
		if !errors.As(err, &te) || !te.Canceled || te.Timeout || IsTimeout(err) {
			t.Fatalf("error = %#v", err)
		}
		if !NeedsOrphanMitigation(OperationBind, err) {
			t.Error("a bind cancelled after it reached the broker needs orphan mitigation")
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		_, err = call(context.Background(), newClientFor(t, "http://"+addr), OperationProvision)
		var te *TransportError
		if !errors.As(err, &te) || te.MaybeReceived || te.Timeout {
			t.Fatalf("error = %#v", err)
		}
		if NeedsOrphanMitigation(OperationProvision, err) {
			t.Error("a provision that never connected needs orphan mitigation")
		}
	})
	t.Run("connection reset after request", func(t *testing.T) {
		ts := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		_, err := call(context.Background(), newClientFor(t, ts.URL), OperationProvision)
		var te *TransportError
		if !errors.As(err, &te) || !te.MaybeReceived {
			t.Fatalf("error = %#v", err)
		}
		if !NeedsOrphanMitigation(OperationProvision, err) || NeedsOrphanMitigation(OperationDeprovision, err) {
			t.Error("a provision whose connection broke after sending must be orphan-mitigated (and only a create)")
		}
	})
	t.Run("truncated success body", func(t *testing.T) {
		ts := newTestServer(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{"credentials":{"password":"sec`))
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		})
		_, err := call(context.Background(), newClientFor(t, ts.URL), OperationBind)
		if !IsMalformedResponse(err) || !NeedsOrphanMitigation(OperationBind, err) {
			t.Fatalf("error = %v, want a malformed 201 needing orphan mitigation", err)
		}
	})
	t.Run("timeout while reading body", func(t *testing.T) {
		ts := newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(201)
			_, _ = w.Write([]byte(`{`))
			_ = http.NewResponseController(w).Flush()
			<-r.Context().Done()
		})
		_, err := call(context.Background(), newClientFor(t, ts.URL, func(c *Config) { c.Timeout = 200 * time.Millisecond }), OperationProvision)
		if !IsTimeout(err) || !NeedsOrphanMitigation(OperationProvision, err) {
			t.Fatalf("error = %v, want a timeout", err)
		}
	})
}
