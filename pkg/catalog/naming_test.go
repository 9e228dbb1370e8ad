package catalog_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/catalog"
)

// Both API versions' plan references convert to catalog.PlanReference; this stops
// compiling when their fields drift apart.
var (
	_ = catalog.PlanReference(sc.PlanReference{})
	_ = catalog.PlanReference(v1beta1.PlanReference{})
)

// naming is what a Naming says about itself and about a reference and a plan.
type naming struct {
	String, ClassField, PlanField, SelectableField string
	Class, Plan, Of                                string
}

func describe(n catalog.Naming, ref catalog.PlanReference, plan catalog.Names) naming {
	return naming{
		String: n.String(), ClassField: n.ClassField(), PlanField: n.PlanField(), SelectableField: n.SelectableField(),
		Class: n.Class(ref), Plan: n.Plan(ref), Of: n.Of(plan),
	}
}

func TestNamings(t *testing.T) {
	ref := catalog.PlanReference{
		ClusterServiceClassExternalName: "class-external-name", ClusterServicePlanExternalName: "plan-external-name",
		ClusterServiceClassExternalID: "class-external-id", ClusterServicePlanExternalID: "plan-external-id",
		ClusterServiceClassName: "class-name", ClusterServicePlanName: "plan-name",
	}
	plan := catalog.Names{Name: "name", ExternalName: "external-name", ExternalID: "external-id"}
	var got []naming
	for _, n := range catalog.Namings() {
		got = append(got, describe(n, ref, plan))
	}
	want := []naming{
		{"external name", "clusterServiceClassExternalName", "clusterServicePlanExternalName", "spec.externalName",
			"class-external-name", "plan-external-name", "external-name"},
		{"external ID", "clusterServiceClassExternalID", "clusterServicePlanExternalID", "spec.externalID",
			"class-external-id", "plan-external-id", "external-id"},
		{"name", "clusterServiceClassName", "clusterServicePlanName", "metadata.name",
			"class-name", "plan-name", "name"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namings (-want +got):\n%s", diff)
	}
}

func TestNamingOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		ref  catalog.PlanReference
		want catalog.Naming
	}{
		{"external name", catalog.PlanReference{ClusterServiceClassExternalName: "db"}, catalog.ByExternalName},
		{"external ID", catalog.PlanReference{ClusterServiceClassExternalID: "db-id"}, catalog.ByExternalID},
		{"name", catalog.PlanReference{ClusterServiceClassName: "db"}, catalog.ByName},
		{"nothing", catalog.PlanReference{}, catalog.ByExternalName},
		{"plan only", catalog.PlanReference{ClusterServicePlanName: "small"}, catalog.ByExternalName},
		{"name wins", catalog.PlanReference{ClusterServiceClassExternalName: "db", ClusterServiceClassExternalID: "db-id", ClusterServiceClassName: "db"}, catalog.ByName},
		{"external ID wins over external name", catalog.PlanReference{ClusterServiceClassExternalName: "db", ClusterServiceClassExternalID: "db-id"}, catalog.ByExternalID},
	} {
		if got := catalog.NamingOf(tc.ref); got != tc.want {
			t.Errorf("%s: NamingOf = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNamesPlan(t *testing.T) {
	small := catalog.Names{Name: "db-small", ExternalName: "small", ExternalID: "small-id"}
	for _, tc := range []struct {
		name string
		n    catalog.Naming
		ref  catalog.PlanReference
		plan catalog.Names
		want bool
	}{
		{"by external name", catalog.ByExternalName, catalog.PlanReference{ClusterServicePlanExternalName: "small"}, small, true},
		{"by external ID", catalog.ByExternalID, catalog.PlanReference{ClusterServicePlanExternalID: "small-id"}, small, true},
		{"by name", catalog.ByName, catalog.PlanReference{ClusterServicePlanName: "db-small"}, small, true},
		{"another plan", catalog.ByExternalName, catalog.PlanReference{ClusterServicePlanExternalName: "large"}, small, false},
		{"named another way", catalog.ByExternalID, catalog.PlanReference{ClusterServicePlanExternalName: "small"}, small, false},
		{"the external name as a Kubernetes name", catalog.ByName, catalog.PlanReference{ClusterServicePlanName: "small"}, small, false},
		{"no identifier on either side", catalog.ByExternalID, catalog.PlanReference{}, catalog.Names{Name: "db-small"}, false},
	} {
		if got := tc.n.NamesPlan(tc.ref, tc.plan); got != tc.want {
			t.Errorf("%s: NamesPlan = %t, want %t", tc.name, got, tc.want)
		}
	}
}
