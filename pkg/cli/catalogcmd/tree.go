package catalogcmd

import (
	"github.com/spf13/cobra"

	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
	"github.com/kube-service-catalog/catalog/pkg/cli/tree"
)

func newTree(env *Env) *cobra.Command {
	var allNamespaces bool
	cmd := &cobra.Command{
		Use:   "tree",
		Short: "Draw brokers, classes, plans, instances, bindings and Secrets as a tree",
		Long: `Draw what the catalog holds as a tree: each broker, its classes and their plans, the
instances of each plan in the namespace (or in every namespace with -A), their bindings, and the
Secrets the bindings write (key names only), each with its state.`,
		Example: `  kubectl catalog tree -n team-a
  kubectl catalog tree -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			set, ns, err := env.workspace()
			if err != nil {
				return err
			}
			if allNamespaces {
				ns = ""
			}
			roots, notes, err := tree.Build(cmd.Context(), set, offerings.Sources(set), ns)
			if err != nil {
				return err
			}
			env.notes(notes)
			tree.Write(env.Out, roots)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "Show the instances and bindings of every namespace.")
	return cmd
}
