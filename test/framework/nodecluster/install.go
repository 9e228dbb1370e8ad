package nodecluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/ociimage"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// Kubectl runs kubectl as the cluster's admin with stdin and returns its
// combined output; the error says what failed and includes the output.
func (c *Cluster) Kubectl(ctx context.Context, stdin string, args ...string) (string, error) {
	path, err := kubecluster.FindKubectl()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig", c.Kubeconfig("admin")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

// RepoPath returns path inside the repository.
func RepoPath(path string) (string, error) {
	root, err := kubecluster.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, path), nil
}

// CreateEtcdVolumes gives the claims of an etcd StatefulSet of n members
// volumes on the node: directories owned by the user etcd runs as (fsGroup does
// not apply to hostPath volumes).
func (c *Cluster) CreateEtcdVolumes(ctx context.Context, n int) error {
	for i := range n {
		dir, err := os.MkdirTemp(c.node.dir, "etcd-data-")
		if err != nil {
			return err
		}
		if err := os.Chown(dir, ociimage.NonRoot, ociimage.NonRoot); err != nil {
			return err
		}
		pv := &corev1.PersistentVolume{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("catalog-etcd-data-%d", i)},
			Spec: corev1.PersistentVolumeSpec{
				Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
				AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
				PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir}},
			},
		}
		if _, err := c.Clientset("admin").CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// Install applies the shipped manifests of deployDir (a directory of
// artifacts/deploy) in the overlay a platform team keeps next to them, with
// the serving certificate the cluster issued for the catalog API server's
// Service, and waits until everything rolled out and the APIService is
// available.
func (c *Cluster) Install(ctx context.Context, deployDir string) error {
	overlay, err := c.writeOverlay(deployDir)
	if err != nil {
		return err
	}
	if _, err := c.Kubectl(ctx, "", "apply", "-k", overlay); err != nil {
		return err
	}
	if err := c.RolledOut(ctx); err != nil {
		return err
	}
	err = poll(ctx, 3*time.Minute, "APIService available", func(ctx context.Context) (bool, string) {
		out, err := c.Kubectl(ctx, "", "get", "apiservice", catalogstack.APIServiceName,
			"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].message}`)
		return err == nil && strings.HasPrefix(out, "True"), out
	})
	if err == nil {
		c.logf("nodecluster: %s rolled out; APIService available", deployDir)
	}
	return err
}

// writeOverlay writes the overlay of deployDir into a new directory and
// returns it.
func (c *Cluster) writeOverlay(deployDir string) (string, error) {
	dir, err := os.MkdirTemp(c.node.dir, "overlay-")
	if err != nil {
		return "", err
	}
	var pems [3][]byte
	for i, file := range []string{c.AggregatedCAFile, c.AggregatedCertFile, c.AggregatedKeyFile} {
		if pems[i], err = os.ReadFile(file); err != nil {
			return "", err
		}
	}
	deploy, err := RepoPath(deployDir)
	if err != nil {
		return "", err
	}
	base, err := filepath.Rel(dir, deploy)
	if err != nil {
		return "", err
	}
	return dir, catalogstack.WriteDeployOverlay(dir, base, pems[0], pems[1], pems[2])
}

// RolledOut waits until the catalog's etcd and both Deployments are rolled out
// and ready through their probes.
func (c *Cluster) RolledOut(ctx context.Context) error {
	for _, workload := range []string{"statefulset/catalog-etcd", "deployment/catalog-apiserver", "deployment/catalog-controller-manager"} {
		if _, err := c.Kubectl(ctx, "", "rollout", "status", "-n", "service-catalog", "--timeout=5m", workload); err != nil {
			return err
		}
	}
	return nil
}

// RunDocumented runs, with bash in a new directory and kubectl as the
// cluster's admin, the first sh block after heading in the document doc (a
// path in the repository): the commands a user is told to type.
func (c *Cluster) RunDocumented(ctx context.Context, doc, heading string) error {
	path, err := RepoPath(doc)
	if err != nil {
		return err
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	_, section, found := strings.Cut(string(text), "\n"+heading)
	_, block, fenced := strings.Cut(section, "```sh\n")
	block, _, closed := strings.Cut(block, "```")
	if !found || !fenced || !closed {
		return fmt.Errorf("%s has no sh block after %q", doc, heading)
	}
	kubectl, err := kubecluster.FindKubectl()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(c.node.dir, "documented-")
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", block)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig("admin"), "PATH="+filepath.Dir(kubectl)+":"+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("the commands of %s %q: %w\n%s", doc, heading, err, out)
	}
	return nil
}
