package e2e

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned"
)

// TestStatusWritesShareOneSubjectAccessReview writes the status of many differently named
// instances as one identity and counts the SubjectAccessReviews the catalog API server
// sends to kube-apiserver: the nameless question, cached, answers them all. The
// instances do not exist, so each write is authorized and then answered 404.
func TestStatusWritesShareOneSubjectAccessReview(t *testing.T) {
	if stack == nil {
		t.Skip("needs the stack (not in -short mode)")
	}
	const ns, writes = "e2e-authz-cache", 200
	createNamespace(t, ns)
	grantStatusUpdates(t, ns, bob)
	client, err := versioned.NewForConfig(stack.Cluster.Config(bob))
	if err != nil {
		t.Fatal(err)
	}
	before := delegatedAuthzRequests(t)
	for i := range writes {
		instance := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("instance-%d", i), Namespace: ns}}
		_, err := client.ServicecatalogV1beta1().ServiceInstances(ns).UpdateStatus(t.Context(), instance, metav1.UpdateOptions{})
		if !apierrors.IsNotFound(err) {
			t.Fatalf("status write %d: %v, want NotFound (authorized, no such instance)", i, err)
		}
	}
	sent := delegatedAuthzRequests(t) - before
	t.Logf("%d status writes of differently named instances sent %d SubjectAccessReviews", writes, sent)
	if sent >= writes/2 {
		t.Errorf("%d status writes sent %d SubjectAccessReviews, want far fewer than one per name", writes, sent)
	}
}

// grantStatusUpdates lets user update the status of every instance in ns.
func grantStatusUpdates(t *testing.T, ns, user string) {
	t.Helper()
	cs := stack.Cluster.Clientset(admin)
	info := stack.Cluster.UserInfo(user)
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"servicecatalog.k8s.io"}, Resources: []string{"serviceinstances/status"}, Verbs: []string{"update"}}}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "status-writer", Namespace: ns}, Rules: rules}
	if _, err := cs.RbacV1().Roles(ns).Create(t.Context(), role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "status-writer", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: cmp.Or(info.CommonName, info.Name)}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(t.Context(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// delegatedAuthzRequests sums apiserver_delegated_authz_request_total on the catalog API
// server: the SubjectAccessReviews it has sent, cache hits excluded.
func delegatedAuthzRequests(t *testing.T) int {
	t.Helper()
	url := "https://127.0.0.1:" + strconv.Itoa(stack.APIServerPort) + "/metrics"
	code, body := get(t, insecureClient(t, stack.Cluster.Config(admin)), url, "")
	if code != 200 {
		t.Fatalf("GET %s: %d %s", url, code, firstLine(body))
	}
	total := 0
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, "apiserver_delegated_authz_request_total{") {
			continue
		}
		n, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("parsing %q: %v", line, err)
		}
		total += int(n)
	}
	return total
}
