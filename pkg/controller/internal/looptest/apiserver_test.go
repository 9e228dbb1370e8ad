package looptest

import (
	"context"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
)

func TestTheFakeAPIActsAsTheAPIServer(t *testing.T) {
	ctx := context.Background()
	seeded := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "db", ResourceVersion: "1"}}
	seeded.Spec.ExternalID = "instance-id"
	e := NewEnv(t, []runtime.Object{seeded}, nil)
	instances := e.Catalog.ServicecatalogV1beta1().ServiceInstances("ns")

	if _, err := e.Informers.ServiceInstances().Lister().ServiceInstances("ns").Get("db"); err != nil {
		t.Fatalf("the indexer was not filled: %v", err)
	}

	created, err := instances.Create(ctx, &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "other"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	Expect(t, "created", metav1.ObjectMeta{Namespace: "ns", Name: "other", UID: types.UID("uid-other"), ResourceVersion: "101"}, created.ObjectMeta)

	// A status update keeps the spec; an update keeps the status.
	i := seeded.DeepCopy()
	i.Spec.ExternalID = "changed"
	i.Status.DashboardURL = "https://dashboard"
	updated, err := instances.UpdateStatus(ctx, i, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	Expect(t, "after a status update", []string{"instance-id", "https://dashboard", "102"},
		[]string{updated.Spec.ExternalID, updated.Status.DashboardURL, updated.ResourceVersion})
	i = updated.DeepCopy()
	i.Spec.ExternalID = "changed"
	i.Status.DashboardURL = ""
	updated, err = instances.Update(ctx, i, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	Expect(t, "after an update", []string{"changed", "https://dashboard", "103"},
		[]string{updated.Spec.ExternalID, updated.Status.DashboardURL, updated.ResourceVersion})

	// Writes based on an older version are refused.
	if _, err := instances.UpdateStatus(ctx, seeded, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("a stale status update: %v, want a conflict", err)
	}
	if _, err := instances.Update(ctx, seeded, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("a stale update: %v, want a conflict", err)
	}
	stale := []byte(`{"metadata":{"resourceVersion":"1","finalizers":[]}}`)
	if _, err := instances.Patch(ctx, "db", types.MergePatchType, stale, metav1.PatchOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("a stale patch: %v, want a conflict", err)
	}
	current := []byte(`{"metadata":{"resourceVersion":"103","finalizers":["x"]}}`)
	patched, err := instances.Patch(ctx, "db", types.MergePatchType, current, metav1.PatchOptions{})
	if err != nil {
		t.Fatalf("a patch of the current version: %v", err)
	}
	Expect(t, "finalizers after a patch", []string{"x"}, patched.Finalizers)

	// The informers see the API only when Refresh delivers it.
	e.ForgetWrites()
	e.Refresh()
	cached, err := e.Informers.ServiceInstances().Lister().ServiceInstances("ns").Get("db")
	if err != nil {
		t.Fatal(err)
	}
	Expect(t, "spec.externalID cached after Refresh", "changed", cached.Spec.ExternalID)
	e.WantWrites()
}
