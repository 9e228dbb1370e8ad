package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// TestKubectlCatalogPlugin: alice, who holds edit in her namespace, uses the service
// catalog through the kubectl catalog plugin, built and put on PATH as a user installs
// it: the marketplace, provision and bind with --wait, the whole story in describe and
// tree, touch and rotate, server dry-run and the API server's refusals as they are,
// then unbind and deprovision until both are gone.
func TestKubectlCatalogPlugin(t *testing.T) {
	requireStack(t)
	if !bindingLoop(t) {
		t.Skip("needs the controller-manager with the binding loop")
	}
	plugin := buildPlugin(t)
	const ns = "plugin"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	kubectlIn(t, admin, strings.ReplaceAll(roleBinding("alice-edit", ns, "edit"), "name: bob", "name: alice"), "apply", "-f", "-")
	eventually(t, pollTimeout, "alice's edit role taking effect", func() (bool, string) {
		out, errOut, _ := runKubectl(t, alice, "", "auth", "can-i", "create", "serviceinstances.servicecatalog.k8s.io", "-n", ns)
		return strings.TrimSpace(out) == "yes", out + errOut
	})
	catalog := func(user string, args ...string) string {
		t.Helper()
		out, errOut, err := plugin.run(user, args...)
		if err != nil {
			t.Fatalf("kubectl catalog %s (as %s): %v\n%s%s", strings.Join(args, " "), user, err, out, errOut)
		}
		return out
	}

	out := catalog(alice, "marketplace", "-n", ns)
	wantLines(t, "marketplace as alice", out, []string{"CLASS", "PLAN", "PRICE", "SCHEMA", "BROKER"}, []string{demoClass, demoPlan, "free", "yes", demoBrokerName})
	out = catalog(admin, "marketplace", "-n", ns)
	wantLines(t, "marketplace as admin", out, []string{"BROKER-STATUS"}, []string{demoClass, demoPlan, demoBrokerName, "Ready"})

	// The API server's refusal, as it is; and a server dry run that stores nothing.
	_, errOut, err := plugin.run(alice, "provision", "tiny", "--class", demoClass, "--plan", demoPlan, "-p", "storageGB=5", "-n", ns)
	if exitCode(err) != 1 || !strings.Contains(errOut, "Error from server") || !strings.Contains(errOut, "storageGB") {
		t.Errorf("provision with storageGB=5: exit %d, want 1 and the server's message naming storageGB:\n%s", exitCode(err), errOut)
	}
	out = catalog(alice, "provision", "dry", "--class", demoClass, "--plan", demoPlan, "-n", ns, "--dry-run=server")
	if !strings.Contains(out, "serviceinstance.servicecatalog.k8s.io/dry created (server dry run)") {
		t.Errorf("provision --dry-run=server printed %q", out)
	}
	if _, errOut, err := runKubectl(t, alice, "", "get", "si", "dry", "-n", ns); err == nil || !strings.Contains(errOut, "NotFound") {
		t.Errorf("a server dry run stored the instance: %v %s", err, errOut)
	}

	out = catalog(alice, "provision", "db", "--class", demoClass, "--plan", demoPlan, "-p", "storageGB=20", "-n", ns, "--wait")
	wantContains(t, "provision --wait", out, "serviceinstance.servicecatalog.k8s.io/db created", "serviceinstance/db is Ready: ")
	out = catalog(alice, "bind", "db-creds", "--instance", "db", "-n", ns, "--wait")
	wantContains(t, "bind --wait", out, "servicebinding/db-creds is Ready: ", "secret/db-creds holds: ", "password")
	password := secretPassword(t, ns, "db-creds")
	// The README's fifth command: the example application mounts the Secret.
	kubectl(t, alice, "apply", "--dry-run=server", "-n", ns, "-f", repoFile(t, "artifacts/examples/app/app.yaml"))

	out = catalog(alice, "describe", "instance", "db", "-n", ns)
	wantContains(t, "describe instance", out, "Status:", "Ready", "Class:", demoClass, "Plan:", demoPlan+", free", "Broker:", demoBrokerName,
		"Last Request ID:", "Bindings:", "db-creds", "Conditions:", "ProvisionedSuccessfully", "Events:",
		"Made With:", "plan "+demoPlan+" as fetched", "the broker's entry is unchanged")
	out += catalog(alice, "describe", "binding", "db-creds", "-n", ns)
	wantContains(t, "describe binding", out, "Instance:", "db (Ready)", "Secret:", "password", "Credentials Issued:",
		"Made With:", "the broker's entry is unchanged")
	out += catalog(alice, "tree", "-n", ns)
	wantContains(t, "tree", out, "ClusterServiceBroker "+demoBrokerName, "class "+demoClass, "plan "+demoPlan+" (free)",
		"instance db (Ready)", "binding db-creds (Ready)", "secret db-creds (keys: ")
	t.Logf("kubectl catalog describe and tree:\n%s", out)
	if strings.Contains(out, password) {
		t.Error("describe or tree printed the Secret's password")
	}
	out = catalog(alice, "get", "instances", "-n", ns)
	wantLines(t, "get instances", out, []string{"NAME", "CLASS", "PLAN", "STATUS", "AGE"}, []string{"db", demoClass, demoPlan, "Ready"})

	catalog(alice, "touch", "instance", "db", "-n", ns, "--wait")
	if got := kubectl(t, alice, "get", "si", "db", "-n", ns, "-o", "jsonpath={.spec.updateRequests}"); got != "1" {
		t.Errorf("after touch: spec.updateRequests %q, want 1", got)
	}
	catalog(alice, "rotate", "binding", "db-creds", "-n", ns, "--wait")
	got := kubectl(t, alice, "get", "sb", "db-creds", "-n", ns, "-o", "jsonpath={.spec.rotationRequests} {.status.observedRotationRequests}")
	if got != "1 1" {
		t.Errorf("after rotate: rotationRequests and observedRotationRequests %q, want \"1 1\"", got)
	}
	if secretPassword(t, ns, "db-creds") == password {
		t.Error("rotate --wait returned with the old password in the Secret")
	}

	out = catalog(alice, "unbind", "db-creds", "-n", ns, "--wait")
	wantContains(t, "unbind --wait", out, "servicebinding.servicecatalog.k8s.io/db-creds deleted", "servicebinding/db-creds is gone")
	if _, errOut, err := runKubectl(t, alice, "", "get", "secret", "db-creds", "-n", ns); err == nil || !strings.Contains(errOut, "NotFound") {
		t.Errorf("the Secret outlived its binding: %v %s", err, errOut)
	}
	out = catalog(alice, "deprovision", "db", "-n", ns, "--wait")
	wantContains(t, "deprovision --wait", out, "serviceinstance.servicecatalog.k8s.io/db deleted", "serviceinstance/db is gone")
}

