package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// TestAConcurrentChangeByAnotherUserWaitsForThePendingOne: the controller
// sends an instance's whole spec to the broker in one request, under the name
// of the user who changed it last, so while one user's change has not been
// sent yet (status.observedGeneration < metadata.generation) the API server
// holds back a spec change by another user with 429 Too Many Requests
// (PendingChangeOwner), naming the first user and the observedGeneration to
// wait for. Once the controller has picked the change up, the other user's
// change is accepted and reaches the broker under their name.
//
// To hold the first change back for as long as the test needs, the test stops
// the shared stack's controller manager and starts it again (so it must not
// run in parallel with other tests). alice and bob hold the built-in edit role
// in the test's namespace.
func TestAConcurrentChangeByAnotherUserWaitsForThePendingOne(t *testing.T) {
	requireStack(t)
	if !instanceLoop() {
		t.Skip("needs the controller manager, which sends changes to the broker")
	}
	const ns, name = "e2e-pending-change", "shared-db"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	grantEdit(t, ns, alice, bob)
	dir := t.TempDir()
	apply := func(user string, storageGB int) (string, error) {
		file := writeManifest(t, dir, user+".yaml", instanceManifest(name, fmt.Sprintf("{storageGB: %d}", storageGB)))
		out, errOut, err := runKubectl(t, user, "", "apply", "-n", ns, "-f", file, "-v=6")
		return out + errOut, err
	}
	state := func() string {
		return kubectl(t, admin, "get", "si", name, "-n", ns, "-o",
			"jsonpath={.metadata.generation} {.status.observedGeneration} {.spec.userInfo.username} {.spec.parameters.storageGB}")
	}
	// refused checks that kubectl reports the 429 of PendingChangeOwner for
	// alice's pending change of the given generation.
	refused := func(t *testing.T, what, out string, err error, generation int64) {
		t.Helper()
		want := fmt.Sprintf(`the change of user "alice" to instance %q (generation %d) has not been sent to the broker yet`, name, generation)
		retry := fmt.Sprintf("try again once status.observedGeneration is %d", generation)
		if code := responseCode(out); err == nil || code != "429" || !strings.Contains(out, "Error from server (TooManyRequests)") ||
			!strings.Contains(out, want) || !strings.Contains(out, retry) {
			t.Errorf("%s during alice's pending change: err=%v, answer %q, want 429 saying %q and %q:\n%s", what, err, code, want, retry, out)
		}
	}

	stopControllerManager(t)

	ok := t.Run("another user's change waits for the pending one", func(t *testing.T) {
		if out, err := apply(alice, 10); err != nil || !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/"+name+" created") {
			t.Fatalf("alice creating the instance: %v\n%s", err, out)
		}
		if got := state(); got != "1  alice 10" {
			t.Fatalf("the new instance: generation, observedGeneration, user, storageGB = %q, want \"1  alice 10\"", got)
		}
		// kubectl tries a 429 again after its Retry-After, ten times (about ten
		// seconds) before it gives up; with the controller stopped it never passes.
		out, err := apply(bob, 30)
		refused(t, "kubectl apply by bob", out, err, 1)
		// A change outside the spec is never sent to the broker: allowed.
		kubectl(t, bob, "label", "si", name, "-n", ns, "reviewed-by=bob")
		// alice may change her own pending change.
		if out, err := apply(alice, 20); err != nil || !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/"+name+" configured") {
			t.Fatalf("alice changing her pending change: %v\n%s", err, out)
		}
		stdout, stderr, err := runKubectl(t, bob, "", "patch", "si", name, "-n", ns, "--type=merge", "-p", `{"spec":{"parameters":{"storageGB":30}}}`, "-v=6")
		refused(t, "kubectl patch by bob", stdout+stderr, err, 2)
		if got := state(); got != "2  alice 20" {
			t.Errorf("after bob's refused changes: generation, observedGeneration, user, storageGB = %q, want \"2  alice 20\"", got)
		}
	})

	if !ok {
		return // the controller manager is started again on cleanup
	}
	startControllerManager(t)

	t.Run("it is accepted once the controller picked the pending one up", func(t *testing.T) {
		eventually(t, pollTimeout, "the controller sending alice's change", func() (bool, string) {
			got := state()
			return got == "2 2 alice 20", got
		})
		if out, err := apply(bob, 30); err != nil || !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/"+name+" configured") {
			t.Fatalf("bob's change once alice's was sent: %v\n%s", err, out)
		}
		eventually(t, pollTimeout, "the controller sending bob's change", func() (bool, string) {
			got := kubectl(t, admin, "get", "si", name, "-n", ns, "-o",
				`jsonpath={.status.observedGeneration} {.status.externalProperties.userInfo.username} {.status.conditions[?(@.type=="Ready")].status}`)
			return got == "3 bob True", got
		})

		// What the broker heard, and from whom: alice's provision with her
		// last storageGB, then bob's update.
		externalID := kubectl(t, admin, "get", "si", name, "-n", ns, "-o", "jsonpath={.spec.externalID}")
		var got []string
		for _, r := range brokerRequests(t) {
			if r.Path == "/v2/service_instances/"+externalID && (r.Method == http.MethodPut || r.Method == http.MethodPatch) {
				got = append(got, fmt.Sprintf("%s by %s storageGB=%v", r.Method, originatingUser(t, r.Header.Get("X-Broker-API-Originating-Identity")), storageGBOf(t, r.Body)))
			}
		}
		if diff := cmp.Diff([]string{"PUT by alice storageGB=20", "PATCH by bob storageGB=30"}, got); diff != "" {
			t.Errorf("the provisions and updates the broker received (-want +got):\n%s", diff)
		}
	})
}

