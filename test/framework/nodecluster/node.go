package nodecluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kube-service-catalog/catalog/pkg/ociimage"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// pauseImage is the pods' sandbox image.
const pauseImage = "registry.k8s.io/pause:3.10"

// node is this machine as the cluster's node: kube-scheduler, containerd, the
// kubelet and kube-proxy, with their files under dir.
type node struct {
	dir    string
	ctr    string
	socket string
	c      *Cluster
}

// startNode starts the node's processes with the images loaded; the cluster's
// Stop stops them, removes every container, and the cgroups and mounts they
// made.
func startNode(ctx context.Context, c *Cluster, opts Options) (*node, error) {
	if opts.ContainerdBinDir == "" || opts.PauseBinary == "" {
		return nil, errors.New("no containerd or pause binary: set CONTAINERD_BIN_DIR and CATALOG_PAUSE_BIN (hack/test-node.sh does)")
	}
	// Short: containerd's socket path must fit in a sockaddr_un.
	dir, err := os.MkdirTemp("", "node-")
	if err != nil {
		return nil, err
	}
	n := &node{dir: dir, ctr: filepath.Join(opts.ContainerdBinDir, "ctr"), socket: filepath.Join(dir, "containerd.sock"), c: c}
	c.stops = append(c.stops, removeCgroups, func() {
		unmountUnder(dir)
		_ = os.RemoveAll(dir)
	})
	kubectl, err := kubecluster.FindKubectl()
	if err != nil {
		return nil, err
	}
	kubeDir := filepath.Dir(kubectl)
	steps := []func() error{
		func() error { return n.startContainerd(ctx, opts.ContainerdBinDir) },
		func() error { return n.loadImages(ctx, opts.PauseBinary) },
		func() error {
			return n.start("kube-scheduler", filepath.Join(kubeDir, "kube-scheduler"),
				"--kubeconfig="+c.Kubeconfig("admin"), "--secure-port=0", "--leader-elect=false")
		},
		func() error { return n.startKubelet(filepath.Join(kubeDir, "kubelet")) },
		func() error { return n.startKubeProxy(ctx, filepath.Join(kubeDir, "kube-proxy")) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return n, err
		}
	}
	return n, nil
}

// start starts a node process, stopped by the cluster's Stop.
func (n *node) start(name, bin string, args ...string) error {
	child, err := kubecluster.StartChild(name, filepath.Join(n.c.Dir, "logs", name+".log"), n.dir, bin, args...)
	if err != nil {
		return err
	}
	n.c.stops = append(n.c.stops, func() { _ = child.Stop() })
	return nil
}

// writeFile writes content to dir/name and returns the path.
func (n *node) writeFile(name, content string) (string, error) {
	path := filepath.Join(n.dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, []byte(content), 0o644)
}

// startContainerd starts containerd with the CRI plugin on runc and the CNI
// bridge. Without CAP_SYS_RESOURCE the OOM score of a container may not go
// below containerd's own: restrict_oom_score_adj says so.
func (n *node) startContainerd(ctx context.Context, binDir string) error {
	runc, err := exec.LookPath("runc")
	if err != nil {
		return errors.New("runc is not installed (hack/install-container-runtime.sh installs it)")
	}
	cni, err := n.writeFile("cni/10-bridge.conflist", fmt.Sprintf(`{
  "cniVersion": "1.0.0",
  "name": "catalog-node",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}`, PodCIDR))
	if err != nil {
		return err
	}
	config, err := n.writeFile("containerd.toml", fmt.Sprintf(`version = 3
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
`, filepath.Join(n.dir, "containerd"), filepath.Join(n.dir, "containerd-state"), n.socket, pauseImage, filepath.Dir(cni), runc))
	if err != nil {
		return err
	}
	if err := n.start("containerd", filepath.Join(binDir, "containerd"), "--config", config); err != nil {
		return err
	}
	n.c.stops = append(n.c.stops, n.removeContainers)
	return poll(ctx, time.Minute, "containerd serving", func(ctx context.Context) (bool, string) {
		out, err := exec.CommandContext(ctx, n.ctr, "--address", n.socket, "version").CombinedOutput()
		return err == nil, string(out)
	})
}

// Ctr runs ctr in containerd's Kubernetes namespace.
func (c *Cluster) Ctr(ctx context.Context, args ...string) ([]byte, error) {
	return c.node.ctrCmd(ctx, args...)
}

