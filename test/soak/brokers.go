package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/figures"

	"github.com/kube-service-catalog/catalog/pkg/broker"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// The plans of every soak broker's offering. Instances move between them on
// update.
const (
	planSync  = "sync"
	planAsync = "async"
)

// testBroker is one test broker process in its chaos mode, with the offering
// soak-db-<i> and basic-auth credentials made up for the run.
type testBroker struct {
	index    int
	name     string // the ClusterServiceBroker
	offering string
	url      string
	username string
	password string
	planIDs  map[string]string
	child    *kubecluster.Child
	client   *http.Client
}

// newTestBroker describes broker i; startBroker starts it.
func newTestBroker(i int) *testBroker {
	return &testBroker{
		index: i, name: fmt.Sprintf("soak-broker-%d", i), offering: fmt.Sprintf("soak-db-%d", i),
		username: "soak-user-" + randomHex(6), password: randomHex(16),
		planIDs: map[string]string{
			planSync:  fmt.Sprintf("50a50000-0000-4000-8000-%06d0001", i),
			planAsync: fmt.Sprintf("50a50000-0000-4000-8000-%06d0002", i),
		},
		client: &http.Client{Timeout: 2 * time.Minute},
	}
}

// catalog is the broker's catalog file: one bindable, updatable offering
// whose sync plan answers at once and whose async plan runs every change
// asynchronously (one poll, Retry-After 1s).
func (b *testBroker) catalog() string {
	async := "{mode: async, asyncPolls: 1, retryAfterSeconds: 1}"
	return fmt.Sprintf(`services:
- name: %[1]s
  id: 50a50000-0000-4000-8000-%06[2]d0000
  description: Soak test database %[2]d
  bindable: true
  instances_retrievable: true
  bindings_retrievable: true
  plan_updateable: true
  plans:
  - name: %[3]s
    id: %[4]s
    description: Synchronous operations
  - name: %[5]s
    id: %[6]s
    description: Asynchronous provision, update, deprovision, bind and unbind
    metadata:
      testBroker: {provision: %[7]s, update: %[7]s, deprovision: %[7]s, bind: %[7]s, unbind: %[7]s}
`, b.offering, b.index, planSync, b.planIDs[planSync], planAsync, b.planIDs[planAsync], async)
}

// start writes the catalog and starts the broker on a free port with its
// chaos off, waiting for /healthz.
func (b *testBroker) start(ctx context.Context, bin, dir string, o *options) error {
	catalog := filepath.Join(dir, b.name+"-catalog.yaml")
	if err := os.WriteFile(catalog, []byte(b.catalog()), 0o600); err != nil {
		return err
	}
	var err error
	for attempt := 1; attempt <= 3; attempt++ {
		ports, perr := kubecluster.FreePorts(1)
		if perr != nil {
			return perr
		}
		b.url = "http://127.0.0.1:" + strconv.Itoa(ports[0])
		b.child, err = kubecluster.StartChild(b.name, filepath.Join(dir, "logs", b.name+".log"), dir, bin,
			"--address=127.0.0.1", "--port="+strconv.Itoa(ports[0]), "--catalog="+catalog,
			"--username="+b.username, "--password="+b.password,
			"--chaos", "--chaos-rate=0", "--chaos-seed="+strconv.FormatUint(o.seed+uint64(b.index), 10),
			"--chaos-faults="+o.faults, "--chaos-slow-max="+o.slowMax.String())
		if err != nil {
			return err
		}
		if err = waitHTTP(ctx, b.child, b.url+"/healthz"); err == nil || !b.child.PortClash() {
			return err
		}
	}
	return err
}

// setRate sets the share of faulty answers.
func (b *testBroker) setRate(ctx context.Context, rate float64) error {
	body, err := json.Marshal(broker.ChaosSettings{Rate: &rate})
	if err != nil {
		return err
	}
	_, err = b.admin(ctx, http.MethodPut, "/admin/chaos", body, nil)
	return err
}

// brokerRecord is what a broker holds and has seen.
type brokerRecord struct {
	Broker    string                `json:"broker"`
	Instances []broker.Instance     `json:"-"`
	Bindings  []broker.Binding      `json:"-"`
	History   []broker.HistoryEvent `json:"-"`
	Chaos     broker.ChaosStatus    `json:"chaos"`
}

// record reads the broker's instances, bindings, history and chaos state.
func (b *testBroker) record(ctx context.Context) (*brokerRecord, error) {
	r := &brokerRecord{Broker: b.name}
	for _, q := range []struct {
		path string
		out  any
	}{
		{"/admin/instances", &r.Instances}, {"/admin/bindings", &r.Bindings},
		{"/admin/history", &r.History}, {"/admin/chaos", &r.Chaos},
	} {
		if _, err := b.admin(ctx, http.MethodGet, q.path, nil, q.out); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// admin calls the broker's admin API and decodes a JSON answer into out.
func (b *testBroker) admin(ctx context.Context, method, path string, body []byte, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, b.url+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(b.username, b.password)
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s%s: %s: %s", method, b.name, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %s%s: %w", b.name, path, err)
		}
	}
	return resp.StatusCode, nil
}

// waitHTTP polls url until it answers 200, the process exits or a minute
// passes.
func waitHTTP(ctx context.Context, ch *kubecluster.Child, url string) error {
	ctx, cancel := ch.WhileRunning(ctx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, time.Minute)
	defer cancelTimeout()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if _, err := figures.HTTPGet(ctx, client, url); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if ch.Exited() {
				return ch.ExitError()
			}
			return fmt.Errorf("%s did not answer: %w", url, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
