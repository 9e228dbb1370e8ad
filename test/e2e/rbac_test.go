package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// TestRBAC: ordinary Kubernetes RBAC decides who may do what
// with the catalog, through the roles of artifacts/deploy/rbac. alice holds
// the built-in edit ClusterRole in team-a only (a RoleBinding), bob nothing:
//   - alice creates, lists and deletes instances and bindings in team-a, and
//     is forbidden in team-b;
//   - every authenticated user (alice, bob) reads classes and plans;
//   - alice reads the namespaced classes and plans of team-a, not of team-b,
//     and may not register a broker of team-a (admin may);
//   - nobody but cluster admins creates brokers, or writes status;
//   - `kubectl auth can-i` answers the same as the requests themselves;
//   - the server stamps spec.userInfo with the user who created the
//     instance.
func TestRBAC(t *testing.T) {
	requireStack(t)
	const teamA, teamB = "team-a", "team-b"
	createNamespace(t, teamA)
	createNamespace(t, teamB)
	ensureDemoBroker(t)
	kubectlIn(t, admin, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-edit
  namespace: `+teamA+`
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: edit
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: alice
`, "apply", "-f", "-")
	// RBAC reaches kube-apiserver's authorizer through an informer.
	eventually(t, pollTimeout, "alice's RoleBinding taking effect", func() (bool, string) {
		out, errOut, _ := runKubectl(t, alice, "", "auth", "can-i", "create", "serviceinstances.servicecatalog.k8s.io", "-n", teamA)
		return strings.TrimSpace(out) == "yes", out + errOut
	})

	instance := instanceManifest("alice-db", "{storageGB: 10}")
	binding := bindingManifest("alice-db-credentials", "alice-db")

	for _, c := range []rbacCase{
		{"alice creates an instance in team-a", alice,
			[]string{"create", "serviceinstances.servicecatalog.k8s.io", "-n", teamA},
			[]string{"create", "-n", teamA, "-f", "-"}, instance, true},
		{"alice creates a binding in team-a", alice,
			[]string{"create", "servicebindings.servicecatalog.k8s.io", "-n", teamA},
			[]string{"create", "-n", teamA, "-f", "-"}, binding, true},
		{"alice lists instances in team-a", alice,
			[]string{"list", "serviceinstances.servicecatalog.k8s.io", "-n", teamA},
			[]string{"get", "si", "-n", teamA}, "", true},
		{"alice lists bindings in team-a", alice,
			[]string{"list", "servicebindings.servicecatalog.k8s.io", "-n", teamA},
			[]string{"get", "sb", "-n", teamA}, "", true},
		{"alice reads an instance's status in team-a", alice,
			[]string{"get", "serviceinstances.servicecatalog.k8s.io", "--subresource=status", "-n", teamA},
			[]string{"get", "si", "alice-db", "-n", teamA, "--subresource=status"}, "", true},
		{"alice may not write an instance's status", alice,
			[]string{"patch", "serviceinstances.servicecatalog.k8s.io", "--subresource=status", "-n", teamA},
			[]string{"patch", "si", "alice-db", "-n", teamA, "--subresource=status", "--type=merge", "-p", `{"status":{"observedGeneration":7}}`}, "", false},
		{"alice may not create an instance in team-b", alice,
			[]string{"create", "serviceinstances.servicecatalog.k8s.io", "-n", teamB},
			[]string{"create", "-n", teamB, "-f", "-"}, instance, false},
		{"alice may not list instances in team-b", alice,
			[]string{"list", "serviceinstances.servicecatalog.k8s.io", "-n", teamB},
			[]string{"get", "si", "-n", teamB}, "", false},
		{"alice may not list bindings in team-b", alice,
			[]string{"list", "servicebindings.servicecatalog.k8s.io", "-n", teamB},
			[]string{"get", "sb", "-n", teamB}, "", false},
		{"alice lists classes", alice,
			[]string{"list", "clusterserviceclasses.servicecatalog.k8s.io"},
			[]string{"get", "csc"}, "", true},
		{"alice lists plans", alice,
			[]string{"list", "clusterserviceplans.servicecatalog.k8s.io"},
			[]string{"get", "csp"}, "", true},
		{"alice may not create a broker", alice,
			[]string{"create", "clusterservicebrokers.servicecatalog.k8s.io"},
			[]string{"create", "-f", "-"}, strings.Replace(brokerManifest(t), "name: "+demoBrokerName, "name: alice-broker", 1), false},
		{"alice may not list brokers", alice,
			[]string{"list", "clusterservicebrokers.servicecatalog.k8s.io"},
			[]string{"get", "csb"}, "", false},
		{"alice may not delete a class", alice,
			[]string{"delete", "clusterserviceclasses.servicecatalog.k8s.io"},
			[]string{"delete", "csc", demoClass, "--dry-run=server"}, "", false},
		{"bob lists classes", bob,
			[]string{"list", "clusterserviceclasses.servicecatalog.k8s.io"},
			[]string{"get", "csc"}, "", true},
		{"bob may not list instances in team-a", bob,
			[]string{"list", "serviceinstances.servicecatalog.k8s.io", "-n", teamA},
			[]string{"get", "si", "-n", teamA}, "", false},
		// Deleting last: the binding before its instance.
		{"alice deletes a binding in team-a", alice,
			[]string{"delete", "servicebindings.servicecatalog.k8s.io", "-n", teamA},
			[]string{"delete", "sb", "alice-db-credentials", "-n", teamA, "--wait=false"}, "", true},
		{"alice deletes an instance in team-a", alice,
			[]string{"delete", "serviceinstances.servicecatalog.k8s.io", "-n", teamA},
			[]string{"delete", "si", "alice-db", "-n", teamA, "--wait=false"}, "", true},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
		if c.name == "alice creates an instance in team-a" {
			// The server records who asked, for the broker's originating
			// identity.
			got := kubectl(t, admin, "get", "si", "alice-db", "-n", teamA, "-o", "jsonpath={.spec.userInfo.username}")
			if got != alice {
				t.Errorf("spec.userInfo.username of alice's instance = %q, want %q", got, alice)
			}
		}
	}

	// A namespace's own classes and plans: alice reads team-a's, not team-b's,
	// and may not register a broker there; bob reads none.
	for _, c := range []rbacCase{
		namespacedCase(alice, "list", "serviceclasses", teamA, true), namespacedCase(alice, "list", "serviceplans", teamA, true),
		namespacedCase(alice, "list", "serviceclasses", teamB, false), namespacedCase(bob, "list", "serviceclasses", teamA, false),
		namespacedCase(alice, "create", "servicebrokers", teamA, false),
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}

	// The deletes above were accepted; the objects go once their finalizer is
	// released, by the controller manager or, without it, by an admin.
	for _, obj := range []string{"servicebinding/alice-db-credentials", "serviceinstance/alice-db"} {
		if got := kubectl(t, admin, "get", obj, "-n", teamA, "--ignore-not-found", "-o", "name"); got == "" {
			continue // gone already
		}
		released := instanceLoop()
		if strings.HasPrefix(obj, "servicebinding/") {
			released = bindingLoop(t)
		}
		if !released {
			ts := kubectl(t, admin, "get", obj, "-n", teamA, "-o", "jsonpath={.metadata.deletionTimestamp}")
			if ts == "" {
				t.Errorf("%s has no deletionTimestamp after alice deleted it", obj)
			}
			stripFinalizers(t, teamA, obj)
		}
		eventually(t, pollTimeout, obj+" going away", func() (bool, string) {
			out, errOut, err := runKubectl(t, admin, "", "get", obj, "-n", teamA, "--ignore-not-found", "-o", "name")
			return err == nil && out == "", out + errOut
		})
	}
}

// rbacCase is a request to make as a user, and whether RBAC allows it.
type rbacCase struct {
	name    string
	user    string
	canI    []string // `kubectl auth can-i` arguments
	do      []string // the request itself
	stdin   string
	allowed bool
}

// check asks `kubectl auth can-i` and makes the request, as the case's user, and fails
// the test unless both answer as the case expects.
func (c rbacCase) check(t *testing.T) {
	t.Helper()
	canI, errOut, err := runKubectl(t, c.user, "", append([]string{"auth", "can-i"}, c.canI...)...)
	want := map[bool]string{true: "yes", false: "no"}[c.allowed]
	if got := strings.TrimSpace(canI); got != want || exitCode(err) != map[bool]int{true: 0, false: 1}[c.allowed] {
		t.Errorf("kubectl auth can-i %s (as %s) = %q, exit %d, want %s: %s", strings.Join(c.canI, " "), c.user, got, exitCode(err), want, errOut)
	}
	out, errOut, err := runKubectl(t, c.user, c.stdin, c.do...)
	switch {
	case c.allowed && err != nil:
		t.Errorf("kubectl %s (as %s) failed, want allowed: %v\n%s%s", strings.Join(c.do, " "), c.user, err, out, errOut)
	case !c.allowed && (err == nil || !isForbidden(errOut)):
		t.Errorf("kubectl %s (as %s): err=%v, want Forbidden:\n%s%s", strings.Join(c.do, " "), c.user, err, out, errOut)
	}
}

// namespacedCase is a user listing, or creating (a broker), a namespaced catalog resource
// in a namespace. The requests name the resources in full.
func namespacedCase(user, verb, resource, namespace string, allowed bool) rbacCase {
	c := rbacCase{
		name: fmt.Sprintf("%s %s %s in %s", user, verb, resource, namespace), user: user, allowed: allowed,
		canI: []string{verb, resource + ".servicecatalog.k8s.io", "-n", namespace},
		do:   []string{"get", resource, "-n", namespace},
	}
	if verb == "create" {
		c.do, c.stdin = []string{"create", "-n", namespace, "-f", "-"}, namespacedBrokerManifest(user+"-broker")
	}
	return c
}
