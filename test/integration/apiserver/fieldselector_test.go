package apiserver

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

func TestFieldSelectors(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	c := s.AdminClient(t).ServicecatalogV1beta1()
	ctx := context.Background()
	const ns = "team-a"

	must := func(_ runtime.Object, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, broker := range []string{"b1", "b2"} {
		for _, class := range []string{"pg", "redis"} {
			must(c.ClusterServiceClasses().Create(ctx, framework.Class(broker+"-"+class, broker), metav1.CreateOptions{}))
			for _, plan := range []string{"small", "large"} {
				must(c.ClusterServicePlans().Create(ctx, framework.Plan(broker+"-"+class+"-"+plan, broker+"-"+class, broker), metav1.CreateOptions{}))
			}
		}
	}
	for _, i := range []struct{ name, class, plan string }{{"a", "pg", "small"}, {"b", "pg", "large"}, {"c", "redis", "small"}} {
		must(c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, i.name, i.class, i.plan), metav1.CreateOptions{}))
	}
	// The controller records the resolved class and plan in status.
	resolved, err := c.ServiceInstances(ns).Get(ctx, "b", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resolved.Status.ClusterServiceClassRef = &v1beta1.ClusterObjectReference{Name: "b1-pg"}
	resolved.Status.ClusterServicePlanRef = &v1beta1.ClusterObjectReference{Name: "b1-pg-large"}
	must(c.ServiceInstances(ns).UpdateStatus(ctx, resolved, metav1.UpdateOptions{}))
	for _, b := range []struct{ name, instance string }{{"a1", "a"}, {"a2", "a"}, {"b1", "b"}} {
		must(c.ServiceBindings(ns).Create(ctx, framework.Binding(ns, b.name, b.instance), metav1.CreateOptions{}))
	}

	names := func(list runtime.Object, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		items, _ := meta.ExtractList(list)
		var out []string
		for _, item := range items {
			m, _ := meta.Accessor(item)
			out = append(out, m.GetName())
		}
		slices.Sort(out)
		return out
	}
	sel := func(s string) metav1.ListOptions { return metav1.ListOptions{FieldSelector: s} }

	cases := []struct {
		selector string
		list     func(metav1.ListOptions) (runtime.Object, error)
		want     []string
	}{
		{"spec.externalName=b1-pg-offering", wrap(c.ClusterServiceClasses().List), []string{"b1-pg"}},
		{"spec.externalID=b2-redis-id", wrap(c.ClusterServiceClasses().List), []string{"b2-redis"}},
		{"spec.clusterServiceBrokerName=b2", wrap(c.ClusterServiceClasses().List), []string{"b2-pg", "b2-redis"}},
		{"spec.clusterServiceBrokerName=b1,spec.externalName!=b1-pg-offering", wrap(c.ClusterServiceClasses().List), []string{"b1-redis"}},
		{"metadata.name=b1-redis", wrap(c.ClusterServiceClasses().List), []string{"b1-redis"}},
		{"spec.externalName=b1-pg-small-plan", wrap(c.ClusterServicePlans().List), []string{"b1-pg-small"}},
		{"spec.externalID=b2-pg-large-id", wrap(c.ClusterServicePlans().List), []string{"b2-pg-large"}},
		{"spec.clusterServiceClassRef.name=b2-redis", wrap(c.ClusterServicePlans().List), []string{"b2-redis-large", "b2-redis-small"}},
		{"spec.clusterServiceBrokerName=b1,spec.externalName=large-plan", wrap(c.ClusterServicePlans().List), nil},
		{"spec.clusterServiceClassExternalName=pg", wrap(c.ServiceInstances(ns).List), []string{"a", "b"}},
		{"spec.clusterServiceClassExternalName=pg,spec.clusterServicePlanExternalName=small", wrap(c.ServiceInstances(ns).List), []string{"a"}},
		{"spec.clusterServiceClassExternalName=mysql", wrap(c.ServiceInstances(ns).List), nil},
		{"status.clusterServicePlanRef.name=b1-pg-large", wrap(c.ServiceInstances(ns).List), []string{"b"}},
		{"status.clusterServiceClassRef.name=b1-pg", wrap(c.ServiceInstances(ns).List), []string{"b"}},
		{"spec.instanceRef.name=a", wrap(c.ServiceBindings(ns).List), []string{"a1", "a2"}},
		{"spec.secretName=b1", wrap(c.ServiceBindings(ns).List), []string{"b1"}},
	}
	for _, tc := range cases {
		if got := names(tc.list(sel(tc.selector))); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.selector, got, tc.want)
		}
	}

	instanceByID, err := c.ServiceInstances(ns).Get(ctx, "c", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(wrap(c.ServiceInstances(ns).List)(sel("spec.externalID=" + instanceByID.Spec.ExternalID))); !slices.Equal(got, []string{"c"}) {
		t.Errorf("spec.externalID: got %v, want [c]", got)
	}

	// An unsupported field is a 400 that names it.
	for _, tc := range []struct {
		selector string
		list     func(metav1.ListOptions) (runtime.Object, error)
	}{
		{"spec.description=x", wrap(c.ClusterServiceClasses().List)},
		{"spec.parameters=x", wrap(c.ServiceInstances(ns).List)},
		{"spec.url=x", wrap(c.ClusterServiceBrokers().List)},
	} {
		_, err := tc.list(sel(tc.selector))
		if !apierrors.IsBadRequest(err) {
			t.Errorf("%s: got %v, want 400 Bad Request", tc.selector, err)
			continue
		}
		field := strings.SplitN(tc.selector, "=", 2)[0]
		if !strings.Contains(err.Error(), field) {
			t.Errorf("%s: error %q does not name %s", tc.selector, err, field)
		}
		if code := err.(apierrors.APIStatus).Status().Code; code != http.StatusBadRequest {
			t.Errorf("%s: status code %d", tc.selector, code)
		}
	}
}

// wrap adapts a typed List to return a runtime.Object.
func wrap[L runtime.Object](list func(context.Context, metav1.ListOptions) (L, error)) func(metav1.ListOptions) (runtime.Object, error) {
	return func(opts metav1.ListOptions) (runtime.Object, error) {
		return list(context.Background(), opts)
	}
}
