package initializer

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
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
	clusterCatalog := []runtime.Object{
		class("pg-a", "db"), class("pg-b", "db"), class("redis", "cache"),
		plan("pg-a-small", "pg-a"), plan("pg-a-large", "pg-a"), plan("redis-small", "redis"),
	}
	objs := []runtime.Object{
		instance("team-a", "db", "shared"), instance("team-b", "db", "shared"), instance("team-b", "other", "other"),
		binding("team-a", "creds", "shared"), binding("team-a", "other", "other"),
	}
	// The namespaced twins of the cluster catalog in team-a (see scopetest), and in team-b
	// a class of the same names with a plan of its own.
	for _, obj := range clusterCatalog {
		objs = append(objs, obj, scopetest.Versioned(obj))
	}
	other := scopetest.Versioned(class("pg-a", "db")).(*v1beta1.ServiceClass)
	other.Namespace = "team-b"
	otherPlan := scopetest.Versioned(plan("pg-a-tiny", "pg-a")).(*v1beta1.ServicePlan)
	otherPlan.Namespace = "team-b"
	client := fake.NewClientset(append(objs, other, otherPlan)...)
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

// TestCatalogReaderClasses looks classes up in both scopes: a ClusterServiceClass
// anywhere, a ServiceClass only in its namespace.
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
		for _, where := range []struct {
			scope     catalog.Scope
			namespace string
			want      []string
		}{
			{catalog.ClusterScope, "team-c", tc.want},
			{catalog.NamespaceScope, "team-a", tc.want},
			// team-b has only pg-a, and team-c nothing.
			{catalog.NamespaceScope, "team-b", slices.DeleteFunc(slices.Clone(tc.want), func(n string) bool { return n != "pg-a" })},
			{catalog.NamespaceScope, "team-c", nil},
		} {
			classes, err := r.Classes(t.Context(), where.scope, where.namespace, tc.naming, tc.value)
			if err != nil {
				t.Errorf("%v by %v %q in %s: %v", where.scope, tc.naming, tc.value, where.namespace, err)
				continue
			}
			var got []string
			for _, c := range classes {
				got = append(got, c.Name)
				if c.Scope != where.scope || (where.scope == catalog.NamespaceScope && c.Namespace != where.namespace) {
					t.Errorf("%v by %v %q in %s: got %s in %v scope, namespace %q", where.scope, tc.naming, tc.value, where.namespace, c.Name, c.Scope, c.Namespace)
				}
			}
			slices.Sort(got)
			if diff := cmp.Diff(where.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%v classes by %v %q in %s (-want +got):\n%s", where.scope, tc.naming, tc.value, where.namespace, diff)
			}
		}
	}
}

// TestCatalogReaderPlans looks plans up in both scopes, by name and by class.
func TestCatalogReaderPlans(t *testing.T) {
	r := newReader(t)
	ctx := t.Context()
	for scope, namespace := range map[catalog.Scope]string{catalog.ClusterScope: "", catalog.NamespaceScope: "team-a"} {
		if plan, err := r.Plan(ctx, scope, "team-a", "pg-a-small"); err != nil || plan == nil || plan.Name != "pg-a-small" || plan.Scope != scope {
			t.Errorf("%v plan pg-a-small: got %+v, %v", scope, plan, err)
		}
		if plan, err := r.Plan(ctx, scope, "team-a", "nosuch"); err != nil || plan != nil {
			t.Errorf("%v plan nosuch: got %+v, %v; want none", scope, plan, err)
		}
		for class, want := range map[string][]string{
			"pg-a":   {"pg-a-large", "pg-a-small"},
			"redis":  {"redis-small"},
			"nosuch": nil,
		} {
			plans, err := r.PlansOfClass(ctx, &catalog.Class{Scope: scope, Namespace: namespace, Name: class})
			if err != nil {
				t.Errorf("%v plans of %s: %v", scope, class, err)
				continue
			}
			var got []string
			for _, p := range plans {
				got = append(got, p.Name)
			}
			slices.Sort(got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%v plans of %s (-want +got):\n%s", scope, class, diff)
			}
		}
	}
	if plan, err := r.Plan(ctx, catalog.NamespaceScope, "team-b", "pg-a-small"); err != nil || plan != nil {
		t.Errorf("plan pg-a-small of team-b: got %+v, %v; want none, it is team-a's", plan, err)
	}
}

