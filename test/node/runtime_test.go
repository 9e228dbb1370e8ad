package node

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/ociimage"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// pauseImage is the pods' sandbox image, built from test/node/pause.
const pauseImage = "registry.k8s.io/pause:3.10"

// node is this machine as a node of the cluster: containerd, the kubelet and
// kube-proxy, with their files under dir.
type node struct {
	dir     string
	ctr     string
	socket  string
	cluster *kubecluster.Cluster
}

// startNode starts the scheduler, containerd with the images loaded, the
// kubelet and kube-proxy, and waits until the node is Ready. Cleanup stops them and
// removes every container.
func startNode(t *testing.T, c *kubecluster.Cluster) *node {
	t.Helper()
	// Short: containerd's socket path must fit in a sockaddr_un.
	dir, err := os.MkdirTemp("", "node-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	containerdDir := os.Getenv("CONTAINERD_BIN_DIR")
	if containerdDir == "" {
		t.Fatal("CONTAINERD_BIN_DIR is not set (hack/test-node.sh sets it)")
	}
	n := &node{dir: dir, ctr: filepath.Join(containerdDir, "ctr"), socket: filepath.Join(dir, "containerd.sock"), cluster: c}
	// Last: the cgroups the kubelet and containerd made, once both are gone.
	t.Cleanup(removeCgroups)
	n.startContainerd(t, containerdDir)
	n.loadImages(t)
	kubeDir := filepath.Dir(kubecluster.Kubectl(t))
	n.start(t, "kube-scheduler", filepath.Join(kubeDir, "kube-scheduler"),
		"--kubeconfig="+c.Kubeconfig("admin"), "--secure-port=0", "--leader-elect=false")
	n.startKubelet(t, filepath.Join(kubeDir, "kubelet"))
	n.startKubeProxy(t, filepath.Join(kubeDir, "kube-proxy"))
	waitNodeReady(t, c)
	return n
}

// start starts a node process and stops it at cleanup.
func (n *node) start(t *testing.T, name, bin string, args ...string) {
	t.Helper()
	child, err := kubecluster.StartChild(name, filepath.Join(n.cluster.Dir, "logs", name+".log"), n.dir, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = child.Stop() })
}

