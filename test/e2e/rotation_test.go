package e2e

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestRotationAndStalenessAsAUserWithEdit: alice, who holds edit in her namespace,
// rotates her binding's credentials with kubectl (the same Secret gets a new password,
// the old binding is kept for the overlap as a predecessor), then changes her
// instance's parameters and sees the binding's credentials marked Stale.
func TestRotationAndStalenessAsAUserWithEdit(t *testing.T) {
	requireStack(t)
	if !bindingLoop(t) {
		t.Skip("needs the controller-manager with the binding loop")
	}
	const ns = "rotation"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	kubectlIn(t, admin, strings.ReplaceAll(roleBinding("alice-edit", ns, "edit"), "name: bob", "name: alice"), "apply", "-f", "-")
	eventually(t, pollTimeout, "alice's edit role taking effect", func() (bool, string) {
		out, errOut, _ := runKubectl(t, alice, "", "auth", "can-i", "patch", "servicebindings.servicecatalog.k8s.io", "-n", ns)
		return strings.TrimSpace(out) == "yes", out + errOut
	})
	kubectlIn(t, alice, instanceManifest("db", "{storageGB: 10}"), "apply", "-n", ns, "-f", "-")
	kubectl(t, alice, "wait", "--for=condition=Ready", "-n", ns, "serviceinstance/db", "--timeout=2m")
	kubectlIn(t, alice, bindingManifest("db-creds", "db"), "apply", "-n", ns, "-f", "-")
	kubectl(t, alice, "wait", "--for=condition=Ready", "-n", ns, "servicebinding/db-creds", "--timeout=2m")
	password := func() string {
		encoded := kubectl(t, alice, "get", "secret", "db-creds", "-n", ns, "-o", "jsonpath={.data.password}")
		value, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(value) == 0 {
			t.Fatalf("password of the Secret: %q %v", encoded, err)
		}
		return string(value)
	}
	first := password()
	original := kubectl(t, alice, "get", "sb", "db-creds", "-n", ns, "-o", "jsonpath={.spec.externalID}")

	kubectl(t, alice, "patch", "sb", "db-creds", "-n", ns, "--type=merge", "-p", `{"spec":{"rotationRequests":1}}`)
	kubectl(t, alice, "wait", "--for=jsonpath={.status.observedRotationRequests}=1", "-n", ns, "servicebinding/db-creds", "--timeout=2m")
	if second := password(); second == first {
		t.Error("the Secret kept the old password after the rotation")
	}
	got := kubectl(t, alice, "get", "sb", "db-creds", "-n", ns, "-o", "jsonpath={.status.bindingID} {.status.predecessors[0].bindingID} {.status.conditions[?(@.type==\"Ready\")].reason}")
	fields := strings.Fields(got)
	if len(fields) != 3 || fields[0] == original || fields[1] != original || fields[2] != "CredentialsRotated" {
		t.Errorf("status after the rotation: %q (original binding %s)", got, original)
	}

	kubectl(t, alice, "patch", "si", "db", "-n", ns, "--type=merge", "-p", `{"spec":{"parameters":{"storageGB":20}}}`)
	kubectl(t, alice, "wait", "--for=condition=Stale", "-n", ns, "servicebinding/db-creds", "--timeout=2m")
	if m := kubectl(t, alice, "get", "sb", "db-creds", "-n", ns, "-o", "jsonpath={.status.conditions[?(@.type==\"Stale\")].message}"); !strings.Contains(m, "parameters changed") {
		t.Errorf("Stale message %q", m)
	}
}
