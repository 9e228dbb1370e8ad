package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// TestNamespaceDeletion: deleting a namespace that holds
// catalog objects completes. kube-controller-manager's namespace controller
// deletes the instance and binding through the aggregator; their finalizer
// (servicecatalog.k8s.io/finalizer) holds them until the catalog's
// controller manager has unbound and deprovisioned at the broker; then the
// namespace goes. The APIService stays Available throughout.
func TestNamespaceDeletion(t *testing.T) {
	requireStack(t)
	if !stack.Has(catalogstack.ControllerManager) {
		t.Skip("needs the controller-manager: only it releases the finalizers (see TestNamespaceDeletionWithoutController)")
	}
	const ns = "e2e-doomed"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	kubectlIn(t, admin, instanceManifest("doomed-db", "{storageGB: 10}"), "apply", "-n", ns, "-f", "-")
	objects := []string{"serviceinstance/doomed-db"}
	if bindingLoop(t) {
		kubectlIn(t, admin, bindingManifest("doomed-db-credentials", "doomed-db"), "apply", "-n", ns, "-f", "-")
		objects = append(objects, "servicebinding/doomed-db-credentials")
	} else {
		t.Log("no binding loop yet (pkg/controller/servicebinding): the namespace holds an instance only")
	}
	// Provisioned first, so that the deletion has a broker call to make.
	kubectl(t, admin, "wait", "--for=condition=Ready", "serviceinstance/doomed-db", "-n", ns, "--timeout="+pollTimeout.String())
	id := kubectl(t, admin, "get", "serviceinstance/doomed-db", "-n", ns, "-o", "jsonpath={.spec.externalID}")
	if !brokerHolds(t, id) {
		t.Fatalf("the broker does not hold instance %s although it is Ready", id)
	}

	kubectl(t, admin, "delete", "namespace", ns, "--wait=false")
	waitNamespaceGone(t, ns, nil)
	// The objects went through the controller, which deprovisioned at the
	// broker.
	if brokerHolds(t, id) {
		t.Errorf("the broker still holds instance %s of the deleted namespace", id)
	}
	for _, obj := range objects {
		if out := kubectl(t, admin, "get", obj, "-n", ns, "--ignore-not-found", "-o", "name"); out != "" {
			t.Errorf("%s outlived its namespace", obj)
		}
	}
}

// brokerHolds reports whether the test broker holds the instance id.
func brokerHolds(t *testing.T, id string) bool {
	t.Helper()
	resp, err := http.Get(stack.BrokerURL + "/admin/instances")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var instances []struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&instances); err != nil {
		t.Fatalf("GET /admin/instances: %s: %v", resp.Status, err)
	}
	for _, i := range instances {
		if i.ID == id {
			return true
		}
	}
	return false
}

// TestNamespaceDeletionWithoutController documents what happens when no
// catalog controller manager runs: the namespace controller deletes the
// catalog objects (they get a deletionTimestamp, reached through the
// aggregator) but their finalizer keeps them, and the namespace stays
// Terminating with NamespaceFinalizersRemaining naming the catalog's
// finalizer, while the APIService stays Available. Removing the finalizers,
// as an admin would (docs/local-up.md), lets the namespace go.
func TestNamespaceDeletionWithoutController(t *testing.T) {
	requireStack(t)
	if stack.Has(catalogstack.ControllerManager) {
		stopControllerManager(t) // started again when the test ends
	}
	const ns = "e2e-stuck"
	createNamespace(t, ns)
	ensureDemoBroker(t)
	kubectlIn(t, admin, instanceManifest("stuck-db", "{}"), "apply", "-n", ns, "-f", "-")
	kubectlIn(t, admin, bindingManifest("stuck-db-credentials", "stuck-db"), "apply", "-n", ns, "-f", "-")
	objects := []string{"serviceinstance/stuck-db", "servicebinding/stuck-db-credentials"}

	kubectl(t, admin, "delete", "namespace", ns, "--wait=false")
	for _, obj := range objects {
		eventually(t, pollTimeout, "the namespace controller deleting "+obj, func() (bool, string) {
			out, errOut, err := runKubectl(t, admin, "", "get", obj, "-n", ns, "-o", "jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}")
			return err == nil && strings.Contains(out, "servicecatalog.k8s.io/finalizer") && !strings.HasPrefix(out, " "), out + errOut
		})
	}
	eventually(t, pollTimeout, "namespace "+ns+" reporting the catalog's finalizer", func() (bool, string) {
		out, errOut, _ := runKubectl(t, admin, "", "get", "namespace", ns, "-o",
			`jsonpath={.status.phase} {.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].message}`)
		return strings.HasPrefix(out, "Terminating") && strings.Contains(out, "servicecatalog.k8s.io/finalizer"), out + errOut
	})
	checkAPIServiceAvailable(t)

	for _, obj := range objects {
		stripFinalizers(t, ns, obj)
	}
	waitNamespaceGone(t, ns, nil)
}

// waitNamespaceGone waits until namespace ns no longer exists, checking on
// every poll that the catalog's APIService is Available (an unavailable
// aggregated API would itself block namespace deletion cluster-wide) and
// calling each, if not nil.
func waitNamespaceGone(t *testing.T, ns string, each func()) {
	t.Helper()
	start := time.Now()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 500*time.Millisecond, 3*time.Minute, true, func(ctx context.Context) (bool, error) {
		if ok, cond, err := stack.APIServiceAvailable(ctx); (err != nil && ctx.Err() == nil) || (err == nil && !ok) {
			t.Errorf("APIService not Available while namespace %s is deleted: %s %v", ns, cond, err)
		}
		out, errOut, err := runKubectl(t, admin, "", "get", "namespace", ns, "--ignore-not-found", "-o",
			`jsonpath={.status.phase} {.status.conditions[?(@.status=="True")].message}`)
		if err != nil {
			last = errOut
			return false, nil
		}
		if out == "" {
			return true, nil
		}
		last = out
		if each != nil {
			each()
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("namespace %s still exists after %s: %v (last: %s)", ns, time.Since(start).Round(time.Second), err, last)
	}
	t.Logf("namespace %s deleted in %s", ns, time.Since(start).Round(100*time.Millisecond))
}
