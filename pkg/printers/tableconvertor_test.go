package printers

import (
	"context"
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
)

func TestNoHeaders(t *testing.T) {
	tc := NewServiceBindingTableConvertor()
	binding := &sc.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"}}

	table, err := tc.ConvertToTable(context.Background(), binding, &metav1.TableOptions{NoHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if table.ColumnDefinitions != nil {
		t.Errorf("column definitions sent with noHeaders: %v", table.ColumnDefinitions)
	}
	if len(table.Rows) != 1 || len(table.Rows[0].Cells) != 7 {
		t.Errorf("rows = %v, want one row of 7 cells", table.Rows)
	}

	for _, opts := range []runtime.Object{nil, &metav1.TableOptions{}} {
		table, err := tc.ConvertToTable(context.Background(), binding, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(table.ColumnDefinitions) != 7 {
			t.Errorf("options %v: %d column definitions, want 7", opts, len(table.ColumnDefinitions))
		}
	}
}

func TestConvertList(t *testing.T) {
	tc := NewServiceInstanceTableConvertor()
	list := &sc.ServiceInstanceList{
		ListMeta: metav1.ListMeta{ResourceVersion: "42", Continue: "next-page", RemainingItemCount: ptr.To[int64](5)},
		Items: []sc.ServiceInstance{
			{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "40"}, Spec: sc.ServiceInstanceSpec{PlanReference: sc.PlanReference{ClusterServiceClassExternalName: "pg", ClusterServicePlanExternalName: "small"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b", ResourceVersion: "41"}, Spec: sc.ServiceInstanceSpec{PlanReference: sc.PlanReference{ClusterServiceClassName: "c", ClusterServicePlanName: "p"}}},
		},
	}
	table, err := tc.ConvertToTable(context.Background(), list, nil)
	if err != nil {
		t.Fatal(err)
	}
	if table.ResourceVersion != "42" || table.Continue != "next-page" {
		t.Errorf("list metadata = (%q, %q), want (42, next-page)", table.ResourceVersion, table.Continue)
	}
	if table.RemainingItemCount == nil || *table.RemainingItemCount != 5 {
		t.Errorf("remainingItemCount = %v, want 5", table.RemainingItemCount)
	}
	if len(table.Rows) != 2 {
		t.Fatalf("%d rows, want 2", len(table.Rows))
	}
	want := [][]interface{}{
		{"a", "pg", "small", "Pending", "<unknown>", "", "", "", ""},
		{"b", "c", "p", "Pending", "<unknown>", "", "", "", ""},
	}
	for i, row := range table.Rows {
		if !reflect.DeepEqual(row.Cells, want[i]) {
			t.Errorf("row %d = %#v, want %#v", i, row.Cells, want[i])
		}
		if row.Object.Object != &list.Items[i] {
			t.Errorf("row %d does not carry item %d", i, i)
		}
	}

	empty, err := tc.ConvertToTable(context.Background(), &sc.ServiceInstanceList{ListMeta: metav1.ListMeta{ResourceVersion: "7"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.Rows) != 0 || empty.ResourceVersion != "7" || len(empty.ColumnDefinitions) != 9 {
		t.Errorf("empty list: %d rows, resourceVersion %q, %d columns", len(empty.Rows), empty.ResourceVersion, len(empty.ColumnDefinitions))
	}
}

// TestAgeBeforeWideColumns checks the column order kubectl users expect: Age closes the
// default columns, and -o wide adds its columns after it.
func TestAgeBeforeWideColumns(t *testing.T) {
	tc := NewTableConvertor([]metav1.TableColumnDefinition{
		{Name: "A", Type: "string"},
		{Name: "B", Type: "string"},
		{Name: "W1", Type: "string", Priority: 1},
		{Name: "W2", Type: "string", Priority: 1},
	}, func(runtime.Object) ([]interface{}, error) {
		return []interface{}{"a", "b", "w1", "w2"}, nil
	})
	table, err := tc.ConvertToTable(context.Background(), &sc.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "n"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if want := []string{"Name", "A", "B", "Age", "W1", "W2"}; !reflect.DeepEqual(names, want) {
		t.Errorf("columns = %v, want %v", names, want)
	}
	if want := []interface{}{"n", "a", "b", "<unknown>", "w1", "w2"}; !reflect.DeepEqual(table.Rows[0].Cells, want) {
		t.Errorf("cells = %v, want %v", table.Rows[0].Cells, want)
	}

	noWide := NewTableConvertor([]metav1.TableColumnDefinition{{Name: "A", Type: "string"}},
		func(runtime.Object) ([]interface{}, error) { return []interface{}{"a"}, nil })
	table, err = noWide.ConvertToTable(context.Background(), &sc.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "n"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []interface{}{"n", "a", "<unknown>"}; !reflect.DeepEqual(table.Rows[0].Cells, want) {
		t.Errorf("cells = %v, want %v", table.Rows[0].Cells, want)
	}
}

// TestRowOfTheWrongLength checks that a row function out of step with its columns is an
// error, not a misaligned table or a panic.
func TestRowOfTheWrongLength(t *testing.T) {
	tc := NewTableConvertor([]metav1.TableColumnDefinition{
		{Name: "A", Type: "string"},
		{Name: "W", Type: "string", Priority: 1},
	}, func(runtime.Object) ([]interface{}, error) { return []interface{}{"a"}, nil })
	if _, err := tc.ConvertToTable(context.Background(), &sc.ClusterServiceBroker{}, nil); err == nil {
		t.Errorf("a short row was printed")
	}
}