// kubectlPlugin is the kubectl-catalog binary, in a directory of its own.
type kubectlPlugin struct {
	t   *testing.T
	dir string
}

// buildPlugin builds cmd/kubectl-catalog into a temporary directory.
func buildPlugin(t *testing.T) *kubectlPlugin {
	t.Helper()
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "kubectl-catalog"), "./cmd/kubectl-catalog")
	build.Dir = repoFile(t, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/kubectl-catalog: %v\n%s", err, out)
	}
	return &kubectlPlugin{t: t, dir: dir}
}

// run runs "kubectl catalog args..." as user, with the plugin first on PATH and the
// user's kubeconfig in KUBECONFIG, as a user would.
func (p *kubectlPlugin) run(user string, args ...string) (stdout, stderr string, err error) {
	p.t.Helper()
	kubectlPath, err := kubecluster.FindKubectl()
	if err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout+pollTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kubectlPath, append([]string{"catalog"}, args...)...)
	cmd.Env = append(os.Environ(),
		"PATH="+p.dir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"KUBECONFIG="+stack.Cluster.Kubeconfig(user),
		"HOME="+p.dir)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// secretPassword returns the password the Secret name holds.
func secretPassword(t *testing.T, ns, name string) string {
	t.Helper()
	encoded := kubectl(t, admin, "get", "secret", name, "-n", ns, "-o", "jsonpath={.data.password}")
	value, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(value) == 0 {
		t.Fatalf("password of the Secret %s: %q %v", name, encoded, err)
	}
	return string(value)
}

// wantContains fails the test unless out contains every one of want.
func wantContains(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s: no %q in:\n%s", what, w, out)
		}
	}
}

// wantLines fails the test unless out is a table whose header has columns, in order,
// and one of whose rows has cells, in order.
func wantLines(t *testing.T, what, out string, columns, cells []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !containsInOrder(strings.Fields(lines[0]), columns) {
		t.Errorf("%s: header %q, want the columns %v", what, lines[0], columns)
	}
	for _, l := range lines[1:] {
		if containsInOrder(strings.Fields(l), cells) {
			return
		}
	}
	t.Errorf("%s: no row with %v in:\n%s", what, cells, out)
}
