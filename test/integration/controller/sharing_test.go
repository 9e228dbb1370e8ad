package controller

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/controller/conditions"
)

// An instance is shared with another namespace by RBAC: a binding there may name it only
// when its creator may "bind" serviceinstances in the instance's namespace. The
// credentials land in the binding's namespace, the instance lists the binding, and
// deleting the instance waits for the binding.
func TestSharingAnInstanceWithAnotherNamespace(t *testing.T) {
	e := newEnv(t, envOptions{catalog: bindingCatalog})
	ctx := context.Background()
	instance := e.provisioned("shared-db", "kv-{id}", "sync")
	other := e.otherNamespace()
	const user = "bob" // a user of the cluster with no rights but those of this test
	e.grantIn(other, user, "edit")

	b := &v1beta1.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: other, Name: "db-creds"},
		Spec:       v1beta1.ServiceBindingSpec{InstanceRef: v1beta1.ServiceInstanceReference{Namespace: e.namespace, Name: instance.Name}},
	}
	bindings := e.userClient(user).ServicecatalogV1beta1().ServiceBindings(other)
	_, err := bindings.Create(ctx, b, metav1.CreateOptions{})
	want := `cannot bind serviceinstances "shared-db" in namespace "` + e.namespace + `"`
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), want) {
		t.Fatalf("a binding by a user without bind in %s: %v, want a 403 saying %q", e.namespace, err, want)
	}

	// The instance's namespace shares its instances with the user.
	e.grantIn(e.namespace, user, "service-catalog:instance-user")
	createEventually(t, func() error { _, err := bindings.Create(ctx, b, metav1.CreateOptions{}); return err })
	ready := waitForeignBinding(t, e, other, b.Name)
	secret, err := e.kube.CoreV1().Secrets(other).Get(ctx, b.Name, metav1.GetOptions{})
	if err != nil || len(secret.Data) == 0 {
		t.Fatalf("credentials Secret in %s: %v, keys %v", other, err, keys(secret))
	}
	put := e.bindingRecorded(ready.Spec.ExternalID)[0]
	if !strings.HasPrefix(put.Path, "/v2/service_instances/"+instance.Spec.ExternalID+"/service_bindings/") {
		t.Errorf("bind path %s", put.Path)
	}
	if ns := bindContextNamespace(t, put.Body); ns != other {
		t.Errorf("bind context namespace %q, want the binding's %q", ns, other)
	}
	e.waitInstance(instance.Name, "listing the binding", func(i *v1beta1.ServiceInstance) bool {
		return len(i.Status.SharedWith) == 1 && i.Status.SharedWith[0] == v1beta1.NamespacedObjectReference{Namespace: other, Name: b.Name}
	})

	// Deleting the instance waits for the binding, and says which it is.
	e.deleteInstance(instance.Name)
	blocked := e.waitInstance(instance.Name, "blocked by the binding", hasReason(v1beta1.ConditionReady, conditions.DeprovisionBlockedByExistingBindings))
	if m := meta.FindStatusCondition(blocked.Status.Conditions, v1beta1.ConditionReady).Message; !strings.Contains(m, other+"/"+b.Name) {
		t.Errorf("Ready message %q does not name the binding %s/%s", m, other, b.Name)
	}
	if got := e.requests(instance.Spec.ExternalID); strings.Contains(strings.Join(got, ","), "deprovision") {
		t.Errorf("deprovisioned with a binding left: %v", got)
	}
	if err := bindings.Delete(ctx, b.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitInstanceGone(instance.Name)
	got := e.requests(instance.Spec.ExternalID)
	if len(got) < 2 || !strings.HasPrefix(got[len(got)-2], "DELETE unbind") || !strings.HasPrefix(got[len(got)-1], "DELETE deprovision") {
		t.Errorf("broker saw %v, want the unbind, then the deprovision", got)
	}
}

// otherNamespace creates a second namespace for the test, deleted with it.
func (e *env) otherNamespace() string {
	e.t.Helper()
	name := e.namespace + "-other"
	if _, err := e.kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		_ = e.kube.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	return name
}

// grantIn binds a ClusterRole to a user in a namespace.
func (e *env) grantIn(namespace, user, role string) {
	e.t.Helper()
	_, err := e.kube.RbacV1().RoleBindings(namespace).Create(context.Background(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{GenerateName: strings.ReplaceAll(role, ":", "-") + "-"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
}

// createEventually retries a create that RBAC refuses until a new RoleBinding reaches
// the authorizer.
func createEventually(t *testing.T, create func() error) {
	t.Helper()
	var last error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		last = create()
		return !apierrors.IsForbidden(last), nil
	})
	if err != nil || last != nil {
		t.Fatalf("create: %v (last answer %v)", err, last)
	}
}

// bindContextNamespace returns context.namespace of a bind request's body.
func bindContextNamespace(t *testing.T, body []byte) string {
	t.Helper()
	var request struct {
		Context struct {
			Namespace string `json:"namespace"`
		} `json:"context"`
	}
	if err := json.Unmarshal(body, &request); err != nil {
		t.Fatalf("bind body: %v", err)
	}
	return request.Context.Namespace
}

// waitForeignBinding waits until a binding of another namespace is Ready.
func waitForeignBinding(t *testing.T, e *env, namespace, name string) *v1beta1.ServiceBinding {
	t.Helper()
	var last *v1beta1.ServiceBinding
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		b, err := e.catalog.ServicecatalogV1beta1().ServiceBindings(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = b
		return meta.IsStatusConditionTrue(b.Status.Conditions, v1beta1.ConditionReady), nil
	})
	if err != nil {
		t.Fatalf("binding %s/%s never became Ready; last status: %+v", namespace, name, bindingStatus(last))
	}
	return last
}

func keys(s *corev1.Secret) []string {
	if s == nil {
		return nil
	}
	var out []string
	for k := range s.Data {
		out = append(out, k)
	}
	return out
}
