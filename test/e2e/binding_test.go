package e2e

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestBindingAsAUserWithEdit: a user holding the built-in edit role
// in one namespace binds to her instance there and reads the credentials Secret the
// controller wrote, but can neither bind in another namespace nor read its Secrets.
func TestBindingAsAUserWithEdit(t *testing.T) {
	requireStack(t)
	if !bindingLoop(t) {
		t.Skip("needs the controller-manager with the binding loop")
	}
	const mine, theirs = "apps-a", "apps-b"
	createNamespace(t, mine)
	createNamespace(t, theirs)
	ensureDemoBroker(t)
	kubectlIn(t, admin, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-edit
  namespace: `+mine+`
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: edit
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: alice
`, "apply", "-f", "-")
	eventually(t, pollTimeout, "alice's RoleBinding taking effect", func() (bool, string) {
		out, errOut, _ := runKubectl(t, alice, "", "auth", "can-i", "create", "servicebindings.servicecatalog.k8s.io", "-n", mine)
		return strings.TrimSpace(out) == "yes", out + errOut
	})

	// alice's instance and binding in her namespace.
	kubectlIn(t, alice, instanceManifest("app-db", "{storageGB: 10}"), "apply", "-n", mine, "-f", "-")
	kubectl(t, alice, "wait", "--for=condition=Ready", "-n", mine, "serviceinstance/app-db", "--timeout=2m")
	kubectlIn(t, alice, bindingManifest("app-db-credentials", "app-db"), "apply", "-n", mine, "-f", "-")
	kubectl(t, alice, "wait", "--for=condition=Ready", "-n", mine, "servicebinding/app-db-credentials", "--timeout=2m")

	// She reads the Secret the binding points at.
	secretName := kubectl(t, alice, "get", "sb", "app-db-credentials", "-n", mine, "-o", "jsonpath={.status.binding.name}")
	if secretName != "app-db-credentials" {
		t.Fatalf("status.binding.name is %q, want the binding's secretName", secretName)
	}
	for _, key := range []string{"uri", "username", "password", "type", "provider"} {
		encoded := kubectl(t, alice, "get", "secret", secretName, "-n", mine, "-o", "jsonpath={.data."+key+"}")
		value, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(value) == 0 {
			t.Errorf("key %s of the credentials Secret: %q %v", key, encoded, err)
		}
	}
	if owner := kubectl(t, alice, "get", "secret", secretName, "-n", mine, "-o", "jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}"); owner != "ServiceBinding/app-db-credentials" {
		t.Errorf("the Secret's owner is %q", owner)
	}

	// Another team's instance, binding and Secret.
	kubectlIn(t, admin, instanceManifest("their-db", "{storageGB: 10}"), "apply", "-n", theirs, "-f", "-")
	kubectl(t, admin, "wait", "--for=condition=Ready", "-n", theirs, "serviceinstance/their-db", "--timeout=2m")
	kubectlIn(t, admin, bindingManifest("their-db-credentials", "their-db"), "apply", "-n", theirs, "-f", "-")
	kubectl(t, admin, "wait", "--for=condition=Ready", "-n", theirs, "servicebinding/their-db-credentials", "--timeout=2m")

	for _, c := range []struct {
		what  string
		canI  []string
		do    []string
		stdin string
	}{
		{"bind in the other namespace",
			[]string{"create", "servicebindings.servicecatalog.k8s.io", "-n", theirs},
			[]string{"create", "-n", theirs, "-f", "-"}, bindingManifest("stolen", "their-db")},
		{"read the other namespace's credentials Secret",
			[]string{"get", "secrets", "-n", theirs},
			[]string{"get", "secret", "their-db-credentials", "-n", theirs, "-o", "yaml"}, ""},
	} {
		if out, _, _ := runKubectl(t, alice, "", append([]string{"auth", "can-i"}, c.canI...)...); strings.TrimSpace(out) != "no" {
			t.Errorf("alice may %s, says kubectl auth can-i: %q", c.what, out)
		}
		out, errOut, err := runKubectl(t, alice, c.stdin, c.do...)
		if err == nil || !isForbidden(errOut) {
			t.Errorf("alice could %s: %v\n%s%s", c.what, err, out, errOut)
		}
	}

	// Unbinding removes the Secret; she can delete what she created.
	kubectl(t, alice, "delete", "servicebinding", "app-db-credentials", "-n", mine, "--timeout=2m")
	if _, errOut, err := runKubectl(t, alice, "", "get", "secret", secretName, "-n", mine); err == nil || !strings.Contains(errOut, "NotFound") {
		t.Errorf("the credentials Secret outlived its binding: %v %s", err, errOut)
	}
	kubectl(t, alice, "delete", "serviceinstance", "app-db", "-n", mine, "--timeout=2m")
	kubectl(t, admin, "delete", "servicebinding", "their-db-credentials", "-n", theirs, "--timeout=2m")
	kubectl(t, admin, "delete", "serviceinstance", "their-db", "-n", theirs, "--timeout=2m")
}
