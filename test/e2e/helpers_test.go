package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// pollTimeout bounds every wait for the stack to converge.
const pollTimeout = 2 * time.Minute

// Users of the cluster (kubecluster.DefaultUsers): admin is in
// system:masters, alice and bob have no rights of their own.
const (
	admin = "admin"
	alice = "alice"
	bob   = "bob"
)

// The demo catalog's offering and plan the examples use
// (pkg/broker/democatalog.yaml).
const (
	demoClass       = "postgresql"
	demoClassID     = "3f2d7c1e-8a4b-4c6d-9e0f-1a2b3c4d5e00"
	demoPlan        = "small"
	demoPlanID      = "3f2d7c1e-8a4b-4c6d-9e0f-1a2b3c4d5e01"
	demoBrokerName  = "demo-broker"
	exampleInstance = "demo-db"
	exampleBinding  = "demo-db-credentials"
)

// runKubectl runs kubectl as user, with stdin if not empty, for at most
// pollTimeout. (Not bounded by t.Context(), which is cancelled before the
// test's cleanups run, and they use kubectl too.)
func runKubectl(t *testing.T, user, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollTimeout)
	defer cancel()
	cmd, err := stack.Cluster.KubectlCommand(ctx, user, args...)
	if err != nil {
		t.Fatal(err)
	}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// kubectl runs kubectl as user and returns its stdout, failing the test if
// it fails.
func kubectl(t *testing.T, user string, args ...string) string {
	t.Helper()
	return kubectlIn(t, user, "", args...)
}

// kubectlIn is kubectl with stdin.
func kubectlIn(t *testing.T, user, stdin string, args ...string) string {
	t.Helper()
	out, errOut, err := runKubectl(t, user, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s (as %s): %v\n%s%s", strings.Join(args, " "), user, err, out, errOut)
	}
	return out
}

// exitCode returns the exit status of a finished kubectl, 0 for success and
// -1 when it did not run to an exit.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	return -1
}

// isForbidden reports whether kubectl's stderr reports a 403.
func isForbidden(stderr string) bool {
	return strings.Contains(stderr, "(Forbidden)") || strings.Contains(stderr, " is forbidden: ")
}

// eventually polls cond every 250ms until it returns true, failing the test
// with what it last reported after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 250*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		ok, msg := cond()
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: %v (last: %s)", what, err, last)
	}
}

// repoFile returns the path of a file of the repository.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := kubecluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

