// Package printers turns catalog objects into the server-side tables kubectl prints.
package printers

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/apiserver/pkg/registry/rest"
)

// RowFunc returns the cells of one object's row, without the name and age columns, in the
// order of the columns it is registered with.
type RowFunc func(obj runtime.Object) ([]interface{}, error)

// TableConvertor prints objects of one kind as rows of named columns.
type TableConvertor struct {
	columns []metav1.TableColumnDefinition
	row     RowFunc
	// ageIndex is the position of the Age cell among the row function's cells.
	ageIndex int
}

var _ rest.TableConvertor = &TableConvertor{}

// NewTableConvertor returns a convertor printing Name, the given columns and Age. As in
// kubectl's own tables, Age closes the default columns and the columns with Priority 1,
// shown only with -o wide, follow it: the given columns must list those last.
func NewTableConvertor(columns []metav1.TableColumnDefinition, row RowFunc) *TableConvertor {
	ageIndex := len(columns)
	for i, c := range columns {
		if c.Priority > 0 {
			ageIndex = i
			break
		}
	}
	all := []metav1.TableColumnDefinition{{
		Name: "Name", Type: "string", Format: "name",
		Description: metav1.ObjectMeta{}.SwaggerDoc()["name"],
	}}
	all = append(all, columns[:ageIndex]...)
	all = append(all, metav1.TableColumnDefinition{
		Name: "Age", Type: "string",
		Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"],
	})
	all = append(all, columns[ageIndex:]...)
	return &TableConvertor{columns: all, row: row, ageIndex: ageIndex}
}

// ConvertToTable prints a single object or a list.
func (c *TableConvertor) ConvertToTable(_ context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		table.ColumnDefinitions = c.columns
	}

	objects := []runtime.Object{object}
	if meta.IsListType(object) {
		var err error
		if objects, err = meta.ExtractList(object); err != nil {
			return nil, err
		}
		if list, err := meta.ListAccessor(object); err == nil {
			table.ResourceVersion = list.GetResourceVersion()
			table.Continue = list.GetContinue()
			table.RemainingItemCount = list.GetRemainingItemCount()
		}
	} else if obj, err := meta.Accessor(object); err == nil {
		table.ResourceVersion = obj.GetResourceVersion()
	}

	now := time.Now()
	table.Rows = make([]metav1.TableRow, 0, len(objects))
	for _, obj := range objects {
		accessor, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		cells, err := c.row(obj)
		if err != nil {
			return nil, err
		}
		if len(cells)+2 != len(c.columns) {
			return nil, fmt.Errorf("%d cells for %d columns printing %T", len(cells)+2, len(c.columns), obj)
		}
		row := make([]interface{}, 0, len(cells)+2)
		row = append(row, accessor.GetName())
		row = append(row, cells[:c.ageIndex]...)
		row = append(row, age(accessor.GetCreationTimestamp(), now))
		row = append(row, cells[c.ageIndex:]...)
		table.Rows = append(table.Rows, metav1.TableRow{Cells: row, Object: runtime.RawExtension{Object: obj}})
	}
	return table, nil
}

func age(created metav1.Time, now time.Time) string {
	if created.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now.Sub(created.Time))
}

// unexpected reports an object of the wrong kind handed to a row function.
func unexpected(obj runtime.Object) error {
	return fmt.Errorf("unexpected object of type %T", obj)
}
