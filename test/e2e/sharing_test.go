package e2e

import (
	"strings"
	"testing"
)

// TestSharingAnInstanceAcrossNamespaces: bob holds edit in his team's namespace only.
// He cannot bind the data team's instance until the data team grants him "bind" there
// (service-catalog:instance-user); kubectl auth can-i says so before and after, the
// refusal names the verb and the namespace, and the credentials land in his namespace.
// The data team sees his binding in the instance's status.
func TestSharingAnInstanceAcrossNamespaces(t *testing.T) {
	requireStack(t)
	if !bindingLoop(t) {
		t.Skip("needs the controller-manager with the binding loop")
	}
	const data, app = "sharing-data", "sharing-app"
	createNamespace(t, data)
	createNamespace(t, app)
	ensureDemoBroker(t)
	kubectlIn(t, admin, roleBinding("bob-edit", app, "edit"), "apply", "-f", "-")
	canI := func(want string) {
		t.Helper()
		eventually(t, pollTimeout, "kubectl auth can-i bind serviceinstances -n "+data+" saying "+want, func() (bool, string) {
			out, errOut, _ := runKubectl(t, bob, "", "auth", "can-i", "bind", "serviceinstances.servicecatalog.k8s.io", "-n", data)
			return strings.TrimSpace(out) == want, out + errOut
		})
	}
	eventually(t, pollTimeout, "bob's edit role taking effect", func() (bool, string) {
		out, errOut, _ := runKubectl(t, bob, "", "auth", "can-i", "create", "servicebindings.servicecatalog.k8s.io", "-n", app)
		return strings.TrimSpace(out) == "yes", out + errOut
	})
	kubectlIn(t, admin, instanceManifest("shared-db", "{storageGB: 10}"), "apply", "-n", data, "-f", "-")
	kubectl(t, admin, "wait", "--for=condition=Ready", "-n", data, "serviceinstance/shared-db", "--timeout=2m")

	binding := sharedBindingManifest("shared-db-credentials", data, "shared-db")
	canI("no")
	out, errOut, err := runKubectl(t, bob, binding, "create", "-n", app, "-f", "-")
	want := `user "bob" cannot bind serviceinstances "shared-db" in namespace "` + data + `"`
	if err == nil || !isForbidden(errOut) || !strings.Contains(errOut, want) {
		t.Fatalf("bob's binding without bind: err=%v, want Forbidden saying %s:\n%s%s", err, want, out, errOut)
	}

	kubectlIn(t, admin, roleBinding("bob-instance-user", data, "service-catalog:instance-user"), "apply", "-f", "-")
	canI("yes")
	kubectlIn(t, bob, binding, "create", "-n", app, "-f", "-")
	kubectl(t, bob, "wait", "--for=condition=Ready", "-n", app, "servicebinding/shared-db-credentials", "--timeout=2m")
	if password := kubectl(t, bob, "get", "secret", "shared-db-credentials", "-n", app, "-o", "jsonpath={.data.password}"); password == "" {
		t.Error("the credentials Secret in bob's namespace has no password")
	}
	if row := kubectl(t, bob, "get", "sb", "shared-db-credentials", "-n", app, "--no-headers"); !strings.Contains(row, data+"/shared-db ") {
		t.Errorf("kubectl get shows %q, want the instance as %s/shared-db", row, data)
	}
	eventually(t, pollTimeout, "the instance listing bob's binding", func() (bool, string) {
		got := kubectl(t, admin, "get", "si", "shared-db", "-n", data, "-o", "jsonpath={.status.sharedWith[*].namespace}/{.status.sharedWith[*].name}")
		return got == app+"/shared-db-credentials", got
	})
	kubectl(t, bob, "delete", "sb", "shared-db-credentials", "-n", app, "--wait=true", "--timeout=2m")
	kubectl(t, admin, "delete", "si", "shared-db", "-n", data, "--wait=true", "--timeout=2m")
}

// roleBinding returns a RoleBinding of a ClusterRole to bob in a namespace.
func roleBinding(name, namespace, clusterRole string) string {
	return `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ` + name + `
  namespace: ` + namespace + `
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ` + clusterRole + `
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: bob
`
}

// sharedBindingManifest returns a ServiceBinding to an instance of another namespace.
func sharedBindingManifest(name, namespace, instance string) string {
	return bindingManifest(name, instance) + "    namespace: " + namespace + "\n"
}
