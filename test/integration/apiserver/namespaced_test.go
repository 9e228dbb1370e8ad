package apiserver

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	clientset "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

// namespacedCatalog creates, in each of namespaces, the namespaced twins (scopetest) of a
// broker "team-broker" with classes "pg" and "redis", each with plans "small" and "large",
// and returns the cluster objects it made the twins of.
func namespacedCatalog(t *testing.T, c clientset.ServicecatalogV1beta1Interface, namespaces ...string) []runtime.Object {
	t.Helper()
	cluster := []runtime.Object{framework.Broker("team-broker")}
	for _, class := range []string{"pg", "redis"} {
		cluster = append(cluster, framework.Class(class, "team-broker"))
		for _, plan := range []string{"small", "large"} {
			cluster = append(cluster, framework.Plan(class+"-"+plan, class, "team-broker"))
		}
	}
	ctx := t.Context()
	for _, ns := range namespaces {
		for _, obj := range cluster {
			var err error
			switch twin := scopetest.Versioned(obj).(type) {
			case *v1beta1.ServiceBroker:
				twin.Namespace = ns
				_, err = c.ServiceBrokers(ns).Create(ctx, twin, metav1.CreateOptions{})
			case *v1beta1.ServiceClass:
				twin.Namespace = ns
				_, err = c.ServiceClasses(ns).Create(ctx, twin, metav1.CreateOptions{})
			case *v1beta1.ServicePlan:
				twin.Namespace = ns
				_, err = c.ServicePlans(ns).Create(ctx, twin, metav1.CreateOptions{})
			}
			if err != nil {
				t.Fatalf("creating the twin of %T in %s: %v", obj, ns, err)
			}
		}
	}
	return cluster
}

