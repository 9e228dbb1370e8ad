package e2e

import (
	"strings"
	"testing"
)

// TestSecretAccessCheck: the controller reads the Secrets that instances,
// bindings and brokers name on behalf of whoever wrote them, so the API
// server refuses to let a user name a Secret they may not read
// (SecretAccessCheck, a SubjectAccessReview per Secret). In
// secret-access-restricted alice holds a Role that manages instances,
// bindings and the namespace's own brokers but not Secrets; in
// secret-access-edit bob holds the built-in edit role, which reads Secrets,
// and bob may manage brokers (service-catalog:broker-admin) without reading
// Secrets elsewhere.
func TestSecretAccessCheck(t *testing.T) {
	requireStack(t)
	const restricted, editable = "secret-access-restricted", "secret-access-edit"
	createNamespace(t, restricted)
	createNamespace(t, editable)
	ensureDemoBroker(t)
	for _, ns := range []string{restricted, editable} {
		kubectlIn(t, admin, `apiVersion: v1
kind: Secret
metadata:
  name: db-params
  namespace: `+ns+`
stringData:
  params: '{"storageGB": 10}'
`, "apply", "-f", "-")
	}
	kubectlIn(t, admin, `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: catalog-user
  namespace: `+restricted+`
rules:
- apiGroups: [servicecatalog.k8s.io]
  resources: [serviceinstances, servicebindings, servicebrokers]
  verbs: ["*"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-catalog-user
  namespace: `+restricted+`
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: catalog-user
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: alice
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: bob-edit
  namespace: `+editable+`
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: edit
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: bob
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: secret-access-bob-broker-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: service-catalog:broker-admin
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: bob
`, "apply", "-f", "-")
	t.Cleanup(func() {
		_, _, _ = runKubectl(t, admin, "", "delete", "clusterrolebinding", "secret-access-bob-broker-admin", "--ignore-not-found")
	})
	// RBAC reaches kube-apiserver's authorizer through an informer.
	for _, c := range []struct{ user, verb, resource, ns string }{
		{alice, "create", "serviceinstances.servicecatalog.k8s.io", restricted},
		{bob, "create", "serviceinstances.servicecatalog.k8s.io", editable},
		{bob, "update", "clusterservicebrokers.servicecatalog.k8s.io", ""},
	} {
		eventually(t, pollTimeout, c.user+"'s RBAC taking effect", func() (bool, string) {
			args := []string{"auth", "can-i", c.verb, c.resource}
			if c.ns != "" {
				args = append(args, "-n", c.ns)
			}
			out, errOut, _ := runKubectl(t, c.user, "", args...)
			return strings.TrimSpace(out) == "yes", out + errOut
		})
	}

	refused := func(t *testing.T, user, stdin, want string, args ...string) {
		t.Helper()
		out, errOut, err := runKubectl(t, user, stdin, args...)
		if err == nil || !isForbidden(errOut) || !strings.Contains(errOut, want) {
			t.Errorf("kubectl %s (as %s): err=%v, want Forbidden saying %s:\n%s%s", strings.Join(args, " "), user, err, want, out, errOut)
		}
	}

	t.Run("instance", func(t *testing.T) {
		instance := secretAccessInstance("db", "db-params")
		refused(t, alice, instance, `spec.parametersFrom[0].secretKeyRef.name: user "alice" cannot get Secret "db-params" in namespace "`+restricted+`"`,
			"create", "-n", restricted, "-f", "-")
		kubectlIn(t, admin, instance, "create", "-n", restricted, "-f", "-")
		kubectlIn(t, bob, instance, "create", "-n", editable, "-f", "-")

		// alice may label the admin's instance, but not change its spec: the
		// controller would send the values of Secrets she cannot read, the one
		// already named and any new one, on her behalf. Both are named.
		kubectl(t, alice, "label", "si", "db", "-n", restricted, "touched-by=alice")
		refused(t, alice, "", `spec.parametersFrom[0].secretKeyRef.name: user "alice" cannot get Secret "db-params" in namespace "`+restricted+`"; `+
			`spec.parametersFrom[1].secretKeyRef.name: user "alice" cannot get Secret "other-params"`,
			"patch", "si", "db", "-n", restricted, "--type=merge", "-p",
			`{"spec":{"parametersFrom":[{"secretKeyRef":{"name":"db-params","key":"params"}},{"secretKeyRef":{"name":"other-params","key":"params"}}]}}`)
	})

	t.Run("binding", func(t *testing.T) {
		binding := bindingManifest("db-credentials", "db") + `  secretTransforms:
  - addKeysFrom:
      secretRef:
        name: db-params
`
		refused(t, alice, binding, `spec.secretTransforms[0].addKeysFrom.secretRef: user "alice" cannot get Secret "db-params"`,
			"create", "-n", restricted, "-f", "-")
		kubectlIn(t, admin, binding, "create", "-n", restricted, "-f", "-", "--dry-run=server")
	})

	t.Run("broker", func(t *testing.T) {
		// An unreachable URL: the controller, if it runs, publishes nothing.
		broker := func(name, url string) string {
			return `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ClusterServiceBroker
metadata:
  name: ` + name + `
spec:
  url: ` + url + `
  authInfo:
    basic:
      secretRef:
        namespace: ` + restricted + `
        name: db-params
`
		}
		refused(t, bob, broker("secret-access-bobs", "https://broker.invalid"),
			`spec.authInfo.basic.secretRef: user "bob" cannot get Secret "db-params" in namespace "`+restricted+`"`, "create", "-f", "-")

		kubectlIn(t, admin, broker("secret-access-shared", "https://broker.invalid"), "create", "-f", "-")
		t.Cleanup(func() {
			_, _, _ = runKubectl(t, admin, "", "delete", "csb", "secret-access-shared", "--wait=false", "--ignore-not-found")
			// Nothing was fetched from it, so nothing is left to clean up.
			_, _, _ = runKubectl(t, admin, "", "patch", "csb", "secret-access-shared", "--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
		})
		// Pointing the admin's broker elsewhere would send its credentials there.
		refused(t, bob, "", `spec.authInfo.basic.secretRef: user "bob" cannot get Secret "db-params"`,
			"patch", "csb", "secret-access-shared", "--type=merge", "-p", `{"spec":{"url":"https://attacker.invalid"}}`)
	})

	t.Run("namespaced broker", func(t *testing.T) {
		// alice may register a broker of her namespace, but not one that would send
		// the controller off with a Secret of that namespace she may not read.
		broker := namespacedBrokerManifest("alices-broker", "db-params")
		refused(t, alice, broker, `spec.authInfo.basic.secretRef: user "alice" cannot get Secret "db-params" in namespace "`+restricted+`"`,
			"create", "-n", restricted, "-f", "-")
		kubectlIn(t, alice, namespacedBrokerManifest("alices-broker"), "create", "-n", restricted, "-f", "-", "--dry-run=server")
		kubectlIn(t, admin, broker, "create", "-n", restricted, "-f", "-", "--dry-run=server")
	})
}

// namespacedBrokerManifest returns a ServiceBroker whose URL resolves nowhere,
// authenticating with basic auth from the Secret of its namespace called
// secret, if not "".
func namespacedBrokerManifest(name string, secret ...string) string {
	m := `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ServiceBroker
metadata:
  name: ` + name + `
spec:
  url: https://broker.invalid
  relistBehavior: Manual
`
	for _, s := range secret {
		m += "  authInfo:\n    basic:\n      secretRef:\n        name: " + s + "\n"
	}
	return m
}

// secretAccessInstance returns an instance of the demo plan taking its
// parameters from the key "params" of the given Secrets.
func secretAccessInstance(name string, secrets ...string) string {
	m := instanceManifest(name, "{}")
	if len(secrets) > 0 {
		m += "  parametersFrom:\n"
		for _, s := range secrets {
			m += "  - secretKeyRef:\n      name: " + s + "\n      key: params\n"
		}
	}
	return m
}
