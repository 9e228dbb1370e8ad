// Package output prints the objects of kubectl catalog's commands the way kubectl does,
// through cli-runtime's printers: by name ("serviceinstance.servicecatalog.k8s.io/db
// created"), as JSON or YAML, or through a Go template or JSONPath; commands that list
// print tables instead unless -o asks otherwise.
package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/spf13/cobra"

	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	catalogscheme "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/scheme"
)

// scheme knows the catalog's kinds and the v1 List that holds several objects.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(catalogscheme.AddToScheme(s))
	s.AddKnownTypes(schema.GroupVersion{Version: "v1"}, &metav1.List{})
	return s
}()

// Flags are a command's -o flag and its companions (--template, --show-managed-fields).
type Flags struct {
	print *genericclioptions.PrintFlags
	// operation is what printing by name says was done, such as "created".
	operation string
	// tables tells whether the command prints a table by default and with -o wide.
	tables bool
}

// ForWrites returns the flags of a command that writes objects: without -o it prints
// "<kind>/<name> <operation>", as kubectl create does.
func ForWrites(operation string) *Flags {
	return &Flags{print: genericclioptions.NewPrintFlags(operation).WithTypeSetter(scheme), operation: operation}
}

// ForTables returns the flags of a command that lists objects: without -o, or with
// -o wide (which adds the columns of lesser priority), it prints a table.
func ForTables() *Flags {
	return &Flags{print: genericclioptions.NewPrintFlags("").WithTypeSetter(scheme), tables: true}
}

// AddFlags adds -o and its companions to cmd.
func (f *Flags) AddFlags(cmd *cobra.Command) {
	f.print.AddFlags(cmd)
	formats := f.print.AllowedFormats()
	if f.tables {
		formats = append([]string{"wide"}, formats...)
	}
	cmd.Flags().Lookup("output").Usage = fmt.Sprintf("Output format. One of: (%s).", strings.Join(formats, ", "))
}

// Table tells whether the command prints a table, and whether a wide one.
func (f *Flags) Table() (table, wide bool) {
	format := *f.print.OutputFormat
	return f.tables && (format == "" || format == "wide"), format == "wide"
}

// Validate checks -o before anything is sent.
func (f *Flags) Validate() error {
	if table, _ := f.Table(); table {
		return nil
	}
	_, err := f.printer("")
	return err
}

// printer returns the printer -o asks for; printing by name says operation was done.
func (f *Flags) printer(operation string) (printers.ResourcePrinter, error) {
	f.print.NamePrintFlags.Operation = operation
	return f.print.ToPrinter()
}

// PrintObject prints one object as -o asks, naming a dry run as s does.
func (f *Flags) PrintObject(w io.Writer, s dryrun.Strategy, obj runtime.Object) error {
	return f.PrintDone(w, s, obj, f.operation)
}

// PrintDone is PrintObject saying, by name, that operation was done.
func (f *Flags) PrintDone(w io.Writer, s dryrun.Strategy, obj runtime.Object, operation string) error {
	p, err := f.printer(operation + s.Suffix())
	if err != nil {
		return err
	}
	return p.PrintObj(obj, w)
}

// PrintList prints objects as -o asks: a v1 List for JSON, YAML and templates, one line
// per object by name.
func (f *Flags) PrintList(w io.Writer, objects []runtime.Object) error {
	p, err := f.printer("")
	if err != nil {
		return err
	}
	if *f.print.OutputFormat == "name" {
		for _, obj := range objects {
			if err := p.PrintObj(obj, w); err != nil {
				return err
			}
		}
		return nil
	}
	list, err := List(objects)
	if err != nil {
		return err
	}
	return p.PrintObj(list, w)
}

// List returns objects as a v1 List, each with its apiVersion and kind.
func List(objects []runtime.Object) (*metav1.List, error) {
	list := &metav1.List{Items: make([]runtime.RawExtension, 0, len(objects))}
	for _, obj := range objects {
		obj = obj.DeepCopyObject()
		gvks, _, err := scheme.ObjectKinds(obj)
		if err != nil {
			return nil, err
		}
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
		raw, err := json.Marshal(obj)
		if err != nil {
			return nil, err
		}
		list.Items = append(list.Items, runtime.RawExtension{Raw: raw})
	}
	return list, nil
}
