package broker_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/pkg/osb"
)

// startChaos serves a broker with basic auth behind a chaos layer.
func startChaos(t *testing.T, opts broker.ChaosOptions) (*broker.Broker, *broker.Chaos, *httptest.Server) {
	t.Helper()
	b, err := broker.New(broker.Options{Username: testUser, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	opts.Enabled = true
	c, err := broker.NewChaos(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(func() {
		b.Close()
		srv.Close()
	})
	return b, c, srv
}

// chaosOnly returns options that inject fault f into every request it applies to.
func chaosOnly(f broker.Fault) broker.ChaosOptions {
	o := broker.NewChaosOptions()
	o.Rate, o.Faults = 1, []broker.Fault{f}
	return o
}

func provisionRequest(id, plan string) *osb.ProvisionRequest {
	return &osb.ProvisionRequest{
		InstanceID: id, AcceptsIncomplete: true, ServiceID: pgService, PlanID: plan,
		OrganizationGUID: k8sContext.ClusterID, SpaceGUID: "ns-uid-team-a", Context: k8sContext,
	}
}

func bindRequest(instance, id string) *osb.BindRequest {
	return &osb.BindRequest{
		InstanceID: instance, BindingID: id, AcceptsIncomplete: true, ServiceID: pgService, PlanID: pgSmall,
		Context: k8sContext,
	}
}

// provisionDirect provisions on the broker itself, past the chaos.
func provisionDirect(t *testing.T, b *broker.Broker, id, plan string) {
	t.Helper()
	srv := httptest.NewServer(b)
	defer srv.Close()
	if _, err := newClient(t, srv.URL).Provision(context.Background(), provisionRequest(id, plan)); err != nil {
		t.Fatal(err)
	}
}

// lastEvent returns the last event of the chaos history.
func lastEvent(t *testing.T, c *broker.Chaos) broker.HistoryEvent {
	t.Helper()
	h := c.History(0)
	if len(h) == 0 {
		t.Fatal("empty history")
	}
	return h[len(h)-1]
}

// TestChaosRejections checks the faults that refuse a request: the client
// gets the error, the broker holds nothing new, and both records have it.
func TestChaosRejections(t *testing.T) {
	for _, tc := range []struct {
		fault broker.Fault
		check func(error) bool
	}{
		{broker.FaultServerError, func(err error) bool {
			var se *osb.HTTPStatusCodeError
			return errors.As(err, &se) && se.StatusCode >= 500
		}},
		{broker.FaultConflict, osb.IsConflict},
		{broker.FaultConcurrency, osb.IsConcurrencyError},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			b, c, srv := startChaos(t, chaosOnly(tc.fault))
			_, err := newClient(t, srv.URL).Provision(context.Background(), provisionRequest("inst-1", pgSmall))
			if !tc.check(err) {
				t.Fatalf("provision error = %v", err)
			}
			if n := len(b.Instances()); n != 0 {
				t.Errorf("the broker holds %d instances after a rejection", n)
			}
			ev := lastEvent(t, c)
			if ev.Fault != tc.fault || ev.Operation != osb.OperationProvision || ev.InstanceID != "inst-1" || ev.Status < 400 || ev.Held {
				t.Errorf("history event = %+v", ev)
			}
			if reqs := b.Requests(); len(reqs) != 1 || reqs[0].Status != ev.Status || reqs[0].Method != http.MethodPut {
				t.Errorf("recorded requests = %+v", reqs)
			}
		})
	}
}

// TestChaosTimeoutDoesTheWork checks that a timed-out provision leaves the
// instance at the broker, for orphan mitigation to find.
func TestChaosTimeoutDoesTheWork(t *testing.T) {
	b, c, srv := startChaos(t, chaosOnly(broker.FaultTimeout))
	client := newClient(t, srv.URL, func(cfg *osb.Config) { cfg.Timeout = 300 * time.Millisecond })
	_, err := client.Provision(context.Background(), provisionRequest("inst-1", pgSmall))
	if !osb.IsTimeout(err) {
		t.Fatalf("provision error = %v, want a timeout", err)
	}
	if _, ok := b.Instance("inst-1"); !ok {
		t.Error("the broker does not hold the timed-out instance")
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(c.History(0)) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if ev := lastEvent(t, c); ev.Fault != broker.FaultTimeout || ev.Status != 0 {
		t.Errorf("history event = %+v, want a timeout without an answer", ev)
	}
}

// TestChaosMalformedBind checks that a malformed bind answer is cut short
// inside the credentials, and that the history has the credentials issued.
func TestChaosMalformedBind(t *testing.T) {
	b, c, srv := startChaos(t, chaosOnly(broker.FaultMalformed))
	provisionDirect(t, b, "inst-1", pgSmall)
	body, status := rawBind(t, srv.URL, "inst-1", "bind-1")
	if status != http.StatusCreated || json.Valid(body) {
		t.Fatalf("bind answer %d %q, want a malformed 201", status, body)
	}
	ev := lastEvent(t, c)
	password, _ := ev.Credentials["password"].(string)
	if ev.Fault != broker.FaultMalformed || password == "" || !strings.Contains(string(body), password) {
		t.Errorf("history event = %+v; body %q", ev, body)
	}
	if bds := b.Bindings(); len(bds) != 1 || bds[0].Credentials["password"] != password {
		t.Errorf("broker bindings = %+v", bds)
	}
}

// rawBind sends a bind request and returns the raw answer.
func rawBind(t *testing.T, url, instance, binding string) ([]byte, int) {
	t.Helper()
	body := `{"service_id":"` + pgService + `","plan_id":"` + pgSmall + `"}`
	req, err := http.NewRequest(http.MethodPut, url+"/v2/service_instances/"+instance+"/service_bindings/"+binding, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testUser, testPassword)
	req.Header.Set(osb.HeaderAPIVersion, "2.17")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data, resp.StatusCode
}

// TestChaosAsyncFailed checks that a synchronous provision and bind become
// asynchronous operations that end failed, and an asynchronous delete too,
// with the broker's record following what it answered.
func TestChaosAsyncFailed(t *testing.T) {
	b, _, srv := startChaos(t, chaosOnly(broker.FaultAsyncFailed))
	client := newClient(t, srv.URL)
	ctx := context.Background()
	prov, err := client.Provision(ctx, provisionRequest("inst-1", pgSmall))
	if err != nil || !prov.Async {
		t.Fatalf("provision = %+v, %v; want 202", prov, err)
	}
	last, _ := pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
		return client.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "inst-1", ServiceID: pgService, PlanID: pgSmall, OperationKey: prov.OperationKey})
	}, 0)
	if inst, _ := b.Instance("inst-1"); last.State != osb.StateFailed || inst.State != osb.StateFailed {
		t.Errorf("provision ended %s, broker state %s; want failed", last.State, inst.State)
	}

	provisionDirect(t, b, "inst-2", pgSmall)
	bind, err := client.Bind(ctx, bindRequest("inst-2", "bind-1"))
	if err != nil || !bind.Async {
		t.Fatalf("bind = %+v, %v; want 202", bind, err)
	}
	last, _ = pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
		return client.PollBindingLastOperation(ctx, &osb.BindingLastOperationRequest{InstanceID: "inst-2", BindingID: "bind-1", ServiceID: pgService, PlanID: pgSmall, OperationKey: bind.OperationKey})
	}, 0)
	if bds := b.Bindings(); last.State != osb.StateFailed || len(bds) != 1 || bds[0].State != osb.StateFailed {
		t.Errorf("bind ended %s, broker bindings %+v; want failed", last.State, bds)
	}

	provisionDirect(t, b, "inst-3", pgLarge)
	del, err := client.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "inst-3", AcceptsIncomplete: true, ServiceID: pgService, PlanID: pgLarge})
	if err != nil || !del.Async {
		t.Fatalf("deprovision = %+v, %v; want 202", del, err)
	}
	last, _ = pollUntilDone(t, func() (*osb.LastOperationResponse, error) {
		return client.PollLastOperation(ctx, &osb.LastOperationRequest{InstanceID: "inst-3", ServiceID: pgService, PlanID: pgLarge, OperationKey: del.OperationKey})
	}, time.Second)
	if _, held := b.Instance("inst-3"); last.State != osb.StateFailed || !held {
		t.Errorf("deprovision ended %s, instance held %v; want failed and held", last.State, held)
	}
}

