// Package node runs the catalog the way users run it: the shipped manifests,
// applied with kubectl to a cluster whose node is this machine (see
// test/framework/nodecluster). hack/test-node.sh runs the test binary in
// network and mount namespaces of its own.
package node

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kube-service-catalog/catalog/test/framework/nodecluster"
)

func TestMain(m *testing.M) {
	if os.Getenv(nodecluster.EnvInNamespaces) != "1" {
		fmt.Fprintln(os.Stderr, "test/node starts a kubelet and changes the network: it runs only in namespaces of its own, through make test-node (hack/test-node.sh)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// startCluster starts a cluster with this machine as its node, stopped at
// cleanup.
func startCluster(t *testing.T) *nodecluster.Cluster {
	t.Helper()
	c, err := nodecluster.Start(t.Context(), nodecluster.Options{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	return c
}

// kubectl runs kubectl as the cluster's admin and fails the test if it fails.
func kubectl(t *testing.T, c *nodecluster.Cluster, stdin string, args ...string) string {
	t.Helper()
	out, err := c.Kubectl(t.Context(), stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func repoPath(t *testing.T, path string) string {
	t.Helper()
	p, err := nodecluster.RepoPath(path)
	must(t, err)
	return p
}

// provisionAndBind registers the test broker (once), then provisions the
// example instance as name in team-a, binds it, and checks the credentials.
func provisionAndBind(t *testing.T, c *nodecluster.Cluster, name string) {
	t.Helper()
	must(t, c.RegisterTestBroker(t.Context()))
	if _, err := c.Kubectl(t.Context(), "", "get", "namespace", "team-a"); err != nil {
		kubectl(t, c, "", "create", "namespace", "team-a")
	}
	for _, example := range []string{"instance.yaml", "binding.yaml"} {
		manifest, err := os.ReadFile(repoPath(t, "artifacts/examples/"+example))
		must(t, err)
		kubectl(t, c, strings.ReplaceAll(string(manifest), "demo-db", name), "apply", "-n", "team-a", "-f", "-")
	}
	ready(t, c, "serviceinstance/"+name, "servicebinding/"+name+"-credentials")
	secret := kubectl(t, c, "", "get", "secret", "-n", "team-a", name+"-credentials", "-o", "jsonpath={.data}")
	if !strings.Contains(secret, "password") {
		t.Errorf("the binding's Secret holds %s, want credentials", secret)
	}
	t.Logf("%s provisioned and bound; the binding's Secret holds credentials", name)
}

// unbindAndDeprovision deletes the binding and the instance name, and checks
// that the credentials went with the binding.
func unbindAndDeprovision(t *testing.T, c *nodecluster.Cluster, name string) {
	t.Helper()
	kubectl(t, c, "", "delete", "-n", "team-a", "servicebinding/"+name+"-credentials", "serviceinstance/"+name, "--timeout=3m")
	if out, err := c.Kubectl(t.Context(), "", "get", "secret", "-n", "team-a", name+"-credentials"); err == nil {
		t.Errorf("the binding's Secret outlived the binding:\n%s", out)
	}
}

// ready waits until the objects in team-a are Ready.
func ready(t *testing.T, c *nodecluster.Cluster, objects ...string) {
	t.Helper()
	kubectl(t, c, "", append([]string{"wait", "-n", "team-a", "--for=condition=Ready", "--timeout=3m"}, objects...)...)
}