// writeFile writes content to dir/name and returns the path.
func (n *node) writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(n.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startContainerd starts containerd with the CRI plugin on runc and the CNI
// bridge. Without CAP_SYS_RESOURCE the OOM score of a container may not go
// below containerd's own: restrict_oom_score_adj says so.
func (n *node) startContainerd(t *testing.T, binDir string) {
	t.Helper()
	runc, err := exec.LookPath("runc")
	if err != nil {
		t.Fatal("runc is not installed (hack/test-node.sh installs it)")
	}
	cniDir := n.writeFile(t, "cni/10-bridge.conflist", fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "catalog-node",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}`, podCIDR))
	config := n.writeFile(t, "containerd.toml", fmt.Sprintf(`version = 3
root = %[1]q
state = %[2]q
[grpc]
  address = %[3]q
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %[4]q
[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = %[5]q
  [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
      BinaryName = %[6]q
      SystemdCgroup = false
`, filepath.Join(n.dir, "containerd"), filepath.Join(n.dir, "containerd-state"), n.socket, pauseImage, filepath.Dir(cniDir), runc))
	n.start(t, "containerd", filepath.Join(binDir, "containerd"), "--config", config)
	t.Cleanup(func() { n.removeContainers() })
	poll(t, time.Minute, "containerd serving", func(ctx context.Context) (bool, string) {
		out, err := exec.CommandContext(ctx, n.ctr, "--address", n.socket, "version").CombinedOutput()
		return err == nil, string(out)
	})
}

// ctrCmd runs ctr in containerd's Kubernetes namespace.
func (n *node) ctrCmd(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, n.ctr, append([]string{"--address", n.socket, "--namespace", "k8s.io"}, args...)...).CombinedOutput()
}

// removeContainers kills and removes every container, so that no runc shim
// outlives the test.
func (n *node) removeContainers() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, _ := n.ctrCmd(ctx, "tasks", "list", "--quiet")
	for _, id := range strings.Fields(string(out)) {
		_, _ = n.ctrCmd(ctx, "tasks", "kill", "--signal", "SIGKILL", id)
		_, _ = n.ctrCmd(ctx, "tasks", "delete", "--force", id)
	}
	out, _ = n.ctrCmd(ctx, "containers", "list", "--quiet")
	for _, id := range strings.Fields(string(out)) {
		_, _ = n.ctrCmd(ctx, "containers", "delete", id)
	}
}

// loadImages imports the catalog's image (make image), and builds and imports
// the pause image and etcd's image, from the pinned etcd binary under the name
// artifacts/deploy/etcd.yaml gives it.
func (n *node) loadImages(t *testing.T) {
	t.Helper()
	etcdBin, err := kubecluster.LocateEtcd()
	if err != nil {
		t.Fatal(err)
	}
	pauseBin := os.Getenv("CATALOG_PAUSE_BIN")
	if pauseBin == "" {
		t.Fatal("CATALOG_PAUSE_BIN is not set (hack/test-node.sh builds test/node/pause)")
	}
	manifest, err := os.ReadFile(repoPath(t, "artifacts/deploy/etcd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s+image:\s*(\S+)\s*$`).FindSubmatch(manifest)
	if m == nil {
		t.Fatal("artifacts/deploy/etcd.yaml names no image")
	}
	tarballs := []string{
		repoPath(t, "_output/image/catalog.tar"),
		n.buildImage(t, "pause", pauseImage, pauseBin, "pause", []string{"/pause"}),
		n.buildImage(t, "etcd", string(m[1]), etcdBin, "usr/local/bin/etcd", nil),
	}
	for _, tarball := range tarballs {
		if out, err := n.ctrCmd(t.Context(), "images", "import", tarball); err != nil {
			t.Fatalf("ctr images import %s: %v\n%s", tarball, err, out)
		}
	}
}

// buildImage writes an image holding the binary bin at path, named ref, and
// returns its tarball.
func (n *node) buildImage(t *testing.T, name, ref, bin, path string, entrypoint []string) string {
	t.Helper()
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	img, err := ociimage.Build(ociimage.Spec{
		Files: []ociimage.File{{Path: path, Mode: 0o755, Data: data}}, Arch: "amd64", Entrypoint: entrypoint,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(n.dir, "images", name)
	if _, err := ociimage.Write(img, ref, dir, name+".tar"); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name+".tar")
}

// startKubelet starts the kubelet on containerd, registering the node with
// the node's address and the cluster DNS on it.
func (n *node) startKubelet(t *testing.T, bin string) {
	t.Helper()
	ports, err := kubecluster.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	config := n.writeFile(t, "kubelet.yaml", fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# cgroups v1 is mounted here (next to v2): the kubelet refuses it unless told.
failCgroupV1: false
failSwapOn: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://%[1]s
imageServiceEndpoint: unix://%[1]s
address: 127.0.0.1
port: %[2]d
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: %[3]d
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: %[4]q}
authorization:
  mode: AlwaysAllow
clusterDNS: [%[5]q]
clusterDomain: cluster.local
resolvConf: ""
podLogsDir: %[6]q
serializeImagePulls: false
evictionHard: {memory.available: 100Mi, nodefs.available: 1%%, imagefs.available: 1%%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
`, n.socket, ports[0], ports[1], n.cluster.CAFile, nodeIP, filepath.Join(n.dir, "pod-logs")))
	n.start(t, "kubelet", bin,
		"--config="+config,
		"--kubeconfig="+n.cluster.Kubeconfig("node"),
		"--root-dir="+filepath.Join(n.dir, "kubelet"),
		"--cert-dir="+filepath.Join(n.dir, "kubelet-pki"),
		"--hostname-override="+nodeName,
		"--node-ip="+nodeIP,
	)
}

// startKubeProxy starts kube-proxy in iptables mode and waits until it is
// healthy, i.e. has written the Services' rules.
func (n *node) startKubeProxy(t *testing.T, bin string) {
	t.Helper()
	ports, err := kubecluster.FreePorts(2)
	if err != nil {
		t.Fatal(err)
	}
	config := n.writeFile(t, "kube-proxy.yaml", fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection:
  kubeconfig: %q
hostnameOverride: %s
clusterCIDR: %s
healthzBindAddress: 127.0.0.1:%d
metricsBindAddress: 127.0.0.1:%d
conntrack:
  maxPerCore: 0
  min: 0
`, n.cluster.Kubeconfig("node"), nodeName, podCIDR, ports[0], ports[1]))
	n.start(t, "kube-proxy", bin, "--config="+config)
	healthz := "http://127.0.0.1:" + strconv.Itoa(ports[0]) + "/healthz"
	poll(t, 2*time.Minute, "kube-proxy healthy", func(ctx context.Context) (bool, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, healthz, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, resp.Status
	})
}

// removeCgroups removes the cgroups the kubelet (kubepods) and containerd's CRI
// plugin (k8s.io) made in every hierarchy, deepest first; a cgroup that still
// holds a process stays.
func removeCgroups() {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	more, _ := filepath.Glob("/sys/fs/cgroup/*/k8s.io")
	for _, root := range append(roots, more...) {
		var dirs []string
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, path)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			_ = os.Remove(dirs[i])
		}
	}
}