// TestChaosGoneAndSlow checks the 410 to polls and the slow answers.
func TestChaosGoneAndSlow(t *testing.T) {
	b, _, srv := startChaos(t, chaosOnly(broker.FaultGone))
	provisionDirect(t, b, "inst-1", pgSmall)
	_, err := newClient(t, srv.URL).PollLastOperation(context.Background(), &osb.LastOperationRequest{InstanceID: "inst-1", ServiceID: pgService, PlanID: pgSmall})
	if !osb.IsGone(err) {
		t.Errorf("poll error = %v, want 410", err)
	}
	if _, held := b.Instance("inst-1"); !held {
		t.Error("a 410 to a provision's poll removed the instance")
	}
	// A 410 to the poll of a delete in progress is true: the delete ends.
	provisionDirect(t, b, "inst-2", pgLarge)
	client := newClient(t, srv.URL)
	del, err := client.Deprovision(context.Background(), &osb.DeprovisionRequest{InstanceID: "inst-2", AcceptsIncomplete: true, ServiceID: pgService, PlanID: pgLarge})
	if err != nil || !del.Async {
		t.Fatalf("deprovision = %+v, %v", del, err)
	}
	_, err = client.PollLastOperation(context.Background(), &osb.LastOperationRequest{InstanceID: "inst-2", ServiceID: pgService, PlanID: pgLarge, OperationKey: del.OperationKey})
	if _, held := b.Instance("inst-2"); !osb.IsGone(err) || held {
		t.Errorf("poll of the delete: %v, instance still held %v; want 410 and gone", err, held)
	}

	opts := chaosOnly(broker.FaultSlow)
	opts.SlowMax = 300 * time.Millisecond
	_, c, srv := startChaos(t, opts)
	start := time.Now()
	if _, err := newClient(t, srv.URL).Provision(context.Background(), provisionRequest("inst-1", pgSmall)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("slow answer came after %s", d)
	}
	if ev := lastEvent(t, c); ev.Fault != broker.FaultSlow || ev.Status != http.StatusCreated {
		t.Errorf("history event = %+v", ev)
	}
}

