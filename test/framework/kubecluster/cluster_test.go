package kubecluster_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// pollTimeout bounds every wait for the cluster to converge.
const pollTimeout = 90 * time.Second

// TestCluster starts a real control plane and checks what e2e tests rely on:
// users and their RBAC through kubectl, component identities matching
// ServiceAccount RBAC, aggregated API routing, garbage collection and
// namespace deletion, and a clean teardown.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real cluster; runs in the e2e tier")
	}
	c := kubecluster.Start(t, kubecluster.Options{})
	t.Logf("cluster started in %s", c.StartupDuration)
	ctx := t.Context()
	admin := c.Clientset("admin")

	t.Run("kubectl within skew", func(t *testing.T) {
		out, err := exec.Command(kubecluster.Kubectl(t), "version", "--client", "-o", "json").Output()
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			ClientVersion struct{ Major, Minor string } `json:"clientVersion"`
		}
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatal(err)
		}
		minor, _ := strconv.Atoi(strings.TrimRight(v.ClientVersion.Minor, "+"))
		if v.ClientVersion.Major != "1" || minor < 35 || minor > 37 {
			t.Errorf("kubectl %s is v%s.%s", kubecluster.Kubectl(t), v.ClientVersion.Major, v.ClientVersion.Minor)
		}
	})

	t.Run("admin lists namespaces", func(t *testing.T) {
		out, errOut, err := c.RunKubectl(t, "admin", "get", "namespaces", "-o", "name")
		if err != nil {
			t.Fatalf("kubectl: %v\n%s", err, errOut)
		}
		for _, ns := range []string{"namespace/default", "namespace/kube-system"} {
			if !strings.Contains(out, ns) {
				t.Errorf("%s missing from:\n%s", ns, out)
			}
		}
	})

	t.Run("alice forbidden to list secrets", func(t *testing.T) {
		_, errOut, err := c.RunKubectl(t, "alice", "get", "secrets", "-n", "default")
		if err == nil {
			t.Fatal("alice listed secrets")
		}
		if !strings.Contains(errOut, "Forbidden") || !strings.Contains(errOut, `User "alice" cannot list resource "secrets"`) {
			t.Errorf("unexpected stderr: %s", errOut)
		}
	})

	t.Run("auth can-i agrees", func(t *testing.T) {
		for user, want := range map[string]string{"alice": "no", "bob": "no", "admin": "yes"} {
			out, errOut, err := c.RunKubectl(t, user, "auth", "can-i", "list", "secrets", "-n", "default")
			if got := strings.TrimSpace(out); got != want {
				t.Errorf("%s: can-i list secrets = %q (%v, %s), want %q", user, got, err, errOut, want)
			}
			// can-i exits 1 for "no".
			if (err == nil) != (want == "yes") {
				t.Errorf("%s: exit %v for %q", user, err, want)
			}
		}
	})

	t.Run("component identity matches ServiceAccount RBAC", func(t *testing.T) {
		testComponentIdentity(ctx, t, c)
	})

	t.Run("aggregated API through the aggregator", func(t *testing.T) {
		testAggregatedAPI(ctx, t, c)
	})

	const ns = "kubecluster-gc"
	t.Run("garbage collector removes owned objects", func(t *testing.T) {
		if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		owner, err := admin.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "owner"}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		owned := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
			Name:            "owned",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: owner.Name, UID: owner.UID}},
		}}
		if _, err := admin.CoreV1().Secrets(ns).Create(ctx, owned, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "unowned"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, errOut, err := c.RunKubectl(t, "admin", "delete", "configmap", "owner", "-n", ns, "--cascade=background"); err != nil {
			t.Fatalf("kubectl delete: %v\n%s", err, errOut)
		}
		err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, pollTimeout, true, func(ctx context.Context) (bool, error) {
			_, err := admin.CoreV1().Secrets(ns).Get(ctx, "owned", metav1.GetOptions{})
			return apierrors.IsNotFound(err), ignoreNotFound(err)
		})
		if err != nil {
			t.Fatalf("owned secret not garbage collected: %v", err)
		}
		if _, err := admin.CoreV1().Secrets(ns).Get(ctx, "unowned", metav1.GetOptions{}); err != nil {
			t.Errorf("unowned secret: %v", err)
		}
	})

	t.Run("namespace deletion completes", func(t *testing.T) {
		if _, errOut, err := c.RunKubectl(t, "admin", "delete", "namespace", ns, "--wait=false"); err != nil {
			t.Fatalf("kubectl delete: %v\n%s", err, errOut)
		}
		start := time.Now()
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, pollTimeout, true, func(ctx context.Context) (bool, error) {
			_, err := admin.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			return apierrors.IsNotFound(err), ignoreNotFound(err)
		})
		if err != nil {
			t.Fatalf("namespace %s not deleted: %v", ns, err)
		}
		t.Logf("namespace deleted in %s", time.Since(start).Round(time.Millisecond))
	})

	t.Run("stop leaves no process behind", func(t *testing.T) {
		procs := c.Processes()
		if len(procs) != 3 {
			t.Errorf("processes: %+v", procs)
		}
		start := time.Now()
		if err := c.Stop(); err != nil {
			t.Fatal(err)
		}
		t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
		for _, p := range procs {
			if err := syscall.Kill(p.PID, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("%s (pid %d) still exists: %v", p.Name, p.PID, err)
			}
		}
	})
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// testComponentIdentity checks that catalog-apiserver's certificate
// authenticates as its ServiceAccount and that RBAC bound to that
// ServiceAccount (as our deploy manifests will) applies to it.
func testComponentIdentity(ctx context.Context, t *testing.T, c *kubecluster.Cluster) {
	apiserver := c.Clientset("catalog-apiserver")
	review, err := apiserver.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := review.Status.UserInfo.Username, "system:serviceaccount:service-catalog:catalog-apiserver"; got != want {
		t.Errorf("user %q, want %q", got, want)
	}
	for _, g := range []string{"system:serviceaccounts", "system:serviceaccounts:service-catalog", "system:authenticated"} {
		if !contains(review.Status.UserInfo.Groups, g) {
			t.Errorf("groups %v lack %s", review.Status.UserInfo.Groups, g)
		}
	}

	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:               "alice",
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets", Namespace: "default"},
	}}
	delegate := func(ctx context.Context, user string) error {
		cs := c.Clientset(user)
		if _, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{}); err != nil {
			return err
		}
		_, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
		return err
	}
	if err := delegate(ctx, "catalog-apiserver"); !apierrors.IsForbidden(err) {
		t.Fatalf("before RBAC: %v, want Forbidden", err)
	}

	// Stand-in for the RBAC our deploy manifests will carry.
	manifest := filepath.Join(t.TempDir(), "rbac.yaml")
	if err := os.WriteFile(manifest, []byte(aggregatedServerRBAC), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := c.RunKubectl(t, "admin", "apply", "-f", manifest); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, errOut)
	}
	var last error
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, pollTimeout, true, func(ctx context.Context) (bool, error) {
		last = delegate(ctx, "catalog-apiserver")
		return last == nil, nil
	})
	if err != nil {
		t.Fatalf("after RBAC: %v (last: %v)", err, last)
	}
	if err := delegate(ctx, "catalog-controller-manager"); !apierrors.IsForbidden(err) {
		t.Errorf("catalog-controller-manager: %v, want Forbidden", err)
	}
}

