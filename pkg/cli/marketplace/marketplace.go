// Package marketplace shows what a namespace is offered: one row per plan, with its
// class, its price, whether it has a parameter schema, and its broker's state.
package marketplace

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
	"github.com/kube-service-catalog/catalog/pkg/cli/readiness"
)

// unknown is the broker state of a broker the user may not read.
const unknown = "<unknown>"

// columns are the marketplace's columns; those of Priority 1 are shown with -o wide.
var columns = []metav1.TableColumnDefinition{
	{Name: "Class", Type: "string", Description: "The class's name in the broker's catalog (kubectl catalog provision --class)."},
	{Name: "Plan", Type: "string", Description: "The plan's name in the broker's catalog (kubectl catalog provision --plan)."},
	{Name: "Price", Type: "string", Description: "free, or paid."},
	{Name: "Schema", Type: "string", Description: "Whether the plan has a JSON schema of the parameters of a new instance."},
	{Name: "Broker", Type: "string", Description: "The broker offering the class."},
	{Name: "Broker-Status", Type: "string", Description: "Ready, or the reason of the broker's Ready condition; <unknown> when you may not read brokers."},
	{Name: "Scope", Type: "string", Priority: 1, Description: "Where the class lives: cluster, or namespace."},
	{Name: "Class-Description", Type: "string", Priority: 1, Description: "The broker's description of the class."},
	{Name: "Plan-Description", Type: "string", Priority: 1, Description: "The broker's description of the plan."},
}

// Table returns the marketplace of catalogs (offerings.Offered), class by class.
func Table(catalogs []*offerings.Catalog) *metav1.Table {
	table := &metav1.Table{ColumnDefinitions: columns}
	for _, c := range catalogs {
		for i := range c.Classes {
			class := &c.Classes[i]
			for _, plan := range c.PlansOf(class) {
				table.Rows = append(table.Rows, metav1.TableRow{Cells: row(c, class, &plan)})
			}
		}
	}
	return table
}

// row returns the cells of plan's row.
func row(c *offerings.Catalog, class *offerings.Class, plan *offerings.Plan) []interface{} {
	return []interface{}{
		class.ExternalName,
		plan.ExternalName,
		choose(plan.Free, "free", "paid"),
		choose(plan.CreateSchema, "yes", "no"),
		class.BrokerName,
		brokerStatus(c.Broker(class.Namespace, class.BrokerName)),
		string(c.Source.Scope()),
		class.Description,
		plan.Description,
	}
}

// brokerStatus is one word for broker; unknown for a broker the user may not read.
func brokerStatus(broker *offerings.Broker) string {
	if broker == nil {
		return unknown
	}
	return readiness.Word(broker.Conditions, broker.Deleting)
}

func choose(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

// Objects returns the classes and plans of catalogs, each class followed by its plans,
// for -o json and -o yaml.
func Objects(catalogs []*offerings.Catalog) []runtime.Object {
	var objects []runtime.Object
	for _, c := range catalogs {
		for i := range c.Classes {
			objects = append(objects, c.Classes[i].Object)
			for _, p := range c.PlansOf(&c.Classes[i]) {
				objects = append(objects, p.Object)
			}
		}
	}
	return objects
}

// Notes returns what the catalogs could not check.
func Notes(catalogs []*offerings.Catalog) []string {
	var notes []string
	for _, c := range catalogs {
		notes = append(notes, c.Notes...)
	}
	return notes
}
