package catalogcmd

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"

	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
)

// completion is what a completion function returns.
type completion func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// completeKindAndName completes a kind word of groups, then the names of its objects.
func completeKindAndName(env *Env, groups []kinds.Group) completion {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch len(args) {
		case 0:
			return matching(kinds.Words(groups), toComplete), cobra.ShellCompDirectiveNoFileComp
		case 1:
			group, err := kinds.Lookup(args[0], groups)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return env.names(cmd.Context(), group.Kinds, toComplete), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNames completes the names of objects of kind, any number of them.
func completeNames(env *Env, kind kinds.Kind) completion {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		names := env.names(cmd.Context(), []kinds.Kind{kind}, toComplete)
		return slices.DeleteFunc(names, func(n string) bool { return slices.Contains(args, n) }), cobra.ShellCompDirectiveNoFileComp
	}
}

// names returns the names of the objects of kinds in the namespace that start with
// prefix.
func (e *Env) names(ctx context.Context, ks []kinds.Kind, prefix string) []string {
	set, ns, err := e.workspace()
	if err != nil {
		return nil
	}
	var names []string
	for _, k := range ks {
		objects, err := list(ctx, set, k, ns, "")
		if err != nil {
			continue
		}
		for _, obj := range objects {
			if m, err := meta.Accessor(obj); err == nil {
				names = append(names, m.GetName())
			}
		}
	}
	return matching(names, prefix)
}

// completeOfferings completes the external names of the classes offered in the namespace
// and, for --plan, the plans of --class.
func completeOfferings(env *Env, plans bool) completion {
	return func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		set, ns, err := env.workspace()
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		catalogs, err := offerings.Offered(cmd.Context(), offerings.Sources(set), ns)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		class, _ := cmd.Flags().GetString("class")
		var names []string
		for _, c := range catalogs {
			for i := range c.Classes {
				switch cl := &c.Classes[i]; {
				case !plans:
					names = append(names, cl.ExternalName)
				case cl.ExternalName == class:
					for _, p := range c.PlansOf(cl) {
						names = append(names, p.ExternalName)
					}
				}
			}
		}
		return matching(names, toComplete), cobra.ShellCompDirectiveNoFileComp
	}
}

// matching returns the distinct words that start with prefix, sorted.
func matching(words []string, prefix string) []string {
	var found []string
	for _, w := range words {
		if strings.HasPrefix(w, prefix) && !slices.Contains(found, w) {
			found = append(found, w)
		}
	}
	slices.Sort(found)
	return found
}
