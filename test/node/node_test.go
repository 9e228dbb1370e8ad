// Package node runs the catalog the way users run it: the shipped manifests,
// applied with kubectl to a cluster whose node is this machine (kubelet and
// kube-proxy built from the pinned Kubernetes release, containerd built from
// its Go module, runc and the CNI bridge plugins from Debian), the images
// loaded from the tarballs make image writes. hack/test-node.sh runs the test
// binary in network and mount namespaces of its own: everything listens inside
// them only, and nothing the pods mount outlives the test.
package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// The node's addresses, inside the test's network namespace.
const (
	nodeName = "catalog-node"
	// nodeIP is the node's address: kube-apiserver's advertise address, the
	// cluster DNS, and where pods reach the host.
	nodeIP = "10.200.0.1"
	// podCIDR is the pods' network, on the bridge cni0.
	podCIDR = "10.244.0.0/24"
	// serviceCIDR holds the Services' cluster IPs; kubernetesServiceIP is the
	// first, the kubernetes Service's.
	serviceCIDR         = "10.96.0.0/24"
	kubernetesServiceIP = "10.96.0.1"
)

// envInNamespaces is set by hack/test-node.sh once the test binary runs in its
// own network and mount namespaces.
const envInNamespaces = "CATALOG_NODE_NAMESPACES"

func TestMain(m *testing.M) {
	if os.Getenv(envInNamespaces) != "1" {
		fmt.Fprintln(os.Stderr, "test/node starts a kubelet and changes the network: it runs only in namespaces of its own, through make test-node (hack/test-node.sh)")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// poll calls cond every second until it reports true, failing the test with
// what and cond's last message after timeout.
func poll(t *testing.T, timeout time.Duration, what string, cond func(ctx context.Context) (bool, string)) {
	t.Helper()
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		ok, msg := cond(ctx)
		last = msg
		return ok, nil
	})
	if err != nil {
		t.Fatalf("%s: not within %s: %s", what, timeout, last)
	}
}

// run runs a command and fails the test if it fails.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// setUpNetwork gives the test's network namespace the node's address on a
// bridge of its own, a default route through it (the kubelet takes the node's
// address from it), forwarding, and bridged traffic through iptables (replies
// of a Service's pod to a pod on the same bridge are un-NATed by kube-proxy's
// rules).
func setUpNetwork(t *testing.T) {
	t.Helper()
	run(t, "ip", "link", "set", "lo", "up")
	run(t, "ip", "link", "add", "node0", "type", "bridge")
	run(t, "ip", "addr", "add", nodeIP+"/32", "dev", "node0")
	run(t, "ip", "link", "set", "node0", "up")
	run(t, "ip", "route", "add", "default", "dev", "node0")
	for path, value := range map[string]string{
		"/proc/sys/net/ipv4/ip_forward":                "1",
		"/proc/sys/net/bridge/bridge-nf-call-iptables": "1",
	} {
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			t.Fatalf("setting %s: %v", path, err)
		}
	}
}

// startCluster starts etcd, kube-apiserver (serving on every address of the
// namespace, advertising the node's) and kube-controller-manager with every
// controller, as a cluster with nodes needs.
func startCluster(t *testing.T) *kubecluster.Cluster {
	t.Helper()
	users := append(kubecluster.DefaultUsers(),
		kubecluster.User{Name: "node", CommonName: "system:node:" + nodeName, Groups: []string{"system:nodes", "system:masters"}})
	return kubecluster.Start(t, kubecluster.Options{
		Users:      users,
		ServingIPs: []net.IP{net.ParseIP(nodeIP), net.ParseIP(kubernetesServiceIP)},
		KubeAPIServerArgs: []string{
			"--bind-address=0.0.0.0",
			"--advertise-address=" + nodeIP,
			"--endpoint-reconciler-type=lease",
			"--service-cluster-ip-range=" + serviceCIDR,
		},
		ControllerManagerArgs: []string{"--controllers=*"},
		StartTimeout:          3 * time.Minute,
	})
}

// waitNodeReady waits until the node has registered and is Ready.
func waitNodeReady(t *testing.T, c *kubecluster.Cluster) {
	t.Helper()
	cs := c.Clientset("admin")
	poll(t, 3*time.Minute, "node "+nodeName+" Ready", func(ctx context.Context) (bool, string) {
		n, err := cs.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				return cond.Status == corev1.ConditionTrue, cond.Reason + ": " + cond.Message
			}
		}
		return false, "no Ready condition"
	})
}

// repoPath returns path inside the repository.
func repoPath(t *testing.T, path string) string {
	t.Helper()
	root, err := kubecluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, path)
}