// stopControllerManager stops the stack's controller manager, making sure it
// runs again when the test ends.
func stopControllerManager(t *testing.T) {
	t.Helper()
	if err := stack.StopComponent(catalogstack.ControllerManager); err != nil {
		t.Fatalf("stopping the controller manager: %v", err)
	}
	t.Cleanup(func() {
		if !stack.Running(catalogstack.ControllerManager) {
			startControllerManager(t)
		}
	})
}

// startControllerManager starts the stack's controller manager and waits
// until it is ready.
func startControllerManager(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	if err := stack.StartComponent(ctx, catalogstack.ControllerManager); err != nil {
		t.Fatalf("starting the controller manager: %v", err)
	}
}

// brokerRequest is a request the test broker recorded (docs/test-broker.md).
type brokerRequest struct {
	Method string      `json:"method"`
	Path   string      `json:"path"`
	Header http.Header `json:"header"`
	Body   string      `json:"body"`
}

// brokerRequests returns the OSB requests the stack's test broker recorded.
func brokerRequests(t *testing.T) []brokerRequest {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, stack.BrokerURL+"/admin/requests", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("reading the broker's requests: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s/admin/requests: %s %v\n%s", stack.BrokerURL, resp.Status, err, body)
	}
	var requests []brokerRequest
	if err := json.Unmarshal(body, &requests); err != nil {
		t.Fatalf("the broker's requests: %v", err)
	}
	return requests
}

// originatingUser returns the username of an OSB originating identity header,
// "kubernetes <base64 of a JSON object>".
func originatingUser(t *testing.T, header string) string {
	t.Helper()
	platform, value, _ := strings.Cut(header, " ")
	raw, err := base64.StdEncoding.DecodeString(value)
	var identity struct {
		Username string `json:"username"`
	}
	if err == nil {
		err = json.Unmarshal(raw, &identity)
	}
	if platform != "kubernetes" || err != nil {
		t.Errorf("originating identity %q: %v", header, err)
	}
	return identity.Username
}

// storageGBOf returns parameters.storageGB of an OSB request body.
func storageGBOf(t *testing.T, body string) any {
	t.Helper()
	var request struct {
		Parameters map[string]any `json:"parameters"`
	}
	if err := json.Unmarshal([]byte(body), &request); err != nil {
		t.Errorf("an OSB request body: %v\n%s", err, body)
	}
	return request.Parameters["storageGB"]
}
