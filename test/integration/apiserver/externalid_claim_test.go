package apiserver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/admission/externalid"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// TestStorageRefusesASecondObjectWithAnExternalID races creates with one external ID
// through two API servers on one etcd, with the admission check (which looks at a cache)
// turned off: storage alone lets exactly one through. The ID is free again as soon as
// its object is deleted, or its create fails.
func TestStorageRefusesASecondObjectWithAnExternalID(t *testing.T) {
	etcd := framework.SharedEtcd(t)
	opts := framework.ServerOptions{EtcdServers: etcd, DisableAdmissionPlugins: []string{externalid.PluginName}}
	first := framework.StartServer(t, opts)
	opts.EtcdPrefix = first.EtcdPrefix
	second := framework.StartServer(t, opts)
	clients := []clientset.ServicecatalogV1beta1Interface{first.AdminClient(t).ServicecatalogV1beta1(), second.AdminClient(t).ServicecatalogV1beta1()}
	c := clients[0]
	ctx := t.Context()

	instance := func(ns, name, id string) *v1beta1.ServiceInstance {
		i := framework.Instance(ns, name, "postgresql", "small")
		i.Spec.ExternalID = id
		return i
	}
	createInstance := func(c clientset.ServicecatalogV1beta1Interface, i *v1beta1.ServiceInstance, dryRun ...string) error {
		_, err := c.ServiceInstances(i.Namespace).Create(ctx, i, metav1.CreateOptions{DryRun: dryRun})
		return err
	}
	binding := func(ns, name, id string) *v1beta1.ServiceBinding {
		b := framework.Binding(ns, name, "db")
		b.Spec.ExternalID = id
		return b
	}

	t.Run("concurrent instance creates", func(t *testing.T) {
		won := race(t, 16, func(n int) error {
			return createInstance(clients[n%2], instance(fmt.Sprintf("team-%d", n), "db", "raced-instance-id"))
		}, "is already used by another ServiceInstance")
		if len(won) != 1 {
			t.Fatalf("%d creates with one external ID succeeded, want 1", len(won))
		}
	})
	t.Run("concurrent binding creates", func(t *testing.T) {
		won := race(t, 16, func(n int) error {
			_, err := clients[n%2].ServiceBindings(fmt.Sprintf("team-%d", n)).Create(ctx, binding(fmt.Sprintf("team-%d", n), "creds", "raced-binding-id"), metav1.CreateOptions{})
			return err
		}, "is already used by another ServiceBinding")
		if len(won) != 1 {
			t.Fatalf("%d creates with one external ID succeeded, want 1", len(won))
		}
	})

	t.Run("free again once the object is deleted", func(t *testing.T) {
		if err := createInstance(c, instance("reuse-a", "db", "reused-id")); err != nil {
			t.Fatal(err)
		}
		err := createInstance(clients[1], instance("reuse-b", "db", "reused-id"))
		checkInvalid(t, err, "spec.externalID", "is already used by another ServiceInstance")
		deleteInstance(t, c, "reuse-a", "db")
		if err := createInstance(clients[1], instance("reuse-b", "db", "reused-id")); err != nil {
			t.Errorf("the ID of a deleted instance: %v", err)
		}
	})

	t.Run("a failed create holds nothing", func(t *testing.T) {
		invalid := instance("failed", "db", "failed-create-id")
		invalid.Spec.ClusterServicePlanExternalName = ""
		if err := createInstance(c, invalid); !apierrors.IsInvalid(err) || strings.Contains(err.Error(), "already used") {
			t.Fatalf("an instance without a plan: %v, want 422 for the plan", err)
		}
		if err := createInstance(c, instance("failed", "db", "failed-create-id")); err != nil {
			t.Errorf("the ID of a refused create: %v", err)
		}
	})

	t.Run("a dry run checks and holds nothing", func(t *testing.T) {
		if err := createInstance(c, instance("dry", "db", "dry-run-id"), metav1.DryRunAll); err != nil {
			t.Fatal(err)
		}
		if err := createInstance(c, instance("dry-2", "db", "dry-run-id")); err != nil {
			t.Fatalf("the ID after a dry run: %v", err)
		}
		err := createInstance(c, instance("dry-3", "db", "dry-run-id"), metav1.DryRunAll)
		checkInvalid(t, err, "spec.externalID", "is already used by another ServiceInstance")
	})

	t.Run("generated IDs", func(t *testing.T) {
		created, err := c.ServiceInstances("generated").Create(ctx, instance("generated", "db", ""), metav1.CreateOptions{})
		if err != nil || created.Spec.ExternalID == "" {
			t.Fatalf("no ID: %v, %v; want a generated one", created, err)
		}
		err = createInstance(clients[1], instance("copier", "db", created.Spec.ExternalID))
		checkInvalid(t, err, "spec.externalID", "is already used by another ServiceInstance")
	})
}

// race runs n requests at once and returns the numbers of those that succeeded; every
// other one must be a 422 on spec.externalID whose message holds msg.
func race(t *testing.T, n int, request func(n int) error, msg string) []int {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = request(i)
		})
	}
	close(start)
	wg.Wait()
	var won []int
	for i, err := range errs {
		if err == nil {
			won = append(won, i)
			continue
		}
		checkInvalid(t, err, "spec.externalID", msg)
	}
	return won
}

// deleteInstance deletes an instance and removes its finalizers, as the controller does
// once the broker deprovisioned it.
func deleteInstance(t *testing.T, c clientset.ServicecatalogV1beta1Interface, ns, name string) {
	t.Helper()
	ctx := context.Background()
	if err := c.ServiceInstances(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	i, err := c.ServiceInstances(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	i.Finalizers = nil
	if _, err := c.ServiceInstances(ns).Update(ctx, i, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}