// TestCatalogReaderInstanceLookups looks up the class and plan an instance names, and
// those the controller resolved, in both scopes.
func TestCatalogReaderInstanceLookups(t *testing.T) {
	r := newReader(t)
	ctx := t.Context()
	named := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "db"}, Spec: sc.ServiceInstanceSpec{
		PlanReference: sc.PlanReference{ClusterServiceClassExternalID: "pg-a-id", ClusterServicePlanName: "pg-a-large"},
	}}
	resolved := named.DeepCopy()
	resolved.Spec.PlanReference = sc.PlanReference{ClusterServiceClassExternalName: "db"} // ambiguous
	resolved.Status.ClusterServiceClassRef = &sc.ClusterObjectReference{Name: "redis"}
	resolved.Status.ClusterServicePlanRef = &sc.ClusterObjectReference{Name: "redis-small"}
	for _, tc := range []struct {
		name          string
		instance      *sc.ServiceInstance
		scope         catalog.Scope
		class, plan   string
		wantNamespace string
	}{
		{"named, cluster", named, catalog.ClusterScope, "pg-a", "", ""},
		{"named, namespace", scopetest.Instance(named), catalog.NamespaceScope, "pg-a", "", "team-a"},
		{"resolved, cluster", resolved, catalog.ClusterScope, "redis", "redis-small", ""},
		{"resolved, namespace", scopetest.Instance(resolved), catalog.NamespaceScope, "redis", "redis-small", "team-a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class, err := r.InstanceClass(ctx, tc.instance)
			if err != nil || class == nil || class.Name != tc.class || class.Scope != tc.scope || class.Namespace != tc.wantNamespace {
				t.Errorf("class: got %+v, %v; want %s in %v scope", class, err, tc.class, tc.scope)
			}
			plan, err := r.InstancePlan(ctx, tc.instance)
			if tc.plan == "" {
				// The spec names the plan by name but its class by external ID: no plan.
				if err != nil || plan != nil {
					t.Errorf("plan: got %+v, %v; want none", plan, err)
				}
				return
			}
			if err != nil || plan == nil || plan.Name != tc.plan || plan.Scope != tc.scope {
				t.Errorf("plan: got %+v, %v; want %s in %v scope", plan, err, tc.plan, tc.scope)
			}
		})
	}
	byName := &sc.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "db"}, Spec: sc.ServiceInstanceSpec{
		PlanReference: sc.PlanReference{ServiceClassName: "pg-a", ServicePlanName: "pg-a-tiny"},
	}}
	if plan, err := r.InstancePlan(ctx, byName); err != nil || plan == nil || plan.Namespace != "team-b" || plan.Name != "pg-a-tiny" {
		t.Errorf("plan of team-b/db: got %+v, %v; want team-b/pg-a-tiny", plan, err)
	}
	if class, err := r.ClassOf(ctx, "team-a", catalog.PlanReference{ServiceClassExternalName: "db"}); err != nil || class != nil {
		t.Errorf("class named by an ambiguous external name: got %+v, %v; want none", class, err)
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

// TestCatalogReaderLookupAllocations bounds what a plan look-up allocates: the slice of
// views and the view, not a look-up of the informer in the factory. Admission looks plans
// up on every write of an instance or binding.
func TestCatalogReaderLookupAllocations(t *testing.T) {
	r := newReader(t)
	allocs := testing.AllocsPerRun(100, func() {
		if plan, err := r.Plan(t.Context(), catalog.ClusterScope, "", "pg-a-small"); err != nil || plan == nil {
			t.Fatalf("plan pg-a-small: %v, %v", plan, err)
		}
	})
	if allocs > 2 {
		t.Errorf("a plan look-up allocates %v times, want at most 2", allocs)
	}
}
