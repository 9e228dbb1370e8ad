package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The demo plan postgresql/small (pkg/broker/democatalog.yaml) has all three
// parameter schemas: instance create allows storageGB from 10 to 100 and no
// parameters besides storageGB and extensions; instance update bounds
// storageGB alike; binding create allows the roles readwrite and readonly.
// The tests below break those rules.

// TestParameterSchemasRefuseParametersThePlanDoesNotAllow: the API server
// checks the parameters of instances and bindings against their plan's JSON
// schemas (ParameterSchemaValidator), so a user hears about a bad parameter
// from kubectl, with a 422 naming the field under spec.parameters and the
// rule it breaks, instead of from the broker later. alice holds the built-in
// edit role in the test's namespace. The subtests build on each other.
func TestParameterSchemasRefuseParametersThePlanDoesNotAllow(t *testing.T) {
	requireStack(t)
	if !instanceLoop() {
		t.Skip("needs the controller manager to publish the demo plans with their schemas")
	}
	const ns = "e2e-parameter-schemas"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	grantEdit(t, ns, alice)
	dir := t.TempDir()

	t.Run("server dry run names the fields and rules and stores nothing", func(t *testing.T) {
		file := writeManifest(t, dir, "instance.yaml", instanceManifest("dry-run-db", "{storageGB: 5, tier: gold}"))
		out, errOut, err := runKubectl(t, alice, "", "apply", "--dry-run=server", "-n", ns, "-f", file, "-v=6")
		if code := responseCode(errOut); err == nil || code != "422" {
			t.Errorf("kubectl apply --dry-run=server of parameters the plan refuses: err=%v, answer %q, want 422:\n%s%s", err, code, out, errOut)
		}
		for _, want := range []string{
			`ServiceInstance "dry-run-db" is invalid`,
			"spec.parameters.storageGB: Invalid value: must be at least 10 (the plan's instance create schema, minimum)",
			"spec.parameters.tier: Forbidden: is not a parameter of this plan (the plan's instance create schema, additionalProperties)",
		} {
			if !strings.Contains(errOut, want) {
				t.Errorf("kubectl apply --dry-run=server printed no %q:\n%s", want, errOut)
			}
		}
		checkNoInstances(t, ns)

		// The same dry run with parameters the plan allows passes, and
		// stores nothing either.
		file = writeManifest(t, dir, "instance.yaml", instanceManifest("dry-run-db", "{storageGB: 50}"))
		if out := kubectl(t, alice, "apply", "--dry-run=server", "-n", ns, "-f", file); !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/dry-run-db created (server dry run)") {
			t.Errorf("kubectl apply --dry-run=server of good parameters printed %q", out)
		}
		checkNoInstances(t, ns)
	})

	// The value in the Secret breaks the plan's maximum; it must not be
	// echoed, as Secrets hold what users do not want in logs and terminals.
	const secretValue = "4321"
	kubectlIn(t, alice, `apiVersion: v1
kind: Secret
metadata:
  name: too-big
stringData:
  params: '{"storageGB": `+secretValue+`}'
---
apiVersion: v1
kind: Secret
metadata:
  name: just-right
stringData:
  params: '{"storageGB": 20}'
`, "apply", "-n", ns, "-f", "-")

	t.Run("parameters from a Secret are checked without showing their values", func(t *testing.T) {
		file := writeManifest(t, dir, "instance.yaml", secretAccessInstance("secret-db", "too-big"))
		out, errOut, err := runKubectl(t, alice, "", "apply", "-n", ns, "-f", file)
		if err == nil || !strings.Contains(errOut, `ServiceInstance "secret-db" is invalid`) ||
			!strings.Contains(errOut, "spec.parameters.storageGB: Invalid value: must be at most 100 (the plan's instance create schema, maximum)") {
			t.Errorf("kubectl apply of an instance whose Secret breaks the schema: err=%v, want it refused naming spec.parameters.storageGB and the maximum:\n%s%s", err, out, errOut)
		}
		if strings.Contains(out+errOut, secretValue) {
			t.Errorf("kubectl printed the Secret's value %s:\n%s%s", secretValue, out, errOut)
		}
		checkNoInstances(t, ns)

		file = writeManifest(t, dir, "instance.yaml", secretAccessInstance("secret-db", "just-right"))
		if out := kubectl(t, alice, "apply", "-n", ns, "-f", file); !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/secret-db created") {
			t.Errorf("kubectl apply of an instance whose Secret fits the schema printed %q", out)
		}
		kubectl(t, alice, "wait", "--for=condition=Ready", "-n", ns, "serviceinstance/secret-db", "--timeout=2m")
	})

	t.Run("a spec change is checked against the update schema", func(t *testing.T) {
		patch := `[{"op": "replace", "path": "/spec/parametersFrom/0/secretKeyRef/name", "value": "too-big"}]`
		out, errOut, err := runKubectl(t, alice, "", "patch", "si", "secret-db", "-n", ns, "--type=json", "-p", patch)
		if err == nil || !strings.Contains(errOut, "spec.parameters.storageGB: Invalid value: must be at most 100 (the plan's instance update schema, maximum)") {
			t.Errorf("kubectl patch of an instance's parameters past the update schema: err=%v, want it refused naming the update schema's maximum:\n%s%s", err, out, errOut)
		}
		if strings.Contains(out+errOut, secretValue) {
			t.Errorf("kubectl printed the Secret's value %s:\n%s%s", secretValue, out, errOut)
		}
		if got := kubectl(t, alice, "get", "si", "secret-db", "-n", ns, "-o", "jsonpath={.metadata.generation} {.spec.parametersFrom[0].secretKeyRef.name}"); got != "1 just-right" {
			t.Errorf("after the refused change: generation and Secret = %q, want \"1 just-right\"", got)
		}
		// A change that is not in the spec is not checked.
		kubectl(t, alice, "label", "si", "secret-db", "-n", ns, "checked=no")
	})

	t.Run("a binding is checked against the binding create schema", func(t *testing.T) {
		binding := bindingManifest("secret-db-credentials", "secret-db") + "  parameters: {role: owner}\n"
		file := writeManifest(t, dir, "binding.yaml", binding)
		out, errOut, err := runKubectl(t, alice, "", "apply", "-n", ns, "-f", file)
		if err == nil || !strings.Contains(errOut, `ServiceBinding "secret-db-credentials" is invalid`) ||
			!strings.Contains(errOut, `spec.parameters.role: Invalid value: must be one of ["readwrite","readonly"] (the plan's binding create schema, enum)`) {
			t.Errorf("kubectl apply of a binding with a role the plan does not offer: err=%v, want it refused naming spec.parameters.role:\n%s%s", err, out, errOut)
		}
		file = writeManifest(t, dir, "binding.yaml", strings.Replace(binding, "role: owner", "role: readonly", 1))
		if out := kubectl(t, alice, "apply", "--dry-run=server", "-n", ns, "-f", file); !strings.Contains(out, "servicebinding.servicecatalog.k8s.io/secret-db-credentials created (server dry run)") {
			t.Errorf("kubectl apply --dry-run=server of a binding with a role the plan offers printed %q", out)
		}
	})
}

