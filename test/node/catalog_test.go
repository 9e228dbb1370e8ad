package node

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/ociimage"
	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// kubectl runs kubectl as the cluster's admin, with stdin, and returns its
// output; it fails the test if kubectl fails.
func kubectl(t *testing.T, c *kubecluster.Cluster, stdin string, args ...string) string {
	t.Helper()
	out, err := kubectlErr(t.Context(), c, stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func kubectlErr(ctx context.Context, c *kubecluster.Cluster, stdin string, args ...string) (string, error) {
	path, err := kubecluster.FindKubectl()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, path, append([]string{"--kubeconfig", c.Kubeconfig("admin")}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

// writeOverlay writes the kustomization a platform team keeps next to the
// shipped manifests, with the serving certificate the cluster issued for the
// catalog API server's Service, and returns its directory.
func writeOverlay(t *testing.T, c *kubecluster.Cluster) string {
	t.Helper()
	dir := t.TempDir()
	var pems [3][]byte
	for i, file := range []string{c.AggregatedCAFile, c.AggregatedCertFile, c.AggregatedKeyFile} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		pems[i] = data
	}
	base, err := filepath.Rel(dir, repoPath(t, "artifacts/deploy"))
	if err != nil {
		t.Fatal(err)
	}
	if err := catalogstack.WriteDeployOverlay(dir, base, pems[0], pems[1], pems[2]); err != nil {
		t.Fatal(err)
	}
	return dir
}

// createEtcdVolume gives the etcd StatefulSet's claim a volume on the node: a
// directory owned by the user etcd runs as (fsGroup does not apply to
// hostPath volumes).
func createEtcdVolume(t *testing.T, c *kubecluster.Cluster) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chown(dir, ociimage.NonRoot, ociimage.NonRoot); err != nil {
		t.Fatal(err)
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "catalog-etcd-data"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dir}},
		},
	}
	if _, err := c.Clientset("admin").CoreV1().PersistentVolumes().Create(t.Context(), pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// testBrokerManifest runs the test broker from the catalog's image as a pod
// behind a Service, as a broker runs in a cluster.
const testBrokerManifest = `apiVersion: v1
kind: Namespace
metadata:
  name: brokers
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: test-broker
  namespace: brokers
spec:
  selector:
    matchLabels: {app: test-broker}
  template:
    metadata:
      labels: {app: test-broker}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
      - name: broker
        image: ghcr.io/kube-service-catalog/catalog:latest
        imagePullPolicy: Never
        command: [test-broker, --address=0.0.0.0, --port=8080]
        ports:
        - containerPort: 8080
        readinessProbe:
          tcpSocket: {port: 8080}
---
apiVersion: v1
kind: Service
metadata:
  name: test-broker
  namespace: brokers
spec:
  selector: {app: test-broker}
  ports:
  - port: 8080
---
apiVersion: servicecatalog.k8s.io/v1beta1
kind: ClusterServiceBroker
metadata:
  name: demo-broker
spec:
  url: http://test-broker.brokers.svc.cluster.local:8080
`

func TestShippedManifestsOnARealNode(t *testing.T) {
	setUpNetwork(t)
	c := startCluster(t)
	if err := serveClusterDNS(t.Context(), nodeIP+":53", c.Clientset("admin")); err != nil {
		t.Fatal(err)
	}
	startNode(t, c)
	t.Logf("node %s Ready", nodeName)

	createEtcdVolume(t, c)
	kubectl(t, c, "", "apply", "-k", writeOverlay(t, c))
	rolledOut(t, c)
	poll(t, 3*time.Minute, "APIService available", func(ctx context.Context) (bool, string) {
		out, err := kubectlErr(ctx, c, "", "get", "apiservice", "v1beta1.servicecatalog.k8s.io",
			"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].message}`)
		return err == nil && strings.HasPrefix(out, "True"), out
	})

	t.Log("the catalog's etcd, API server and controller manager rolled out; APIService available")

	kubectl(t, c, testBrokerManifest, "apply", "-f", "-")
	poll(t, 3*time.Minute, "the broker's classes", func(ctx context.Context) (bool, string) {
		out, err := kubectlErr(ctx, c, "", "get", "clusterserviceclasses", "-o", "name")
		return err == nil && strings.Contains(out, "clusterserviceclass"), out
	})
	kubectl(t, c, "", "create", "namespace", "team-a")
	kubectl(t, c, "", "apply", "-n", "team-a", "-f", repoPath(t, "artifacts/examples/instance.yaml"), "-f", repoPath(t, "artifacts/examples/binding.yaml"))
	ready(t, c, "serviceinstance/demo-db", "servicebinding/demo-db-credentials")
	secret := kubectl(t, c, "", "get", "secret", "-n", "team-a", "demo-db-credentials", "-o", "jsonpath={.data}")
	if !strings.Contains(secret, "password") {
		t.Errorf("the binding's Secret holds %s, want credentials", secret)
	}

	t.Log("instance and binding Ready; the binding's Secret holds credentials")

	// An upgrade rolls both Deployments: the data stays, and the catalog goes on.
	kubectl(t, c, "", "rollout", "restart", "-n", "service-catalog", "deployment/catalog-apiserver", "deployment/catalog-controller-manager")
	rolledOut(t, c)
	ready(t, c, "serviceinstance/demo-db", "servicebinding/demo-db-credentials")
	t.Log("both Deployments restarted; instance and binding still Ready")

	kubectl(t, c, "", "delete", "-n", "team-a", "servicebinding/demo-db-credentials", "serviceinstance/demo-db", "--timeout=3m")
	if out, err := kubectlErr(t.Context(), c, "", "get", "secret", "-n", "team-a", "demo-db-credentials"); err == nil {
		t.Errorf("the binding's Secret outlived the binding:\n%s", out)
	}
}

// rolledOut waits until the catalog's etcd and both Deployments are rolled out
// and ready through their probes.
func rolledOut(t *testing.T, c *kubecluster.Cluster) {
	t.Helper()
	for _, workload := range []string{"statefulset/catalog-etcd", "deployment/catalog-apiserver", "deployment/catalog-controller-manager"} {
		kubectl(t, c, "", "rollout", "status", "-n", "service-catalog", "--timeout=5m", workload)
	}
}

// ready waits until the objects in team-a are Ready.
func ready(t *testing.T, c *kubecluster.Cluster, objects ...string) {
	t.Helper()
	args := append([]string{"wait", "-n", "team-a", "--for=condition=Ready", "--timeout=3m"}, objects...)
	kubectl(t, c, "", args...)
}
