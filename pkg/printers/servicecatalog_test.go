package printers

import (
	"context"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	sc "github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog"
	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/scopetest"
)

// created is a creation time whose age prints the same during the whole test run.
var created = metav1.NewTime(time.Now().Add(-10*24*time.Hour - time.Hour))

const age10d = "10d"

func readyCondition(status metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: sc.ConditionReady, Status: status, Reason: reason, LastTransitionTime: created}
}

type wantColumn struct {
	name     string
	priority int32
}

// checkColumns checks the names and priorities of the columns, that the name column is
// marked as such, and that every column is described.
func checkColumns(t *testing.T, got []metav1.TableColumnDefinition, want []wantColumn) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d columns %v, want %d %v", len(got), got, len(want), want)
	}
	for i, w := range want {
		if got[i].Name != w.name || got[i].Priority != w.priority {
			t.Errorf("column %d = %s (priority %d), want %s (priority %d)", i, got[i].Name, got[i].Priority, w.name, w.priority)
		}
		if got[i].Description == "" {
			t.Errorf("column %s has no description", got[i].Name)
		}
	}
	if got[0].Format != "name" {
		t.Errorf("the Name column has format %q, want %q", got[0].Format, "name")
	}
}

// checkCellTypes checks that each cell has the Go type its column's type calls for.
func checkCellTypes(t *testing.T, columns []metav1.TableColumnDefinition, cells []interface{}) {
	t.Helper()
	for i, c := range columns {
		var ok bool
		switch c.Type {
		case "string":
			_, ok = cells[i].(string)
		case "integer":
			_, ok = cells[i].(int64)
		case "boolean":
			_, ok = cells[i].(bool)
		default:
			t.Errorf("column %s has type %q", c.Name, c.Type)
			continue
		}
		if !ok {
			t.Errorf("column %s of type %s holds %T", c.Name, c.Type, cells[i])
		}
	}
}

// convertOne prints one object and returns its row.
func convertOne(t *testing.T, tc *TableConvertor, obj runtime.Object) (*metav1.Table, []interface{}) {
	t.Helper()
	table, err := tc.ConvertToTable(context.Background(), obj, &metav1.TableOptions{})
	if err != nil {
		t.Fatalf("ConvertToTable: %v", err)
	}
	if len(table.Rows) != 1 {
		t.Fatalf("%d rows, want 1", len(table.Rows))
	}
	if table.Rows[0].Object.Object != obj {
		t.Errorf("the row does not carry the object")
	}
	checkCellTypes(t, table.ColumnDefinitions, table.Rows[0].Cells)
	return table, table.Rows[0].Cells
}

func checkRow(t *testing.T, got, want []interface{}) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("row:\n  got:  %#v\n  want: %#v", got, want)
	}
}

// TestBrokerTable prints a ClusterServiceBroker and its namespaced twin, which have the
// same columns and cells.
func TestBrokerTable(t *testing.T) {
	tc := NewBrokerTableConvertor()
	broker := &sc.ClusterServiceBroker{
		ObjectMeta: metav1.ObjectMeta{Name: "test-broker", CreationTimestamp: created, ResourceVersion: "12"},
		Spec:       sc.ClusterServiceBrokerSpec{CommonServiceBrokerSpec: sc.CommonServiceBrokerSpec{URL: "https://broker.example.com"}},
		Status: sc.ClusterServiceBrokerStatus{CommonServiceBrokerStatus: sc.CommonServiceBrokerStatus{
			Conditions:               []metav1.Condition{readyCondition(metav1.ConditionTrue, "Fetched")},
			ServiceClassCount:        3,
			ServicePlanCount:         9,
			LastCatalogRetrievalTime: &metav1.Time{Time: time.Date(2026, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600))},
		}},
	}
	fresh := &sc.ClusterServiceBroker{ObjectMeta: metav1.ObjectMeta{Name: "new"}}
	for _, scope := range bothScopes(broker, fresh, scopetest.Broker) {
		table, cells := convertOne(t, tc, scope[0])
		checkColumns(t, table.ColumnDefinitions, []wantColumn{
			{"Name", 0}, {"URL", 0}, {"Status", 0}, {"Age", 0},
			{"Classes", 1}, {"Plans", 1}, {"Last-Fetch", 1},
		})
		checkRow(t, cells, []interface{}{"test-broker", "https://broker.example.com", "Ready", age10d, int64(3), int64(9), "2026-01-02T03:04:05Z"})
		if table.ResourceVersion != "12" {
			t.Errorf("table resourceVersion = %q, want the object's", table.ResourceVersion)
		}
		_, cells = convertOne(t, tc, scope[1])
		checkRow(t, cells, []interface{}{"new", "", "Pending", "<unknown>", int64(0), int64(0), "<never>"})
	}
}

