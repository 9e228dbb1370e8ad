package initializer

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
	"github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-service-catalog/catalog/pkg/generated/informers/externalversions"
)

// instanceGetter serves one instance, team-a/db.
type instanceGetter struct{}

func (instanceGetter) GetServiceInstance(_ context.Context, namespace, name string) (*sc.ServiceInstance, error) {
	if namespace == "team-a" && name == "db" {
		return &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}, nil
	}
	return nil, apierrors.NewNotFound(sc.Resource("serviceinstances"), name)
}

// newReader returns a reader over a fake clientset holding two classes with the external
// name "db" and their plans, and instances and bindings sharing external IDs; its
// informers have synced.
func newReader(t *testing.T) *CatalogReader {
	t.Helper()
	class := func(name, externalName string) *v1beta1.ClusterServiceClass {
		return &v1beta1.ClusterServiceClass{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: v1beta1.ClusterServiceClassSpec{CommonServiceClassSpec: v1beta1.CommonServiceClassSpec{ExternalName: externalName, ExternalID: name + "-id"}}}
	}
	plan := func(name, class string) *v1beta1.ClusterServicePlan {
		return &v1beta1.ClusterServicePlan{ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: v1beta1.ClusterServicePlanSpec{ClusterServiceClassRef: v1beta1.ClusterObjectReference{Name: class}}}
	}
	instance := func(namespace, name, id string) *v1beta1.ServiceInstance {
		return &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: v1beta1.ServiceInstanceSpec{ExternalID: id}}
	}
	binding := func(namespace, name, id string) *v1beta1.ServiceBinding {
		return &v1beta1.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Spec: v1beta1.ServiceBindingSpec{ExternalID: id}}
	}
	client := fake.NewClientset(
		class("pg-a", "db"), class("pg-b", "db"), class("redis", "cache"),
		plan("pg-a-small", "pg-a"), plan("pg-a-large", "pg-a"), plan("redis-small", "redis"),
		instance("team-a", "db", "shared"), instance("team-b", "db", "shared"), instance("team-b", "other", "other"),
		binding("team-a", "creds", "shared"), binding("team-a", "other", "other"),
	)
	f := informers.NewSharedInformerFactory(client, 0)
	r := NewCatalogReader(f, client, instanceGetter{})
	synced, err := r.WatchClassesAndPlans()
	if err != nil {
		t.Fatal(err)
	}
	// A second plugin asking again is fine.
	if _, err := r.WatchClassesAndPlans(); err != nil {
		t.Fatalf("watching again: %v", err)
	}
	if synced() {
		t.Error("synced before the informers started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		f.Shutdown()
	})
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	if !synced() {
		t.Error("not synced once the informers synced")
	}
	return r
}

func TestCatalogReaderClasses(t *testing.T) {
	r := newReader(t)
	for _, tc := range []struct {
		naming catalog.Naming
		value  string
		want   []string
	}{
		{catalog.ByName, "pg-a", []string{"pg-a"}},
		{catalog.ByName, "nosuch", nil},
		{catalog.ByExternalName, "db", []string{"pg-a", "pg-b"}},
		{catalog.ByExternalName, "cache", []string{"redis"}},
		{catalog.ByExternalName, "nosuch", nil},
		{catalog.ByExternalID, "redis-id", []string{"redis"}},
		{catalog.ByExternalID, "nosuch", nil},
	} {
		classes, err := r.ClusterServiceClasses(t.Context(), tc.naming, tc.value)
		if err != nil {
			t.Errorf("by %v %q: %v", tc.naming, tc.value, err)
			continue
		}
		var got []string
		for _, c := range classes {
			got = append(got, c.Name)
		}
		slices.Sort(got)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("classes by %v %q (-want +got):\n%s", tc.naming, tc.value, diff)
		}
	}
}

func TestCatalogReaderPlans(t *testing.T) {
	r := newReader(t)
	ctx := t.Context()
	if plan, err := r.ClusterServicePlan(ctx, "pg-a-small"); err != nil || plan.Name != "pg-a-small" {
		t.Errorf("plan pg-a-small: got %v, %v", plan, err)
	}
	if _, err := r.ClusterServicePlan(ctx, "nosuch"); !apierrors.IsNotFound(err) {
		t.Errorf("plan nosuch: got %v, want NotFound", err)
	}
	for class, want := range map[string][]string{
		"pg-a":   {"pg-a-large", "pg-a-small"},
		"redis":  {"redis-small"},
		"nosuch": nil,
	} {
		plans, err := r.ClusterServicePlansOfClass(ctx, class)
		if err != nil {
			t.Errorf("plans of %s: %v", class, err)
			continue
		}
		var got []string
		for _, p := range plans {
			got = append(got, p.Name)
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("plans of %s (-want +got):\n%s", class, diff)
		}
	}
}

func TestCatalogReaderInstances(t *testing.T) {
	r := newReader(t)
	ctx := t.Context()
	if i, err := r.ServiceInstance(ctx, "team-a", "db"); err != nil || i.Namespace != "team-a" || i.Name != "db" {
		t.Errorf("instance team-a/db: got %v, %v", i, err)
	}
	if _, err := r.ServiceInstance(ctx, "team-a", "nosuch"); !apierrors.IsNotFound(err) {
		t.Errorf("instance team-a/nosuch: got %v, want NotFound", err)
	}
}

func TestCatalogReaderExternalIDs(t *testing.T) {
	r := newReader(t)
	ctx := t.Context()
	sorted := func(names []types.NamespacedName, err error) []types.NamespacedName {
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(names, func(a, b types.NamespacedName) int {
			return strings.Compare(a.String(), b.String())
		})
		return names
	}
	for _, tc := range []struct {
		what string
		got  []types.NamespacedName
		want []types.NamespacedName
	}{
		{"instances with ID shared", sorted(r.ServiceInstancesWithExternalID(ctx, "shared")),
			[]types.NamespacedName{{Namespace: "team-a", Name: "db"}, {Namespace: "team-b", Name: "db"}}},
		{"instances with ID nosuch", sorted(r.ServiceInstancesWithExternalID(ctx, "nosuch")), nil},
		{"bindings with ID shared", sorted(r.ServiceBindingsWithExternalID(ctx, "shared")),
			[]types.NamespacedName{{Namespace: "team-a", Name: "creds"}}},
		{"bindings with ID nosuch", sorted(r.ServiceBindingsWithExternalID(ctx, "nosuch")), nil},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.what, diff)
		}
	}
}
