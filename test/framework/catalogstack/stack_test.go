package catalogstack_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// TestDefaultComponents checks the component list against the repository:
// the controller manager is run exactly when its command exists.
func TestDefaultComponents(t *testing.T) {
	root, err := kubecluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat(filepath.Join(root, "cmd", "controller-manager"))
	got := catalogstack.DefaultComponents()
	for _, c := range []catalogstack.Component{catalogstack.APIServer, catalogstack.TestBroker} {
		if !slices.Contains(got, c) {
			t.Errorf("DefaultComponents() = %v, want %s in it", got, c)
		}
		if !catalogstack.Buildable(c) {
			t.Errorf("Buildable(%s) = false", c)
		}
	}
	if has := slices.Contains(got, catalogstack.ControllerManager); has != (statErr == nil) {
		t.Errorf("DefaultComponents() = %v with cmd/controller-manager present=%v", got, statErr == nil)
	}
}

// TestStackOnGivenCluster runs the API server and the test broker next to a
// cluster the test started, and checks what tests rely on: the API is served
// through the aggregator with delegated authorization, a restarted API server
// keeps its data and port, a restarted broker keeps its URL, and Stop removes
// the APIService and stops every process of the stack but leaves the cluster
// running.
func TestStackOnGivenCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster; runs in the e2e tier")
	}
	c := kubecluster.Start(t, kubecluster.Options{})
	s := catalogstack.Start(t, catalogstack.Options{
		Cluster:    c,
		Components: []catalogstack.Component{catalogstack.APIServer, catalogstack.TestBroker},
	})
	t.Logf("stack started in %s", s.StartupDuration)
	ctx := t.Context()

	broker := `{"apiVersion": "servicecatalog.k8s.io/v1beta1", "kind": "ClusterServiceBroker",
		"metadata": {"name": "stack-test"}, "spec": {"url": "` + s.BrokerURL + `"}}`
	if _, err := s.KubectlWithInput(ctx, "admin", strings.NewReader(broker), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	// alice has no rights beyond reading the catalog: the 403 comes from our
	// server's SubjectAccessReview against kube-apiserver.
	if _, err := s.Kubectl(ctx, "alice", "get", "serviceinstances", "-n", "default"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("alice listing instances: got %v, want Forbidden", err)
	}
	if _, err := s.Kubectl(ctx, "alice", "get", "clusterserviceclasses"); err != nil {
		t.Errorf("alice listing classes: %v", err)
	}
	// A namespace's own classes are not the cluster's marketplace: only the namespace's
	// roles read them.
	if _, err := s.Kubectl(ctx, "alice", "get", "serviceclasses", "-n", "default"); err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Errorf("alice listing the classes of namespace default: got %v, want Forbidden", err)
	}
	checkBroker(t, s.BrokerURL)

	t.Run("API server restart keeps data and port", func(t *testing.T) {
		before, _ := s.Process(catalogstack.APIServer)
		port := s.APIServerPort
		if err := s.RestartComponent(ctx, catalogstack.APIServer); err != nil {
			t.Fatal(err)
		}
		after, _ := s.Process(catalogstack.APIServer)
		if after.PID == before.PID || !s.Running(catalogstack.APIServer) {
			t.Errorf("API server pid %d -> %d, running=%v", before.PID, after.PID, s.Running(catalogstack.APIServer))
		}
		if s.APIServerPort != port {
			t.Errorf("port changed from %d to %d", port, s.APIServerPort)
		}
		out, err := s.Kubectl(ctx, "admin", "get", "clusterservicebroker", "stack-test", "-o", "jsonpath={.spec.url}")
		if err != nil || out != s.BrokerURL {
			t.Errorf("broker after restart: %q, %v", out, err)
		}
	})

	t.Run("broker restart keeps URL", func(t *testing.T) {
		url := s.BrokerURL
		if err := s.RestartComponent(ctx, catalogstack.TestBroker); err != nil {
			t.Fatal(err)
		}
		if s.BrokerURL != url {
			t.Errorf("BrokerURL changed from %s to %s", url, s.BrokerURL)
		}
		checkBroker(t, s.BrokerURL)
	})

	t.Run("stop", func(t *testing.T) {
		procs := s.Processes()
		if len(procs) != 2 {
			t.Errorf("Processes() = %v, want the API server and the broker only", procs)
		}
		if err := s.Stop(); err != nil {
			t.Fatal(err)
		}
		for _, p := range procs {
			if err := syscall.Kill(p.PID, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("%s (pid %d) still exists after Stop: %v", p.Name, p.PID, err)
			}
		}
		admin := c.Clientset("admin")
		if _, err := admin.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
			t.Errorf("the cluster does not answer after the stack stopped: %v", err)
		}
		// The APIService is gone at once, so discovery stays complete.
		if _, _, err := s.APIServiceAvailable(ctx); !apierrors.IsNotFound(err) {
			t.Errorf("APIService after Stop: %v, want NotFound", err)
		}
		// And the cluster's discovery is whole again.
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 30*time.Second, true, func(_ context.Context) (bool, error) {
			_, err := admin.Discovery().ServerPreferredResources()
			return err == nil, nil
		})
		if err != nil {
			t.Errorf("discovery incomplete after Stop: %v", err)
		}
	})
}

// checkBroker asserts that the test broker answers at url.
func checkBroker(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("broker: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("broker /healthz: %s", resp.Status)
	}
}