// TestParameterSchemasColumnOfWidePlanTables: `kubectl get
// clusterserviceplans -o wide` tells which parameter schemas each plan has,
// so that users know what will be checked before they write parameters.
// Every authenticated user may browse plans (service-catalog:catalog-reader).
func TestParameterSchemasColumnOfWidePlanTables(t *testing.T) {
	requireStack(t)
	if !instanceLoop() {
		t.Skip("needs the controller manager to publish the demo plans with their schemas")
	}
	ensureDemoBroker(t)
	rows := tableRows(t, kubectl(t, alice, "get", "clusterserviceplans", "-o", "wide"))
	want := map[string]string{ // the demo catalog's plans, by external name
		"small":    "create,update,bind",
		"large":    "create,bind",
		"standard": "create",
		"cache":    "<none>",
	}
	got := map[string]string{}
	for _, row := range rows {
		if _, ok := want[row["EXTERNAL-NAME"]]; ok && row["BROKER"] == demoBrokerName {
			got[row["EXTERNAL-NAME"]] = row["SCHEMAS"]
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kubectl get clusterserviceplans -o wide: the SCHEMAS of the demo plans (-want +got):\n%s", diff)
	}
}

// grantEdit binds the built-in edit ClusterRole to users in ns and waits until
// kube-apiserver's authorizer lets them create instances there.
func grantEdit(t *testing.T, ns string, users ...string) {
	t.Helper()
	for _, u := range users {
		kubectlIn(t, admin, `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: `+u+`-edit
  namespace: `+ns+`
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: edit
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: `+u+`
`, "apply", "-f", "-")
	}
	// RBAC reaches kube-apiserver's authorizer through an informer.
	for _, u := range users {
		eventually(t, pollTimeout, u+"'s RoleBinding in "+ns+" taking effect", func() (bool, string) {
			out, errOut, _ := runKubectl(t, u, "", "auth", "can-i", "create", "serviceinstances.servicecatalog.k8s.io", "-n", ns)
			return strings.TrimSpace(out) == "yes", out + errOut
		})
	}
}

// writeManifest writes a manifest into dir as name, for kubectl -f, and
// returns its path.
func writeManifest(t *testing.T, dir, name, manifest string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(manifest), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkNoInstances fails the test unless `kubectl get si` finds no instance
// in ns.
func checkNoInstances(t *testing.T, ns string) {
	t.Helper()
	out, errOut, err := runKubectl(t, admin, "", "get", "si", "-n", ns)
	if err != nil || out != "" || !strings.Contains(errOut, "No resources found in "+ns+" namespace.") {
		t.Errorf("kubectl get si -n %s: err=%v, want no resources:\n%s%s", ns, err, out, errOut)
	}
}

// responseCode returns the HTTP status code of the last request to the
// catalog's API that kubectl logged at -v=6 (a line such as `"Response"
// verb="POST" url="https://.../apis/servicecatalog.k8s.io/..." status="422
// Unprocessable Entity"`), or "".
func responseCode(stderr string) string {
	code := ""
	for _, line := range strings.Split(stderr, "\n") {
		if !strings.Contains(line, `"Response"`) || !strings.Contains(line, "/apis/servicecatalog.k8s.io/") {
			continue
		}
		if _, status, ok := strings.Cut(line, ` status="`); ok {
			code, _, _ = strings.Cut(status, " ")
		}
	}
	return code
}

// tableRows parses a table kubectl printed into rows keyed by column header.
// Cells may hold spaces (descriptions do): columns are cut where the header
// puts them.
func tableRows(t *testing.T, table string) []map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	header := lines[0]
	var starts []int
	for i := range header {
		if header[i] != ' ' && (i == 0 || header[i-1] == ' ') {
			starts = append(starts, i)
		}
	}
	var rows []map[string]string
	for _, line := range lines[1:] {
		row := map[string]string{}
		for c, start := range starts {
			end, headerEnd := len(line), len(header)
			if c+1 < len(starts) {
				end, headerEnd = min(starts[c+1], len(line)), starts[c+1]
			}
			if start < end {
				row[strings.TrimSpace(header[start:headerEnd])] = strings.TrimSpace(line[start:end])
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		t.Fatalf("a table without rows:\n%s", table)
	}
	return rows
}