func (n *node) ctrCmd(ctx context.Context, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, n.ctr, append([]string{"--address", n.socket, "--namespace", "k8s.io"}, args...)...).CombinedOutput()
}

// removeContainers kills and removes every container, so that no runc shim
// outlives the cluster.
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
// the pause image and etcd's, from the pinned etcd binary under the name
// artifacts/deploy/etcd.yaml gives it.
func (n *node) loadImages(ctx context.Context, pauseBin string) error {
	etcdBin, err := kubecluster.LocateEtcd()
	if err != nil {
		return err
	}
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return err
	}
	manifest, err := os.ReadFile(filepath.Join(root, "artifacts/deploy/etcd.yaml"))
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`(?m)^\s+image:\s*(\S+)\s*$`).FindSubmatch(manifest)
	if m == nil {
		return errors.New("artifacts/deploy/etcd.yaml names no image")
	}
	pause, err := n.buildImage("pause", pauseImage, pauseBin, "pause", []string{"/pause"})
	if err != nil {
		return err
	}
	etcd, err := n.buildImage("etcd", string(m[1]), etcdBin, "usr/local/bin/etcd", nil)
	if err != nil {
		return err
	}
	for _, tarball := range []string{filepath.Join(root, "_output/image/catalog.tar"), pause, etcd} {
		if out, err := n.ctrCmd(ctx, "images", "import", tarball); err != nil {
			return fmt.Errorf("ctr images import %s (make image writes the catalog's): %w\n%s", tarball, err, out)
		}
	}
	return nil
}

// buildImage writes an image holding the binary bin at path, named ref, and
// returns its tarball.
func (n *node) buildImage(name, ref, bin, path string, entrypoint []string) (string, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	img, err := ociimage.Build(ociimage.Spec{
		Files: []ociimage.File{{Path: path, Mode: 0o755, Data: data}}, Arch: "amd64", Entrypoint: entrypoint,
	})
	if err != nil {
		return "", err
	}
	dir := filepath.Join(n.dir, "images", name)
	if _, err := ociimage.Write(img, ref, dir, name+".tar"); err != nil {
		return "", err
	}
	return filepath.Join(dir, name+".tar"), nil
}

// startKubelet starts the kubelet on containerd, registering the node with its
// address and the cluster DNS on it.
func (n *node) startKubelet(bin string) error {
	ports, err := kubecluster.FreePorts(2)
	if err != nil {
		return err
	}
	config, err := n.writeFile("kubelet.yaml", fmt.Sprintf(`apiVersion: kubelet.config.k8s.io/v1beta1
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
`, n.socket, ports[0], ports[1], n.c.CAFile, NodeIP, filepath.Join(n.dir, "pod-logs")))
	if err != nil {
		return err
	}
	return n.start("kubelet", bin,
		"--config="+config,
		"--kubeconfig="+n.c.Kubeconfig("node"),
		"--root-dir="+filepath.Join(n.dir, "kubelet"),
		"--cert-dir="+filepath.Join(n.dir, "kubelet-pki"),
		"--hostname-override="+NodeName,
		"--node-ip="+NodeIP,
	)
}

// startKubeProxy starts kube-proxy in iptables mode and waits until it is
// healthy, i.e. has written the Services' rules.
func (n *node) startKubeProxy(ctx context.Context, bin string) error {
	ports, err := kubecluster.FreePorts(2)
	if err != nil {
		return err
	}
	config, err := n.writeFile("kube-proxy.yaml", fmt.Sprintf(`apiVersion: kubeproxy.config.k8s.io/v1alpha1
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
`, n.c.Kubeconfig("node"), NodeName, PodCIDR, ports[0], ports[1]))
	if err != nil {
		return err
	}
	if err := n.start("kube-proxy", bin, "--config="+config); err != nil {
		return err
	}
	healthz := "http://127.0.0.1:" + strconv.Itoa(ports[0]) + "/healthz"
	return poll(ctx, 2*time.Minute, "kube-proxy healthy", func(ctx context.Context) (bool, string) {
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

// unmountUnder detaches every mount below dir (the volumes the kubelet
// mounted for pods), deepest first.
func unmountUnder(dir string) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		if fields := strings.Fields(line); len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			points = append(points, fields[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}