// bothScopes returns, for each scope, the objects of a test: the cluster-wide ones, then
// their namespaced twins.
func bothScopes[C, N runtime.Object](first, second C, twin func(C) N) [2][2]runtime.Object {
	return [2][2]runtime.Object{{first, second}, {twin(first), twin(second)}}
}

// TestClassTable prints a ClusterServiceClass and its namespaced twin, which have the same
// columns and cells.
func TestClassTable(t *testing.T) {
	tc := NewClassTableConvertor()
	class := &sc.ClusterServiceClass{
		ObjectMeta: metav1.ObjectMeta{Name: "4f6e6cf6", CreationTimestamp: created},
		Spec: sc.ClusterServiceClassSpec{
			CommonServiceClassSpec: sc.CommonServiceClassSpec{
				ExternalName: "postgresql", Description: "PostgreSQL databases", Bindable: true,
			},
			ClusterServiceBrokerName: "test-broker",
		},
		Status: sc.ClusterServiceClassStatus{CommonServiceClassStatus: sc.CommonServiceClassStatus{RemovedFromBrokerCatalog: true}},
	}
	for _, obj := range []runtime.Object{class, scopetest.Class(class)} {
		table, cells := convertOne(t, tc, obj)
		checkColumns(t, table.ColumnDefinitions, []wantColumn{
			{"Name", 0}, {"External-Name", 0}, {"Broker", 0}, {"Age", 0},
			{"Bindable", 1}, {"Plan-Updatable", 1}, {"Removed", 1}, {"Description", 1},
		})
		checkRow(t, cells, []interface{}{"4f6e6cf6", "postgresql", "test-broker", age10d, true, false, true, "PostgreSQL databases"})
	}
}

// TestPlanTable prints a ClusterServicePlan and its namespaced twin, which have the same
// columns and cells.
func TestPlanTable(t *testing.T) {
	tc := NewPlanTableConvertor()
	plan := &sc.ClusterServicePlan{
		ObjectMeta: metav1.ObjectMeta{Name: "86064792", CreationTimestamp: created},
		Spec: sc.ClusterServicePlanSpec{
			CommonServicePlanSpec:    sc.CommonServicePlanSpec{ExternalName: "small", Description: "1 GB", Free: true},
			ClusterServiceBrokerName: "test-broker",
			ClusterServiceClassRef:   sc.ClusterObjectReference{Name: "4f6e6cf6"},
		},
	}
	withSchemas := plan.DeepCopy()
	withSchemas.Spec.InstanceCreateParameterSchema = &runtime.RawExtension{Raw: []byte(`{"type":"object"}`)}
	withSchemas.Spec.ServiceBindingCreateParameterSchema = &runtime.RawExtension{Raw: []byte(`{"type":"object"}`)}
	for _, scope := range bothScopes(plan, withSchemas, scopetest.Plan) {
		table, cells := convertOne(t, tc, scope[0])
		checkColumns(t, table.ColumnDefinitions, []wantColumn{
			{"Name", 0}, {"External-Name", 0}, {"Broker", 0}, {"Class", 0}, {"Age", 0},
			{"Free", 1}, {"Removed", 1}, {"Schemas", 1}, {"Description", 1},
		})
		checkRow(t, cells, []interface{}{"86064792", "small", "test-broker", "4f6e6cf6", age10d, true, false, "<none>", "1 GB"})
		_, cells = convertOne(t, tc, scope[1])
		checkRow(t, cells, []interface{}{"86064792", "small", "test-broker", "4f6e6cf6", age10d, true, false, "create,bind", "1 GB"})
	}
}

