package catalogcmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kube-service-catalog/catalog/pkg/cli/marketplace"
	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
	"github.com/kube-service-catalog/catalog/pkg/cli/output"
	"github.com/kube-service-catalog/catalog/pkg/cli/tables"
)

// scopeUsage is the help of --scope.
const scopeUsage = `Only classes of this scope: "cluster" (ClusterServiceClasses) or "namespace" (classes of ` +
	`the namespace), where the catalog serves it. By default both, and a class of the namespace wins over a ` +
	`cluster class of the same external name.`

func newMarketplace(env *Env) *cobra.Command {
	out := output.ForTables()
	var scope string
	cmd := &cobra.Command{
		Use:   "marketplace",
		Short: "List the classes and plans you may provision in the namespace",
		Long: `List the classes and plans you may provision in the namespace: one row per plan, with its
class, whether it is free, whether it has a schema of the parameters of a new instance, and its
broker and the broker's state. -o wide adds the scope and the descriptions.

Classes and plans the broker no longer offers are left out, and so are the classes of brokers
whose namespaceSelector does not match the namespace (when you may read the namespace).`,
		Example: `  kubectl catalog marketplace -n team-a
  kubectl catalog marketplace -o wide
  kubectl catalog marketplace -o yaml     # the classes and plans, each class followed by its plans`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, ns, err := env.workspace()
			if err != nil {
				return err
			}
			sources, err := offerings.Select(offerings.Sources(set), scope)
			if err != nil {
				return err
			}
			catalogs, err := offerings.Offered(cmd.Context(), sources, ns)
			if err != nil {
				return err
			}
			env.notes(marketplace.Notes(catalogs))
			table, wide := out.Table()
			if !table {
				return out.PrintList(env.Out, marketplace.Objects(catalogs))
			}
			t := marketplace.Table(catalogs)
			if len(t.Rows) == 0 {
				fmt.Fprintf(env.ErrOut, "No classes are offered in namespace %s.\n", ns)
				return nil
			}
			return tables.Print(env.Out, t, tables.Options{Wide: wide})
		},
	}
	out.AddFlags(cmd)
	cmd.Flags().StringVar(&scope, "scope", "", scopeUsage)
	return cmd
}

// notes prints what a command could not check.
func (e *Env) notes(notes []string) {
	for _, n := range notes {
		fmt.Fprintln(e.ErrOut, "Note: "+n)
	}
}