// TestChaosHeld checks the history's record of provisions and binds of ids
// the broker already holds.
func TestChaosHeld(t *testing.T) {
	opts := broker.NewChaosOptions()
	opts.Rate = 0
	_, c, srv := startChaos(t, opts)
	client := newClient(t, srv.URL)
	ctx := context.Background()
	req := provisionRequest("inst-1", pgSmall)
	for range 2 {
		if _, err := client.Provision(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := client.Bind(ctx, bindRequest("inst-1", "bind-1")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Unbind(ctx, &osb.UnbindRequest{InstanceID: "inst-1", BindingID: "bind-1", ServiceID: pgService, PlanID: pgSmall}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Deprovision(ctx, &osb.DeprovisionRequest{InstanceID: "inst-1", ServiceID: pgService, PlanID: pgSmall}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Provision(ctx, req); err != nil {
		t.Fatal(err)
	}
	type row struct {
		Op          osb.Operation
		Held        bool
		Credentials bool
	}
	var got []row
	for _, ev := range c.History(0) {
		got = append(got, row{ev.Operation, ev.Held, ev.Credentials != nil})
	}
	want := []row{
		{osb.OperationProvision, false, false}, {osb.OperationProvision, true, false},
		{osb.OperationBind, false, true}, {osb.OperationBind, true, false},
		{osb.OperationUnbind, false, false}, {osb.OperationDeprovision, false, false},
		{osb.OperationProvision, false, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if h := c.History(5); len(h) != 2 || h[0].Seq != 6 {
		t.Errorf("History(5) = %+v", h)
	}
}

// TestChaosSeeded checks that the share of faults follows the rate and that
// the same seed makes the same choices.
func TestChaosSeeded(t *testing.T) {
	faults := func() []broker.Fault {
		opts := broker.NewChaosOptions()
		opts.Seed = 42
		opts.Faults = []broker.Fault{broker.FaultServerError, broker.FaultConflict, broker.FaultConcurrency}
		_, c, srv := startChaos(t, opts)
		client := newClient(t, srv.URL)
		for range 300 {
			_, _ = client.Provision(context.Background(), provisionRequest("inst-1", pgSmall))
		}
		var out []broker.Fault
		for _, ev := range c.History(0) {
			out = append(out, ev.Fault)
		}
		return out
	}
	first, second := faults(), faults()
	if !slices.Equal(first, second) {
		t.Error("the same seed made different choices")
	}
	n := 0
	for _, f := range first {
		if f != "" {
			n++
		}
	}
	if n < 30 || n > 90 {
		t.Errorf("%d of 300 requests got a fault at rate 0.2", n)
	}
}

// TestChaosAdmin checks the admin endpoints: the state, a change of rate,
// a refused change, and the history.
func TestChaosAdmin(t *testing.T) {
	_, _, srv := startChaos(t, chaosOnly(broker.FaultServerError))
	_, _ = newClient(t, srv.URL).Provision(context.Background(), provisionRequest("inst-1", pgSmall))
	var st broker.ChaosStatus
	adminJSON(t, http.MethodGet, srv.URL+"/admin/chaos", "", http.StatusOK, &st)
	if st.Rate != 1 || st.Requests != 1 || st.Injected[broker.FaultServerError] != 1 {
		t.Errorf("chaos status = %+v", st)
	}
	adminJSON(t, http.MethodPut, srv.URL+"/admin/chaos", `{"rate": 0}`, http.StatusNoContent, nil)
	adminJSON(t, http.MethodPut, srv.URL+"/admin/chaos", `{"rate": 2}`, http.StatusBadRequest, nil)
	adminJSON(t, http.MethodPut, srv.URL+"/admin/chaos", `{"faults": ["nope"]}`, http.StatusBadRequest, nil)
	if _, err := newClient(t, srv.URL).Provision(context.Background(), provisionRequest("inst-1", pgSmall)); err != nil {
		t.Errorf("provision at rate 0: %v", err)
	}
	var h []broker.HistoryEvent
	adminJSON(t, http.MethodGet, srv.URL+"/admin/history?since=1", "", http.StatusOK, &h)
	if len(h) != 1 || h[0].Seq != 2 || h[0].Fault != "" || h[0].Status != http.StatusCreated {
		t.Errorf("history since 1 = %+v", h)
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/admin/history", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("history without credentials: %v, %v", resp, err)
	}
}

// adminJSON calls the admin API and decodes the answer into out, if set.
func adminJSON(t *testing.T, method, url, body string, wantStatus int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testUser, testPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, data, wantStatus)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChaosOptions(t *testing.T) {
	if fs, err := broker.ParseFaults(" timeout,gone "); err != nil || !slices.Equal(fs, []broker.Fault{broker.FaultTimeout, broker.FaultGone}) {
		t.Errorf("ParseFaults = %v, %v", fs, err)
	}
	if _, err := broker.ParseFaults("timeout,hang"); err == nil {
		t.Error("ParseFaults accepted an unknown fault")
	}
	o := broker.NewChaosOptions()
	o.Rate = 1.5
	if err := o.Validate(); err == nil {
		t.Error("Validate accepted a rate of 1.5")
	}
}
