package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// TestControllerManagerEndpointsNeedAuthorization starts a standby controller manager
// serving HTTPS the way it is deployed, and calls its endpoints as the kubelet, a
// monitoring system and users do: /healthz, /readyz and /livez answer anyone, /metrics
// answers only callers kube-apiserver authenticates and authorizes.
func TestControllerManagerEndpointsNeedAuthorization(t *testing.T) {
	if stack == nil {
		t.Skip("needs the stack (not in -short mode)")
	}
	if !instanceLoop() {
		t.Skip("the stack runs no controller manager")
	}
	base := startSecureControllerManager(t)
	const reader = "e2e-metrics-reader"
	bindMetricsReader(t, kubecluster.ServiceAccountUser("default", reader), alice)
	token := serviceAccountToken(t, "default", reader)
	nobodyToken := serviceAccountToken(t, "default", "e2e-metrics-nobody")

	anonymous := insecureClient(t, nil)
	// Until it has loaded the cluster's client CA the replica answers 503 with
	// Retry-After, never a refusal: a client retries.
	eventually(t, pollTimeout, "the controller manager loading the client CA", func() (bool, string) {
		code, body := get(t, anonymous, base+"/metrics", "")
		if code == http.StatusServiceUnavailable {
			return false, body
		}
		return true, ""
	})
	for _, path := range []string{"/healthz", "/livez", "/readyz"} {
		code, body := get(t, anonymous, base+path, "")
		// A standby is not ready (it does not lead), but the answer is its own, not a refusal.
		notReady := path == "/readyz" && code == http.StatusServiceUnavailable
		if code != http.StatusOK && !notReady {
			t.Errorf("anonymous GET %s: %d %s, want it open", path, code, body)
		}
	}
	for _, c := range []struct {
		name   string
		client *http.Client
		token  string
		want   int
	}{
		{"anonymous", anonymous, "", http.StatusForbidden},
		{"a token kube-apiserver does not know", anonymous, "not-a-token", http.StatusUnauthorized},
		{"a ServiceAccount without the role", anonymous, nobodyToken, http.StatusForbidden},
		{"a ServiceAccount bound to service-catalog:metrics-reader", anonymous, token, http.StatusOK},
		{"alice's client certificate, bound to the role", insecureClient(t, stack.Cluster.Config(alice)), "", http.StatusOK},
		{"bob's client certificate, not bound", insecureClient(t, stack.Cluster.Config(bob)), "", http.StatusForbidden},
	} {
		code, body := get(t, c.client, base+"/metrics", c.token)
		if code != c.want {
			t.Errorf("GET /metrics as %s: %d, want %d\n%s", c.name, code, c.want, firstLine(body))
		}
		if code == http.StatusOK && !strings.Contains(body, "# TYPE") {
			t.Errorf("GET /metrics as %s answered no metrics:\n%s", c.name, firstLine(body))
		}
	}
}

// startSecureControllerManager starts a controller manager replica serving HTTPS on a
// free loopback port, with authentication and authorization delegated to kube-apiserver
// through its own kubeconfig. It waits on the stack's Lease, so it runs no loop. It
// returns the base URL.
func startSecureControllerManager(t *testing.T) string {
	t.Helper()
	ports, err := kubecluster.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ports[0])
	ch, _, err := stack.StartControllerManagerReplica(t.Context(), "controller-manager-secure",
		"--secure-port="+port, "--bind-address=127.0.0.1", "--cert-dir="+filepath.Join(t.TempDir(), "certs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = catalogstack.KillChild(ch) })
	return "https://127.0.0.1:" + port
}

// bindMetricsReader binds the shipped service-catalog:metrics-reader ClusterRole to the
// ServiceAccount user and to the cluster user named user.
func bindMetricsReader(t *testing.T, serviceAccountUser, user string) {
	t.Helper()
	ctx := context.Background()
	cs := stack.Cluster.Clientset(admin)
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "service-catalog:metrics-reader"},
		Subjects: []rbacv1.Subject{
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: serviceAccountUser},
			{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: stack.Cluster.UserInfo(user).CommonName},
		},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), binding.Name, metav1.DeleteOptions{})
	})
}

// serviceAccountToken creates the ServiceAccount namespace/name and returns a token for it.
func serviceAccountToken(t *testing.T, namespace, name string) string {
	t.Helper()
	ctx := context.Background()
	cs := stack.Cluster.Clientset(admin)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().ServiceAccounts(namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().ServiceAccounts(namespace).Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// insecureClient returns an HTTP client presenting cfg's client certificate, if any,
// that does not verify the controller manager's self-signed serving certificate.
func insecureClient(t *testing.T, cfg *rest.Config) *http.Client {
	t.Helper()
	tlsConfig := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the serving certificate is self-signed
	if cfg != nil {
		cert, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
		if err != nil {
			t.Fatal(err)
		}
		tlsConfig.Certificates = []tls.Certificate{cert}
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}, Timeout: pollTimeout}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// get GETs url, with token as a bearer token if not empty, and returns the status code
// and body.
func get(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