func TestServiceInstanceTable(t *testing.T) {
	tc := NewServiceInstanceTableConvertor()
	instance := func(ref sc.PlanReference, tweaks ...func(*sc.ServiceInstance)) *sc.ServiceInstance {
		i := &sc.ServiceInstance{
			ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "team-a", CreationTimestamp: created},
			Spec:       sc.ServiceInstanceSpec{PlanReference: ref, ExternalID: "c5a3c0bd"},
			Status: sc.ServiceInstanceStatus{
				Conditions:               []metav1.Condition{readyCondition(metav1.ConditionFalse, "Provisioning")},
				ClusterServiceBrokerName: "test-broker",
				DashboardURL:             "https://dash.example.com/db",
			},
		}
		for _, tweak := range tweaks {
			tweak(i)
		}
		return i
	}

	table, cells := convertOne(t, tc, instance(sc.PlanReference{ClusterServiceClassExternalName: "postgresql", ClusterServicePlanExternalName: "small"}))
	checkColumns(t, table.ColumnDefinitions, []wantColumn{
		{"Name", 0}, {"Class", 0}, {"Plan", 0}, {"Status", 0}, {"Age", 0},
		{"Broker", 1}, {"External-ID", 1}, {"Dashboard", 1}, {"Maintenance", 1},
	})
	checkRow(t, cells, []interface{}{"db", "postgresql", "small", "Provisioning", age10d, "test-broker", "c5a3c0bd", "https://dash.example.com/db", ""})
	// An instance of a class of its namespace, resolved to a ServiceBroker, prints alike.
	_, cells = convertOne(t, tc, scopetest.Instance(instance(sc.PlanReference{ClusterServiceClassExternalName: "postgresql", ClusterServicePlanExternalName: "small"})))
	checkRow(t, cells, []interface{}{"db", "postgresql", "small", "Provisioning", age10d, "test-broker", "c5a3c0bd", "https://dash.example.com/db", ""})

	// The maintenance the broker has the instance at, and a newer one its plan offers.
	_, cells = convertOne(t, tc, instance(sc.PlanReference{ClusterServiceClassExternalName: "pg", ClusterServicePlanExternalName: "small"}, func(i *sc.ServiceInstance) {
		i.Status.ExternalProperties = &sc.ServiceInstancePropertiesState{MaintenanceInfoVersion: "1.0.0"}
		i.Status.AvailableMaintenanceInfo = &sc.MaintenanceInfo{Version: "2.0.0"}
	}))
	checkRow(t, cells[8:], []interface{}{"1.0.0 (2.0.0 available)"})

	// The class and plan are shown the way the spec names them, in either scope.
	byID := instance(sc.PlanReference{ClusterServiceClassExternalID: "class-id", ClusterServicePlanExternalID: "plan-id"})
	byName := instance(sc.PlanReference{ClusterServiceClassName: "class-k8s", ClusterServicePlanName: "plan-k8s"})
	for _, scope := range bothScopes(byID, byName, scopetest.Instance) {
		_, cells = convertOne(t, tc, scope[0])
		checkRow(t, cells[1:3], []interface{}{"class-id", "plan-id"})
		_, cells = convertOne(t, tc, scope[1])
		checkRow(t, cells[1:3], []interface{}{"class-k8s", "plan-k8s"})
	}

	_, cells = convertOne(t, tc, instance(sc.PlanReference{ClusterServiceClassExternalName: "pg", ClusterServicePlanExternalName: "small"}, func(i *sc.ServiceInstance) {
		i.Status.Conditions = []metav1.Condition{readyCondition(metav1.ConditionTrue, "ProvisionedSuccessfully")}
	}))
	if cells[3] != "Ready" {
		t.Errorf("status = %v, want Ready", cells[3])
	}
}