const aggregatedServerRBAC = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kubecluster-test:catalog-apiserver:auth-delegator
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:auth-delegator
subjects:
- kind: ServiceAccount
  name: catalog-apiserver
  namespace: service-catalog
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: kubecluster-test:catalog-apiserver:auth-reader
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
subjects:
- kind: ServiceAccount
  name: catalog-apiserver
  namespace: service-catalog
`

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fakeAggregatedServer serves discovery for one group/version with the
// cluster's aggregated serving certificate, and records who the aggregator
// said was calling.
type fakeAggregatedServer struct {
	mu      sync.Mutex
	callers []string // "user groups" from X-Remote-* of front-proxy requests
}

func (f *fakeAggregatedServer) ServeHTTP(w http.ResponseWriter, r *http.Request, gv string) {
	if r.TLS != nil && len(r.TLS.VerifiedChains) > 0 && r.TLS.PeerCertificates[0].Subject.CommonName == "front-proxy-client" {
		f.mu.Lock()
		f.callers = append(f.callers, r.Header.Get("X-Remote-User")+" "+strings.Join(r.Header.Values("X-Remote-Group"), ","))
		f.mu.Unlock()
	}
	if r.URL.Path != "/apis/"+gv {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"kind":"APIResourceList","apiVersion":"v1","groupVersion":%q,"resources":[]}`, gv)
}

