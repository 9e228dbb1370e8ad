// Package nodecluster runs a Kubernetes cluster whose one node is this machine:
// the control plane of kubecluster, plus kube-scheduler, a kubelet and
// kube-proxy built from the pinned release, containerd built from its Go
// module with runc and the CNI bridge plugins from Debian, and a cluster DNS
// for Service names. Pods run the images make image and the package build
// (pause, etcd) from tarballs: no registry is needed.
//
// The caller must run in network and mount namespaces of its own (see
// hack/test-node.sh): the cluster's addresses, the pods' bridge and the
// iptables rules of kube-proxy exist there only, and the mounts the node makes
// vanish with them.
package nodecluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// The node's addresses, inside the caller's network namespace.
const (
	// NodeName is the node's name.
	NodeName = "catalog-node"
	// NodeIP is the node's address: kube-apiserver's advertise address, the
	// cluster DNS, and where pods reach the host.
	NodeIP = "10.200.0.1"
	// PodCIDR is the pods' network, on the bridge cni0.
	PodCIDR = "10.244.0.0/24"
	// ServiceCIDR holds the Services' cluster IPs.
	ServiceCIDR = "10.96.0.0/24"
	// kubernetesServiceIP is the kubernetes Service's cluster IP, the first.
	kubernetesServiceIP = "10.96.0.1"
)

// EnvInNamespaces is set to 1 by hack/test-node.sh once the program runs in
// network and mount namespaces of its own.
const EnvInNamespaces = "CATALOG_NODE_NAMESPACES"

// Options configures a cluster.
type Options struct {
	// ContainerdBinDir holds containerd, containerd-shim-runc-v2 and ctr;
	// empty means $CONTAINERD_BIN_DIR.
	ContainerdBinDir string
	// PauseBinary is the pods' sandbox program; empty means $CATALOG_PAUSE_BIN.
	PauseBinary string
	// Logf receives progress messages; nil discards them.
	Logf func(format string, args ...any)
}

// Cluster is a running cluster with this machine as its node.
type Cluster struct {
	*kubecluster.Cluster
	node *node
	logf func(format string, args ...any)
	// stops run in reverse order at Stop.
	stops []func()
}

// Start starts the cluster and waits until the node is Ready. Stop stops it.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	if os.Getenv(EnvInNamespaces) != "1" {
		return nil, errors.New("nodecluster starts a kubelet and changes the network: run it in namespaces of its own (hack/test-node.sh)")
	}
	opts = withDefaults(opts)
	if err := setUpNetwork(); err != nil {
		return nil, fmt.Errorf("setting up the node's network: %w", err)
	}
	kc, err := kubecluster.StartCluster(ctx, controlPlaneOptions(opts.Logf))
	if err != nil {
		return nil, err
	}
	c = &Cluster{Cluster: kc, logf: opts.Logf}
	c.stops = append(c.stops, func() { _ = kc.Stop() })
	defer func() {
		if err != nil {
			c.Stop()
			c = nil
		}
	}()
	dnsCtx, stopDNS := context.WithCancel(context.Background())
	c.stops = append(c.stops, stopDNS)
	if err := serveClusterDNS(dnsCtx, NodeIP+":53", kc.Clientset("admin")); err != nil {
		return c, fmt.Errorf("serving the cluster DNS: %w", err)
	}
	if c.node, err = startNode(ctx, c, opts); err != nil {
		return c, err
	}
	if err := c.waitNodeReady(ctx); err != nil {
		return c, err
	}
	c.logf("nodecluster: node %s Ready", NodeName)
	return c, nil
}

func withDefaults(opts Options) Options {
	if opts.ContainerdBinDir == "" {
		opts.ContainerdBinDir = os.Getenv("CONTAINERD_BIN_DIR")
	}
	if opts.PauseBinary == "" {
		opts.PauseBinary = os.Getenv("CATALOG_PAUSE_BIN")
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	return opts
}

// Stop stops the node and the control plane, removes every container, and the
// cgroups and mounts the node made.
func (c *Cluster) Stop() {
	for i := len(c.stops) - 1; i >= 0; i-- {
		c.stops[i]()
	}
	c.stops = nil
}

// controlPlaneOptions are kubecluster's options for a cluster with a node:
// kube-apiserver serving on every address of the namespace and advertising the
// node's, kube-controller-manager with every controller, and a user for the
// node's components.
func controlPlaneOptions(logf func(string, ...any)) kubecluster.Options {
	users := append(kubecluster.DefaultUsers(),
		kubecluster.User{Name: "node", CommonName: "system:node:" + NodeName, Groups: []string{"system:nodes", "system:masters"}})
	return kubecluster.Options{
		Users:      users,
		ServingIPs: []net.IP{net.ParseIP(NodeIP), net.ParseIP(kubernetesServiceIP)},
		KubeAPIServerArgs: []string{
			"--bind-address=0.0.0.0",
			"--advertise-address=" + NodeIP,
			"--endpoint-reconciler-type=lease",
			"--service-cluster-ip-range=" + ServiceCIDR,
		},
		ControllerManagerArgs: []string{"--controllers=*"},
		StartTimeout:          3 * time.Minute,
		Logf:                  logf,
	}
}

// setUpNetwork gives the namespace, once, the node's address on a bridge of its
// own, a default route through it (the kubelet takes the node's address from
// it), forwarding, and bridged traffic through iptables (replies of a Service's
// pod to a pod on the same bridge are un-NATed by kube-proxy's rules).
func setUpNetwork() error {
	if exec.Command("ip", "link", "show", "node0").Run() == nil {
		return nil
	}
	for _, args := range [][]string{
		{"link", "set", "lo", "up"},
		{"link", "add", "node0", "type", "bridge"},
		{"addr", "add", NodeIP + "/32", "dev", "node0"},
		{"link", "set", "node0", "up"},
		{"route", "add", "default", "dev", "node0"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out)
		}
	}
	for path, value := range map[string]string{
		"/proc/sys/net/ipv4/ip_forward":                "1",
		"/proc/sys/net/bridge/bridge-nf-call-iptables": "1",
	} {
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// waitNodeReady waits until the node has registered and is Ready.
func (c *Cluster) waitNodeReady(ctx context.Context) error {
	cs := c.Clientset("admin")
	return poll(ctx, 3*time.Minute, "node "+NodeName+" Ready", func(ctx context.Context) (bool, string) {
		n, err := cs.CoreV1().Nodes().Get(ctx, NodeName, metav1.GetOptions{})
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

// poll calls cond every second until it reports true, or returns an error
// naming what and cond's last message after timeout.
func poll(ctx context.Context, timeout time.Duration, what string, cond func(ctx context.Context) (bool, string)) error {
	var last string
	err := wait.PollUntilContextTimeout(ctx, time.Second, timeout, true, func(ctx context.Context) (bool, error) {
		ok, msg := cond(ctx)
		last = msg
		return ok, nil
	})
	if err != nil {
		return fmt.Errorf("%s: not within %s: %s", what, timeout, last)
	}
	return nil
}