func TestServiceBindingTable(t *testing.T) {
	tc := NewServiceBindingTableConvertor()
	binding := &sc.ServiceBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "db-binding", Namespace: "team-a", CreationTimestamp: created, Generation: 2},
		Spec: sc.ServiceBindingSpec{
			InstanceRef: sc.ServiceInstanceReference{Name: "db"},
			SecretName:  "db-credentials",
			ExternalID:  "0d6c0d2c",
		},
		Status: sc.ServiceBindingStatus{
			Conditions:         []metav1.Condition{readyCondition(metav1.ConditionTrue, "InjectedBindResult")},
			ObservedGeneration: 1,
		},
	}
	table, cells := convertOne(t, tc, binding)
	checkColumns(t, table.ColumnDefinitions, []wantColumn{
		{"Name", 0}, {"Service-Instance", 0}, {"Secret-Name", 0}, {"Status", 0}, {"Age", 0},
		{"External-ID", 1}, {"Observed", 1},
	})
	checkRow(t, cells, []interface{}{"db-binding", "db", "db-credentials", "Ready", age10d, "0d6c0d2c", "1/2"})

	// A binding stored before its secretName was defaulted writes the Secret named after it.
	unnamed := binding.DeepCopy()
	unnamed.Spec.SecretName = ""
	unnamed.DeletionTimestamp = &created
	_, cells = convertOne(t, tc, unnamed)
	checkRow(t, cells[:4], []interface{}{"db-binding", "db", "db-binding", "Deleting"})
}

func TestStatus(t *testing.T) {
	failed := metav1.Condition{Type: sc.ConditionFailed, Status: metav1.ConditionTrue, Reason: "ProvisionCallFailed"}
	tests := []struct {
		name       string
		conditions []metav1.Condition
		deleting   bool
		want       string
	}{
		{"no conditions", nil, false, "Pending"},
		{"only other conditions", []metav1.Condition{failed}, false, "Pending"},
		{"ready", []metav1.Condition{failed, readyCondition(metav1.ConditionTrue, "ProvisionedSuccessfully")}, false, "Ready"},
		{"not ready", []metav1.Condition{readyCondition(metav1.ConditionFalse, "ErrorFetchingCatalog")}, false, "ErrorFetchingCatalog"},
		{"unknown", []metav1.Condition{readyCondition(metav1.ConditionUnknown, "Polling")}, false, "Polling"},
		{"not ready without a reason", []metav1.Condition{readyCondition(metav1.ConditionFalse, "")}, false, "NotReady"},
		{"deleting, never ready", nil, true, "Deleting"},
		{"deleting a ready object", []metav1.Condition{readyCondition(metav1.ConditionTrue, "ProvisionedSuccessfully")}, true, "Deleting"},
		{"deleting, and the reason says how it goes", []metav1.Condition{readyCondition(metav1.ConditionFalse, "DeprovisionCallFailed")}, true, "DeprovisionCallFailed"},
		{"deleting, not ready without a reason", []metav1.Condition{readyCondition(metav1.ConditionFalse, "")}, true, "NotReady"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Status(tc.conditions, tc.deleting); got != tc.want {
				t.Errorf("Status = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWrongKind(t *testing.T) {
	convertors := map[string]*TableConvertor{
		"brokers":   NewBrokerTableConvertor(),
		"classes":   NewClassTableConvertor(),
		"plans":     NewPlanTableConvertor(),
		"instances": NewServiceInstanceTableConvertor(),
		"bindings":  NewServiceBindingTableConvertor(),
	}
	for name, tc := range convertors {
		if _, err := tc.ConvertToTable(context.Background(), &metav1.Status{}, nil); err == nil {
			t.Errorf("%s: printing a Status succeeded, want an error", name)
		}
	}
	if _, err := convertors["brokers"].ConvertToTable(context.Background(), &sc.ServiceInstanceList{Items: []sc.ServiceInstance{{}}}, nil); err == nil {
		t.Errorf("printing instances as brokers succeeded, want an error")
	}
	if _, err := convertors["classes"].ConvertToTable(context.Background(), &sc.ServicePlan{}, nil); err == nil {
		t.Errorf("printing a plan as a class succeeded, want an error")
	}
	if _, err := convertors["plans"].ConvertToTable(context.Background(), &sc.ServiceClassList{Items: []sc.ServiceClass{{}}}, nil); err == nil {
		t.Errorf("printing classes as plans succeeded, want an error")
	}
}
