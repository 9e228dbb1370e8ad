package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLedgerAndAdoptionAsANamespaceAdmin: bob, who holds admin in his namespace, asks
// for a check of an instance the broker lost and sees BrokerResourceMissing; then he
// lets an instance whose deprovision the broker refuses go (abandon) and adopts it again
// under a new object, which sends no provision. alice, with edit, may not adopt.
func TestLedgerAndAdoptionAsANamespaceAdmin(t *testing.T) {
	requireStack(t)
	if !bindingLoop(t) {
		t.Skip("needs the controller-manager")
	}
	const ns = "ledger"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	kubectlIn(t, admin, roleBinding("bob-admin", ns, "admin"), "apply", "-f", "-")
	kubectlIn(t, admin, strings.ReplaceAll(roleBinding("alice-edit", ns, "edit"), "name: bob", "name: alice"), "apply", "-f", "-")
	eventually(t, pollTimeout, "bob may adopt", func() (bool, string) {
		out, errOut, _ := runKubectl(t, bob, "", "auth", "can-i", "adopt", "serviceinstances.servicecatalog.k8s.io", "-n", ns)
		return strings.TrimSpace(out) == "yes", out + errOut
	})

	// A lost instance.
	kubectlIn(t, bob, instanceManifest("lost", "{storageGB: 10}"), "apply", "-n", ns, "-f", "-")
	kubectl(t, bob, "wait", "--for=condition=Ready", "-n", ns, "serviceinstance/lost", "--timeout=2m")
	lost := kubectl(t, bob, "get", "si", "lost", "-n", ns, "-o", "jsonpath={.spec.externalID}")
	testBrokerAdmin(t, "DELETE", "/admin/instances/"+lost, "", http.StatusNoContent)
	kubectl(t, bob, "annotate", "--overwrite", "si", "lost", "-n", ns, "servicecatalog.k8s.io/check-broker="+strconv.FormatInt(time.Now().Unix()+1, 10))
	kubectl(t, bob, "wait", "--for=condition=BrokerResourceMissing", "-n", ns, "serviceinstance/lost", "--timeout=2m")

	// An instance let go while the broker refuses to deprovision it, then adopted.
	kubectlIn(t, bob, instanceManifest("kept", "{storageGB: 10}"), "apply", "-n", ns, "-f", "-")
	kubectl(t, bob, "wait", "--for=condition=Ready", "-n", ns, "serviceinstance/kept", "--timeout=2m")
	kept := kubectl(t, bob, "get", "si", "kept", "-n", ns, "-o", "jsonpath={.spec.externalID}")
	behavior := "/admin/behaviors/" + url.PathEscape(demoClass+"/"+demoPlan)
	testBrokerAdmin(t, "PUT", behavior, "deprovision:\n  failStatus: 400\n  failDescription: under a legal hold\n", http.StatusNoContent)
	t.Cleanup(func() { testBrokerAdmin(t, "DELETE", behavior, "", 0) })
	kubectl(t, bob, "delete", "si", "kept", "-n", ns, "--wait=false")
	kubectl(t, bob, "wait", "--for=condition=DeleteBlocked", "-n", ns, "serviceinstance/kept", "--timeout=2m")
	kubectlIn(t, bob, `{"reason":"moving it"}`, "create", "--raw", "/apis/servicecatalog.k8s.io/v1beta1/namespaces/"+ns+"/serviceinstances/kept/abandon", "-f", "-")
	kubectl(t, bob, "wait", "--for=delete", "-n", ns, "serviceinstance/kept", "--timeout=2m")
	testBrokerAdmin(t, "DELETE", behavior, "", http.StatusNoContent)

	adopting := strings.Replace(instanceManifest("adopted", "{storageGB: 10}"), "metadata:\n", "metadata:\n  annotations:\n    servicecatalog.k8s.io/adopt: \"true\"\n", 1) +
		"  externalID: " + kept + "\n"
	out, errOut, err := runKubectl(t, alice, adopting, "create", "-n", ns, "-f", "-")
	if err == nil || !isForbidden(errOut) || !strings.Contains(errOut, "cannot adopt serviceinstances") {
		t.Fatalf("adoption by alice (edit): err=%v, want Forbidden naming the adopt verb\n%s%s", err, out, errOut)
	}
	kubectlIn(t, bob, adopting, "create", "-n", ns, "-f", "-")
	kubectl(t, bob, "wait", "--for=condition=Ready", "-n", ns, "serviceinstance/adopted", "--timeout=2m")
	if events := kubectl(t, bob, "get", "events", "-n", ns, "--field-selector", "reason=Adopted", "-o", "jsonpath={.items[*].message}"); !strings.Contains(events, "no provision was sent") {
		t.Errorf("Adopted events: %q", events)
	}
}

// testBrokerAdmin calls the test broker's admin API; want 0 accepts any status.
func testBrokerAdmin(t *testing.T, method, path, body string, want int) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, stack.BrokerURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	if want != 0 && resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
}