// TestNamespacedFieldSelectors lists the namespaced classes, plans and instances by the
// fields of the namespace scope, in one namespace and in all.
func TestNamespacedFieldSelectors(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	namespacedCatalog(t, c, "team-a", "team-b")
	for _, name := range []string{"a", "b"} {
		i := scopetest.Versioned(framework.Instance("team-a", name, "pg-offering", name+"-plan")).(*v1beta1.ServiceInstance)
		if _, err := c.ServiceInstances("team-a").Create(ctx, i, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	resolved, err := c.ServiceInstances("team-a").Get(ctx, "b", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resolved.Status.ServiceClassRef = &v1beta1.LocalObjectReference{Name: "pg"}
	resolved.Status.ServicePlanRef = &v1beta1.LocalObjectReference{Name: "pg-large"}
	resolved.Status.ServiceBrokerName = "team-broker"
	if _, err := c.ServiceInstances("team-a").UpdateStatus(ctx, resolved, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		selector string
		list     func(metav1.ListOptions) (runtime.Object, error)
		want     []string
	}{
		{"spec.serviceBrokerName=team-broker", wrap(c.ServiceClasses("team-a").List), []string{"team-a/pg", "team-a/redis"}},
		{"spec.externalName=pg-offering", wrap(c.ServiceClasses("").List), []string{"team-a/pg", "team-b/pg"}},
		{"spec.externalID=redis-id,metadata.namespace=team-b", wrap(c.ServiceClasses("").List), []string{"team-b/redis"}},
		{"spec.serviceClassRef.name=redis", wrap(c.ServicePlans("team-b").List), []string{"team-b/redis-large", "team-b/redis-small"}},
		{"spec.serviceBrokerName=team-broker,spec.externalName=pg-small-plan", wrap(c.ServicePlans("").List), []string{"team-a/pg-small", "team-b/pg-small"}},
		{"spec.serviceClassExternalName=pg-offering", wrap(c.ServiceInstances("team-a").List), []string{"team-a/a", "team-a/b"}},
		{"spec.servicePlanExternalName=a-plan", wrap(c.ServiceInstances("team-a").List), []string{"team-a/a"}},
		{"spec.clusterServiceClassExternalName=pg-offering", wrap(c.ServiceInstances("team-a").List), nil},
		{"status.serviceClassRef.name=pg,status.servicePlanRef.name=pg-large", wrap(c.ServiceInstances("team-a").List), []string{"team-a/b"}},
		{"status.serviceBrokerName=team-broker", wrap(c.ServiceInstances("team-a").List), []string{"team-a/b"}},
		{"metadata.name=team-broker", wrap(c.ServiceBrokers("").List), []string{"team-a/team-broker", "team-b/team-broker"}},
	} {
		list, err := tc.list(metav1.ListOptions{FieldSelector: tc.selector})
		if err != nil {
			t.Fatalf("%s: %v", tc.selector, err)
		}
		if got := keys(t, list); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.selector, got, tc.want)
		}
	}
	// The cluster scope's field names select nothing here: they are refused.
	if _, err := c.ServiceClasses("team-a").List(ctx, metav1.ListOptions{FieldSelector: "spec.clusterServiceBrokerName=team-broker"}); !apierrors.IsBadRequest(err) {
		t.Errorf("spec.clusterServiceBrokerName on ServiceClasses: got %v, want 400 Bad Request", err)
	}
}

// TestNamespacedTables checks that the namespaced brokers, classes and plans print the
// columns and cells of their cluster twins.
func TestNamespacedTables(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	for _, obj := range namespacedCatalog(t, c, "team-a") {
		var err error
		switch o := obj.(type) {
		case *v1beta1.ClusterServiceBroker:
			_, err = c.ClusterServiceBrokers().Create(ctx, o, metav1.CreateOptions{})
		case *v1beta1.ClusterServiceClass:
			_, err = c.ClusterServiceClasses().Create(ctx, o, metav1.CreateOptions{})
		case *v1beta1.ClusterServicePlan:
			_, err = c.ClusterServicePlans().Create(ctx, o, metav1.CreateOptions{})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	table := func(path string) metav1.Table {
		t.Helper()
		body, err := c.RESTClient().Get().AbsPath(path).SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var tbl metav1.Table
		if err := json.Unmarshal(body, &tbl); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return tbl
	}
	const group = "/apis/servicecatalog.k8s.io/v1beta1/"
	for cluster, namespaced := range map[string]string{
		"clusterservicebrokers": "servicebrokers", "clusterserviceclasses": "serviceclasses", "clusterserviceplans": "serviceplans",
	} {
		want, got := table(group+cluster), table(group+"namespaces/team-a/"+namespaced)
		if len(got.ColumnDefinitions) == 0 || !slices.Equal(columnNames(got), columnNames(want)) {
			t.Errorf("%s: columns %v, want those of %s: %v", namespaced, columnNames(got), cluster, columnNames(want))
		}
		if len(got.Rows) != len(want.Rows) || len(got.Rows) == 0 {
			t.Fatalf("%s: %d rows, want %d", namespaced, len(got.Rows), len(want.Rows))
		}
		for i := range want.Rows {
			// Every cell but the age, which the twins do not share.
			for j, col := range want.ColumnDefinitions {
				if col.Name != "Age" && got.Rows[i].Cells[j] != want.Rows[i].Cells[j] {
					t.Errorf("%s row %d, %s: %v, want %v", namespaced, i, col.Name, got.Rows[i].Cells[j], want.Rows[i].Cells[j])
				}
			}
		}
	}
}

// keys returns the namespace/name of each item of a list, sorted.
func keys(t *testing.T, list runtime.Object) []string {
	t.Helper()
	items, err := meta.ExtractList(list)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, item := range items {
		m := accessor(t, item)
		out = append(out, m.GetNamespace()+"/"+m.GetName())
	}
	slices.Sort(out)
	return out
}

// columnNames returns the names of a table's columns.
func columnNames(t metav1.Table) []string {
	var names []string
	for _, c := range t.ColumnDefinitions {
		names = append(names, c.Name)
	}
	return names
}

// TestInstanceNamingBothScopesIsRefused checks that an instance names its class and plan
// in one scope only, with an error that names the field and the rule, and that a
// namespaced class of another namespace is not the instance's.
func TestInstanceNamingBothScopesIsRefused(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	mixed := framework.Instance("team-a", "mixed", "pg-offering", "pg-small-plan")
	mixed.Spec.ServiceClassExternalName = "pg-offering"
	_, err := c.ServiceInstances("team-a").Create(ctx, mixed, metav1.CreateOptions{})
	checkInvalid(t, err, "spec.serviceClassExternalName", "either with the clusterServiceClass…/clusterServicePlan… fields (a ClusterServiceClass) "+
		"or with the serviceClass…/servicePlan… fields (a ServiceClass of its namespace), never both")

	local := scopetest.Versioned(framework.Instance("team-a", "local", "pg-offering", "pg-small-plan")).(*v1beta1.ServiceInstance)
	created, err := c.ServiceInstances("team-a").Create(ctx, local, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	created.Spec.ServiceClassExternalName, created.Spec.ServicePlanExternalName = "", ""
	created.Spec.ClusterServiceClassExternalName, created.Spec.ClusterServicePlanExternalName = "pg-offering", "pg-small-plan"
	_, err = c.ServiceInstances("team-a").Update(ctx, created, metav1.UpdateOptions{})
	checkInvalid(t, err, "spec.clusterServiceClassExternalName", "the instance's class is a ServiceClass (serviceClassExternalName): it cannot change to a ClusterServiceClass")
}

// TestDefaultServicePlanOfANamespacedClass checks that an instance naming a ServiceClass
// of its namespace with one plan, and no plan, gets that plan in the servicePlan… field of
// its naming; that one naming a class of several plans is refused with the list; and that
// the classes of another namespace give nothing.
func TestDefaultServicePlanOfANamespacedClass(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := t.Context()
	namespacedCatalog(t, c, "team-a", "team-b")
	single := scopetest.Versioned(framework.Class("single", "team-broker")).(*v1beta1.ServiceClass)
	single.Namespace = "team-a"
	plan := scopetest.Versioned(framework.Plan("single-only", "single", "team-broker")).(*v1beta1.ServicePlan)
	plan.Namespace = "team-a"
	if _, err := c.ServiceClasses("team-a").Create(ctx, single, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServicePlans("team-a").Create(ctx, plan, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	create := func(ns, name string, ref v1beta1.PlanReference) func([]string) error {
		return func(dryRun []string) error {
			i := framework.Instance(ns, name, "", "")
			i.Spec.PlanReference = ref
			_, err := c.ServiceInstances(ns).Create(ctx, i, metav1.CreateOptions{DryRun: dryRun})
			return err
		}
	}
	for name, ref := range map[string]v1beta1.PlanReference{
		"by-name":          {ServiceClassName: "single"},
		"by-external-name": {ServiceClassExternalName: "single-offering"},
	} {
		if err := afterCachesCatchUp(t, allowed, create("team-a", name, ref)); err != nil {
			t.Fatal(err)
		}
		got, err := c.ServiceInstances("team-a").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]v1beta1.PlanReference{
			"by-name":          {ServiceClassName: "single", ServicePlanName: "single-only"},
			"by-external-name": {ServiceClassExternalName: "single-offering", ServicePlanExternalName: "single-only-plan"},
		}[name]
		if got.Spec.PlanReference != want {
			t.Errorf("%s: plan reference %+v, want %+v", name, got.Spec.PlanReference, want)
		}
	}
	err := afterCachesCatchUp(t, apierrors.IsInvalid, create("team-a", "ambiguous", v1beta1.PlanReference{ServiceClassExternalName: "pg-offering"}))
	checkInvalid(t, err, "spec.servicePlanExternalName", `class "pg-offering" has 2 plans; name one of: pg-large-plan, pg-small-plan`)

	// team-b has no class "single": validation asks for the plan.
	err = create("team-b", "elsewhere", v1beta1.PlanReference{ServiceClassExternalName: "single-offering"})(nil)
	checkInvalid(t, err, "spec.servicePlanExternalName", "the plan must be named the same way as the class (serviceClassExternalName)")
}

// TestNamespacedBrokerKeepsRelistRequests checks, through the API, what a namespaced
// broker shares with a cluster one: the finalizer, the default relist behaviour, and a
// relistRequests kept when a client replaces the broker from its manifest.
func TestNamespacedBrokerKeepsRelistRequests(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	brokers := s.AdminClient(t).ServicecatalogV1beta1().ServiceBrokers("team-a")
	ctx := context.Background()
	manifest := scopetest.Versioned(framework.Broker("team-broker")).(*v1beta1.ServiceBroker)
	created, err := brokers.Create(ctx, manifest.DeepCopy(), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if created.Spec.RelistBehavior != v1beta1.ServiceBrokerRelistBehaviorDuration || !slices.Contains(created.Finalizers, v1beta1.FinalizerServiceCatalog) {
		t.Errorf("a new broker: relistBehavior %q, finalizers %v; want Duration and the catalog's", created.Spec.RelistBehavior, created.Finalizers)
	}
	created.Spec.RelistRequests = 3
	bumped, err := brokers.Update(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	manifest.ResourceVersion = bumped.ResourceVersion
	replaced, err := brokers.Update(ctx, manifest, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if replaced.Spec.RelistRequests != 3 || replaced.Generation != bumped.Generation {
		t.Errorf("replaced from its manifest: relistRequests %d, generation %d; want 3 and %d", replaced.Spec.RelistRequests, replaced.Generation, bumped.Generation)
	}
}