func (f *fakeAggregatedServer) sawCaller(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.callers {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// testAggregatedAPI registers a stand-in aggregated server and reaches it
// through kube-apiserver: the ExternalName routing, the caBundle and
// ServerName check, and the front-proxy client certificate all have to work.
func testAggregatedAPI(ctx context.Context, t *testing.T, c *kubecluster.Cluster) {
	const group, version = "kubecluster-test.example.com", "v1alpha1"
	gv := group + "/" + version
	cert, err := tls.LoadX509KeyPair(c.AggregatedCertFile, c.AggregatedKeyFile)
	if err != nil {
		t.Fatal(err)
	}
	fpCA, err := os.ReadFile(c.FrontProxyCAFile)
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AppendCertsFromPEM(fpCA)
	fake := &fakeAggregatedServer{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fake.ServeHTTP(w, r, gv) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: clientCAs, ClientAuth: tls.VerifyClientCertIfGiven}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	if err := c.RegisterAggregatedAPI(ctx, group, []string{version}, port); err != nil {
		t.Fatal(err)
	}
	// An APIService left without its server makes discovery incomplete,
	// which stalls namespace deletion: unregister before srv.Close.
	t.Cleanup(func() {
		if err := c.UnregisterAggregatedAPI(context.Background(), group, []string{version}); err != nil {
			t.Error(err)
		}
	})
	// Registering again (e.g. after a restart on another port) must work.
	if err := c.RegisterAggregatedAPI(ctx, group, []string{version}, port); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := c.WaitAPIServiceAvailable(ctx, kubecluster.APIServiceName(group, version), pollTimeout); err != nil {
		t.Fatal(err)
	}
	t.Logf("APIService available in %s", time.Since(start).Round(time.Millisecond))

	out, errOut, err := c.RunKubectl(t, "alice", "get", "--raw", "/apis/"+gv)
	if err != nil {
		t.Fatalf("kubectl get --raw: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, `"groupVersion":"`+gv+`"`) {
		t.Errorf("unexpected discovery document: %s", out)
	}
	if !fake.sawCaller("alice system:authenticated") {
		t.Errorf("aggregated server did not see alice via the front proxy; callers: %v", fake.callers)
	}
	// Aggregated discovery picks the group up too (through the legacy
	// fallback: the stand-in serves no /apis document).
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, pollTimeout, true, func(_ context.Context) (bool, error) {
		groups, err := c.Clientset("admin").Discovery().ServerGroups()
		if err != nil {
			return false, nil
		}
		for _, g := range groups.Groups {
			if g.Name == group {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Errorf("group %s not in discovery: %v", group, err)
	}
	svc, err := c.Clientset("admin").CoreV1().Services(c.AggregatedServiceNamespace).Get(ctx, c.AggregatedServiceName, metav1.GetOptions{})
	if err != nil || svc.Spec.Type != corev1.ServiceTypeExternalName || svc.Spec.ExternalName != "localhost" {
		t.Errorf("service: %+v, %v", svc.Spec, err)
	}
}

// TestStartEtcd checks the etcd-only helper used by the integration tier.
func TestStartEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd; runs in the e2e tier")
	}
	endpoint := kubecluster.StartEtcd(t)
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %s", endpoint)
	}
	resp, err := http.Get(endpoint + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("health: %s", resp.Status)
	}
}
