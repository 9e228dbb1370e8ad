// Package tables asks the API server for its tables of catalog objects, so that kubectl
// catalog prints the very columns `kubectl get` prints, and prints tables, the server's
// and the plugin's own, with kubectl's table printer.
package tables

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/rest"

	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
)

// accept asks the API server for a meta.k8s.io/v1 Table instead of the objects.
const accept = "application/json;as=Table;v=v1;g=meta.k8s.io"

// Get returns the server's table of the objects of kind in namespace ("" for every
// namespace; ignored for a kind without namespaces), or of the one object name when it
// is set. Each row carries the object's metadata, for the NAMESPACE column.
func Get(ctx context.Context, client rest.Interface, kind kinds.Kind, namespace, name string) (*metav1.Table, error) {
	req := client.Get().
		NamespaceIfScoped(namespace, kind.Namespaced && namespace != "").
		Resource(kind.Resource).
		Param("includeObject", string(metav1.IncludeMetadata)).
		SetHeader("Accept", accept)
	if name != "" {
		req = req.Name(name)
	}
	result := req.Do(ctx)
	raw, err := result.Raw()
	if err != nil {
		// Error decodes the server's Status, which Raw leaves undecoded.
		return nil, result.Error()
	}
	return decode(raw)
}

// decode reads a Table and the metadata of its rows' objects.
func decode(raw []byte) (*metav1.Table, error) {
	table := &metav1.Table{}
	if err := json.Unmarshal(raw, table); err != nil {
		return nil, fmt.Errorf("reading the server's table: %w", err)
	}
	if table.Kind != "Table" {
		return nil, fmt.Errorf("the server answered with a %q instead of a Table", table.Kind)
	}
	for i := range table.Rows {
		row := &table.Rows[i]
		if len(row.Object.Raw) == 0 {
			continue
		}
		object := &metav1.PartialObjectMetadata{}
		if err := json.Unmarshal(row.Object.Raw, object); err != nil {
			return nil, fmt.Errorf("reading the server's table: row %d: %w", i, err)
		}
		row.Object.Object = object
	}
	return table, nil
}

// Options say how to print a table.
type Options struct {
	// Wide prints the columns of priority above 0.
	Wide bool
	// WithNamespace adds a NAMESPACE column from the rows' objects.
	WithNamespace bool
}

// Print prints table with kubectl's table printer. A table without rows prints nothing.
func Print(w io.Writer, table *metav1.Table, opts Options) error {
	p := printers.NewTablePrinter(printers.PrintOptions{Wide: opts.Wide, WithNamespace: opts.WithNamespace})
	return p.PrintObj(table, w)
}