// readRepoFile returns the content of a file of the repository.
func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(repoFile(t, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// instanceLoop reports whether the stack runs the controller manager, whose
// instance loop provisions instances, sets their Ready condition and removes
// their finalizer once deprovisioned.
func instanceLoop() bool {
	return stack.Has(catalogstack.ControllerManager)
}

// bindingLoop reports whether bindings are handled by a controller too. The
// binding loop comes after the instance loop; this turns the tests that need
// it on once pkg/controller/servicebinding exists.
func bindingLoop(t *testing.T) bool {
	if !instanceLoop() {
		return false
	}
	_, err := os.Stat(repoFile(t, "pkg/controller/servicebinding"))
	return err == nil
}

// createNamespace creates namespace ns as admin and deletes it when the test
// ends (see deleteNamespace).
func createNamespace(t *testing.T, ns string) {
	t.Helper()
	kubectlIn(t, admin, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+ns+"\n", "apply", "-f", "-")
	t.Cleanup(func() { deleteNamespace(t, ns) })
}

// deleteNamespace deletes ns without waiting. Catalog objects that no
// running controller would release lose their finalizer first, so that the
// namespace does not stay Terminating.
func deleteNamespace(t *testing.T, ns string) {
	t.Helper()
	var kinds []string
	if !bindingLoop(t) {
		kinds = append(kinds, "servicebindings")
	}
	if !instanceLoop() {
		kinds = append(kinds, "serviceinstances")
	}
	for _, kind := range kinds {
		out, _, err := runKubectl(t, admin, "", "get", kind, "-n", ns, "-o", "name")
		if err != nil {
			continue
		}
		for _, name := range strings.Fields(out) {
			stripFinalizers(t, ns, name)
		}
	}
	if _, errOut, err := runKubectl(t, admin, "", "delete", "namespace", ns, "--wait=false", "--ignore-not-found"); err != nil {
		t.Errorf("deleting namespace %s: %v\n%s", ns, err, errOut)
	}
}

// stripFinalizers removes every finalizer of the object name (kind/name) in
// ns, as an admin does when no controller will (see docs/local-up.md).
func stripFinalizers(t *testing.T, ns, name string) {
	t.Helper()
	_, errOut, err := runKubectl(t, admin, "", "patch", name, "-n", ns, "--type=merge", "-p", `{"metadata":{"finalizers":null}}`)
	if err != nil && !strings.Contains(errOut, "NotFound") {
		t.Errorf("removing the finalizers of %s/%s: %v\n%s", ns, name, err, errOut)
	}
}

// demoBroker is applied once per package run.
var demoBroker struct {
	sync.Mutex
	done bool
}

// brokerManifest returns artifacts/examples/broker.yaml pointed at the
// stack's test broker instead of the fixed port `make run` uses.
func brokerManifest(t *testing.T) string {
	t.Helper()
	const exampleURL = "http://127.0.0.1:18090"
	m := readRepoFile(t, "artifacts/examples/broker.yaml")
	if !strings.Contains(m, "url: "+exampleURL) {
		t.Fatalf("artifacts/examples/broker.yaml no longer points at %s", exampleURL)
	}
	return strings.Replace(m, "url: "+exampleURL, "url: "+stack.BrokerURL, 1)
}

// ensureDemoBroker applies the example broker (as admin) and makes sure the
// class and plan the examples name exist: with the controller manager, it
// waits until the broker's catalog is published; without it, it creates them
// as the controller would, so that the API can be exercised.
func ensureDemoBroker(t *testing.T) {
	t.Helper()
	demoBroker.Lock()
	defer demoBroker.Unlock()
	if demoBroker.done {
		return
	}
	kubectlIn(t, admin, brokerManifest(t), "apply", "-f", "-")
	if instanceLoop() {
		for _, r := range []struct{ kind, externalName string }{{"clusterserviceclasses", demoClass}, {"clusterserviceplans", demoPlan}} {
			eventually(t, pollTimeout, "the controller publishing "+r.kind+" "+r.externalName, func() (bool, string) {
				out, errOut, err := runKubectl(t, admin, "", "get", r.kind, "--field-selector", "spec.externalName="+r.externalName, "-o", "name")
				return err == nil && strings.TrimSpace(out) != "", out + errOut
			})
		}
	} else {
		kubectlIn(t, admin, `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ClusterServiceClass
metadata:
  name: `+demoClass+`
spec:
  clusterServiceBrokerName: `+demoBrokerName+`
  externalName: `+demoClass+`
  externalID: `+demoClassID+`
  description: PostgreSQL 16 database
  bindable: true
  planUpdatable: true
---
apiVersion: servicecatalog.k8s.io/v1beta1
kind: ClusterServicePlan
metadata:
  name: `+demoClass+`-`+demoPlan+`
spec:
  clusterServiceBrokerName: `+demoBrokerName+`
  clusterServiceClassRef:
    name: `+demoClass+`
  externalName: `+demoPlan+`
  externalID: `+demoPlanID+`
  description: 1 vCPU, 2 GiB memory, 10 GiB storage
  free: true
`, "apply", "-f", "-")
	}
	demoBroker.done = true
}

// instanceManifest returns a ServiceInstance of the demo class and plan.
func instanceManifest(name, parameters string) string {
	return `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ServiceInstance
metadata:
  name: ` + name + `
spec:
  clusterServiceClassExternalName: ` + demoClass + `
  clusterServicePlanExternalName: ` + demoPlan + `
  parameters: ` + parameters + `
`
}

// bindingManifest returns a ServiceBinding to instance.
func bindingManifest(name, instance string) string {
	return `apiVersion: servicecatalog.k8s.io/v1beta1
kind: ServiceBinding
metadata:
  name: ` + name + `
spec:
  instanceRef:
    name: ` + instance + `
`
}

// checkAPIServiceAvailable fails the test unless the catalog's APIService is
// Available now.
func checkAPIServiceAvailable(t *testing.T) {
	t.Helper()
	ok, cond, err := stack.APIServiceAvailable(t.Context())
	if err != nil || !ok {
		t.Errorf("APIService %s: %s %v", catalogstack.APIServiceName, cond, err)
	}
}
