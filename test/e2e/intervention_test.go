package e2e

import (
	"strings"
	"testing"
)

// TestRetryAndAbandonAsNamespaceUsers: the two ways out of a held-up delete are
// subresources with their own RBAC. alice (edit) may ask for a retry but not abandon;
// bob (admin) abandons an instance whose deletion waits for a binding, and once the
// binding is gone the instance goes without a deprovision, recorded in an event.
func TestRetryAndAbandonAsNamespaceUsers(t *testing.T) {
	requireStack(t)
	if !bindingLoop(t) {
		t.Skip("needs the controller-manager with the binding loop")
	}
	const ns = "interventions"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	kubectlIn(t, admin, roleBinding("bob-admin", ns, "admin"), "apply", "-f", "-")
	kubectlIn(t, admin, strings.ReplaceAll(roleBinding("alice-edit", ns, "edit"), "name: bob", "name: alice"), "apply", "-f", "-")
	path := "/apis/servicecatalog.k8s.io/v1beta1/namespaces/" + ns + "/serviceinstances/db/"
	for _, c := range []struct{ user, subresource, want string }{
		{alice, "retry", "yes"}, {alice, "abandon", "no"}, {bob, "abandon", "yes"},
	} {
		eventually(t, pollTimeout, c.user+" may create serviceinstances/"+c.subresource+": "+c.want, func() (bool, string) {
			out, errOut, _ := runKubectl(t, c.user, "", "auth", "can-i", "create", "serviceinstances.servicecatalog.k8s.io", "--subresource="+c.subresource, "-n", ns)
			return strings.TrimSpace(out) == c.want, out + errOut
		})
	}
	kubectlIn(t, admin, instanceManifest("db", "{storageGB: 10}"), "apply", "-n", ns, "-f", "-")
	kubectl(t, admin, "wait", "--for=condition=Ready", "-n", ns, "serviceinstance/db", "--timeout=2m")
	kubectlIn(t, admin, bindingManifest("db-credentials", "db"), "apply", "-n", ns, "-f", "-")
	kubectl(t, admin, "wait", "--for=condition=Ready", "-n", ns, "servicebinding/db-credentials", "--timeout=2m")

	// Abandoning an instance that is not being deleted is refused.
	out, errOut, err := runKubectl(t, bob, `{"reason":"moving off"}`, "create", "--raw", path+"abandon", "-f", "-")
	if err == nil || !strings.Contains(errOut, "delete it first") {
		t.Fatalf("abandon before the delete: err=%v\n%s%s", err, out, errOut)
	}
	kubectl(t, bob, "delete", "si", "db", "-n", ns, "--wait=false")
	kubectlIn(t, alice, "{}", "create", "--raw", path+"retry", "-f", "-")
	out, errOut, err = runKubectl(t, alice, "{}", "create", "--raw", path+"abandon", "-f", "-")
	if err == nil || !isForbidden(errOut) {
		t.Errorf("abandon as alice (edit): err=%v, want Forbidden\n%s%s", err, out, errOut)
	}
	if out := kubectlIn(t, bob, `{"reason":"moving off"}`, "create", "--raw", path+"abandon", "-f", "-"); !strings.Contains(out, "without calling the broker") {
		t.Errorf("abandon as bob: %s", out)
	}
	kubectl(t, bob, "delete", "sb", "db-credentials", "-n", ns, "--wait=true", "--timeout=2m")
	kubectl(t, bob, "wait", "--for=delete", "-n", ns, "serviceinstance/db", "--timeout=2m")
	events := kubectl(t, bob, "get", "events", "-n", ns, "--field-selector", "reason=Abandoned", "-o", "jsonpath={.items[*].message}")
	if !strings.Contains(events, "at the request of bob (moving off)") {
		t.Errorf("Abandoned events: %q", events)
	}
}
