package apiserver

import (
	"context"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/user"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

func TestUserInfoIsTheAuthenticatedCaller(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t), Users: []string{"alice", "bob"}})
	ctx := context.Background()
	const ns = "team-a"
	alice := s.UserClient(t, "alice").ServicecatalogV1beta1()
	bob := s.UserClient(t, "bob").ServicecatalogV1beta1()

	checkUser := func(t *testing.T, what string, got *v1beta1.UserInfo, want string) {
		t.Helper()
		if got == nil {
			t.Fatalf("%s: no userInfo", what)
		}
		if got.Username != want || got.UID != "uid-"+want {
			t.Errorf("%s: userInfo is %s (%s), want %s", what, got.Username, got.UID, want)
		}
		if !slices.Contains(got.Groups, "team-"+want) || !slices.Contains(got.Groups, user.AllAuthenticated) {
			t.Errorf("%s: groups are %v, want team-%s and %s", what, got.Groups, want, user.AllAuthenticated)
		}
	}

	t.Run("ServiceInstance", func(t *testing.T) {
		instance := framework.Instance(ns, "db", "postgresql", "small")
		// A client cannot claim to be someone else.
		instance.Spec.UserInfo = &v1beta1.UserInfo{Username: "bob", UID: "uid-bob", Groups: []string{"system:masters"}}
		created, err := alice.ServiceInstances(ns).Create(ctx, instance, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, "create by alice", created.Spec.UserInfo, "alice")

		// Each broker request carries one user's changes: while alice's has not been sent,
		// bob's is refused, and he is told when to try again.
		created.Spec.ClusterServicePlanExternalName = "large"
		_, err = bob.ServiceInstances(ns).Update(ctx, created, metav1.UpdateOptions{})
		if !apierrors.IsTooManyRequests(err) || !strings.Contains(err.Error(), `the change of user "alice" to instance "db" (generation 1) has not been sent to the broker yet`) {
			t.Fatalf("bob's change while alice's is pending: %v, want it held back with a message that says why", err)
		}
		// The controller picks alice's change up.
		created.Status.ObservedGeneration = created.Generation
		if created, err = s.AdminClient(t).ServicecatalogV1beta1().ServiceInstances(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		created.Spec.ClusterServicePlanExternalName = "large"
		updated, err := bob.ServiceInstances(ns).Update(ctx, created, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, "spec update by bob", updated.Spec.UserInfo, "bob")

		updated.Labels = map[string]string{"touched": "by-alice"}
		updated.Spec.UserInfo = &v1beta1.UserInfo{Username: "alice"}
		relabeled, err := alice.ServiceInstances(ns).Update(ctx, updated, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, "label update by alice", relabeled.Spec.UserInfo, "bob")

		if err := alice.ServiceInstances(ns).Delete(ctx, "db", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		deleting, err := bob.ServiceInstances(ns).Get(ctx, "db", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, "delete by alice", deleting.Spec.UserInfo, "alice")
	})

	t.Run("ServiceBinding", func(t *testing.T) {
		// Not "db": ServiceBindingsLifecycle refuses bindings to an instance being deleted.
		binding := framework.Binding(ns, "db-creds", "cache")
		binding.Spec.UserInfo = &v1beta1.UserInfo{Username: "alice"}
		created, err := bob.ServiceBindings(ns).Create(ctx, binding, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, "create by bob", created.Spec.UserInfo, "bob")

		if err := alice.ServiceBindings(ns).Delete(ctx, "db-creds", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		deleting, err := bob.ServiceBindings(ns).Get(ctx, "db-creds", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkUser(t, "delete by alice", deleting.Spec.UserInfo, "alice")
	})
}
