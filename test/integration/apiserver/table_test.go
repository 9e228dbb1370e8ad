package apiserver

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

func TestTableOutput(t *testing.T) {
	s := framework.StartServer(t, framework.ServerOptions{EtcdServers: framework.SharedEtcd(t)})
	cs := s.AdminClient(t)
	c := cs.ServicecatalogV1beta1()
	ctx := context.Background()
	const ns = "team-a"
	if _, err := c.ClusterServiceBrokers().Create(ctx, framework.Broker("demo"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClusterServiceClasses().Create(ctx, framework.Class("pg", "demo"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClusterServicePlans().Create(ctx, framework.Plan("pg-small", "pg", "demo"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServiceInstances(ns).Create(ctx, framework.Instance(ns, "db", "postgresql", "small"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ServiceBindings(ns).Create(ctx, framework.Binding(ns, "db-creds", "db"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		path      string
		columns   []string
		wide      []string
		firstCell []interface{}
	}{
		{"/apis/servicecatalog.k8s.io/v1beta1/clusterservicebrokers",
			[]string{"Name", "URL", "Status", "Age"}, []string{"Classes", "Plans", "Last-Fetch"},
			[]interface{}{"demo", "https://broker.example.com/demo", "Pending"}},
		{"/apis/servicecatalog.k8s.io/v1beta1/clusterserviceclasses",
			[]string{"Name", "External-Name", "Broker", "Age"}, []string{"Bindable", "Plan-Updatable", "Removed", "Description"},
			[]interface{}{"pg", "pg-offering", "demo"}},
		{"/apis/servicecatalog.k8s.io/v1beta1/clusterserviceplans",
			[]string{"Name", "External-Name", "Broker", "Class", "Age"}, []string{"Free", "Removed", "Schemas", "Description"},
			[]interface{}{"pg-small", "pg-small-plan", "demo", "pg"}},
		{"/apis/servicecatalog.k8s.io/v1beta1/namespaces/team-a/serviceinstances",
			[]string{"Name", "Class", "Plan", "Status", "Age"}, []string{"Broker", "External-ID", "Dashboard", "Maintenance"},
			[]interface{}{"db", "postgresql", "small", "Pending"}},
		{"/apis/servicecatalog.k8s.io/v1beta1/namespaces/team-a/servicebindings",
			[]string{"Name", "Service-Instance", "Secret-Name", "Status", "Age"}, []string{"External-ID", "Observed"},
			[]interface{}{"db-creds", "db", "db-creds", "Pending"}},
	}
	for _, tc := range cases {
		body, err := c.RESTClient().Get().AbsPath(tc.path).
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		var table metav1.Table
		if err := json.Unmarshal(body, &table); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if table.Kind != "Table" {
			t.Fatalf("%s: got kind %q, want Table", tc.path, table.Kind)
		}
		var columns, wide []string
		for _, col := range table.ColumnDefinitions {
			if col.Description == "" {
				t.Errorf("%s: column %s has no description", tc.path, col.Name)
			}
			if col.Priority == 0 {
				columns = append(columns, col.Name)
			} else {
				wide = append(wide, col.Name)
			}
		}
		if !slices.Equal(columns, tc.columns) || !slices.Equal(wide, tc.wide) {
			t.Errorf("%s: columns %v wide %v, want %v wide %v", tc.path, columns, wide, tc.columns, tc.wide)
		}
		if len(table.Rows) != 1 {
			t.Fatalf("%s: %d rows, want 1", tc.path, len(table.Rows))
		}
		cells := table.Rows[0].Cells
		if len(cells) != len(table.ColumnDefinitions) {
			t.Fatalf("%s: %d cells for %d columns", tc.path, len(cells), len(table.ColumnDefinitions))
		}
		for i, want := range tc.firstCell {
			if cells[i] != want {
				t.Errorf("%s: cell %d (%s) = %v, want %v", tc.path, i, table.ColumnDefinitions[i].Name, cells[i], want)
			}
		}
	}
}
