package catalogcmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/output"
	"github.com/kube-service-catalog/catalog/pkg/cli/tables"
)

// getOptions are the flags of get.
type getOptions struct {
	out           *output.Flags
	allNamespaces bool
}

func newGet(env *Env) *cobra.Command {
	o := &getOptions{out: output.ForTables()}
	cmd := &cobra.Command{
		Use:   "get " + strings.Join(kinds.Words(kinds.All()), "|") + " [NAME]",
		Short: "List brokers, classes, plans, instances or bindings with the columns kubectl get prints",
		Long: `List brokers, classes, plans, instances or bindings. The tables are the API server's own,
so their columns are those of kubectl get; -o wide adds the columns of lesser priority. A word
such as "brokers" lists the brokers of every scope; a kind's own names (clusterservicebrokers,
csb, serviceinstance, si, ...) list that kind alone.`,
		Example: `  kubectl catalog get instances -n team-a
  kubectl catalog get bindings -A -o wide
  kubectl catalog get plans -o yaml
  kubectl catalog get instance db -o json`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeKindAndName(env, kinds.All()),
		RunE: func(cmd *cobra.Command, args []string) error {
			group, err := kinds.Lookup(args[0], kinds.All())
			if err != nil {
				return err
			}
			name := ""
			if len(args) == 2 {
				name = args[1]
			}
			return o.run(cmd.Context(), env, group, name)
		},
	}
	o.out.AddFlags(cmd)
	cmd.Flags().BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "List the objects of every namespace.")
	return cmd
}

func (o *getOptions) run(ctx context.Context, env *Env, group kinds.Group, name string) error {
	if err := o.out.Validate(); err != nil {
		return err
	}
	set, ns, err := env.workspace()
	if err != nil {
		return err
	}
	if o.allNamespaces {
		ns = ""
	}
	if table, wide := o.out.Table(); table {
		return o.printTables(ctx, env, set, group, ns, name, wide)
	}
	var objects []runtime.Object
	for _, kind := range group.Kinds {
		found, err := list(ctx, set, kind, ns, name)
		if err != nil {
			return err
		}
		objects = append(objects, found...)
	}
	if name == "" {
		return o.out.PrintList(env.Out, objects)
	}
	if len(objects) == 0 {
		return notFound(group, name)
	}
	return o.out.PrintObject(env.Out, dryrun.None, objects[0])
}

// notFound is the API server's answer for name, of the first kind of group.
func notFound(group kinds.Group, name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Group: v1beta1.GroupName, Resource: group.Kinds[0].Resource}, name)
}

// printTables prints the server's table of each kind of group.
func (o *getOptions) printTables(ctx context.Context, env *Env, set *clients.Set, group kinds.Group, ns, name string, wide bool) error {
	printed := false
	var missing error
	for _, kind := range group.Kinds {
		table, err := tables.Get(ctx, set.CatalogREST, kind, ns, name)
		if name != "" && apierrors.IsNotFound(err) {
			missing = err
			continue
		}
		if err != nil {
			return err
		}
		if len(table.Rows) == 0 {
			continue
		}
		if printed {
			fmt.Fprintln(env.Out)
		}
		if err := tables.Print(env.Out, table, tables.Options{Wide: wide, WithNamespace: ns == "" && kind.Namespaced}); err != nil {
			return err
		}
		printed = true
	}
	if !printed && missing != nil {
		return missing
	}
	if !printed {
		fmt.Fprintln(env.ErrOut, noneFound(group, ns))
	}
	return nil
}

// noneFound is kubectl's message for an empty list.
func noneFound(group kinds.Group, ns string) string {
	namespaced := false
	for _, k := range group.Kinds {
		namespaced = namespaced || k.Namespaced
	}
	if namespaced && ns != "" {
		return fmt.Sprintf("No resources found in %s namespace.", ns)
	}
	return "No resources found"
}

// list returns the objects of kind in ns ("" for every namespace), or the one named
// name (none when there is none).
func list(ctx context.Context, set *clients.Set, kind kinds.Kind, ns, name string) ([]runtime.Object, error) {
	c := set.Catalog.ServicecatalogV1beta1()
	opts := metav1.ListOptions{}
	if name != "" {
		opts.FieldSelector = "metadata.name=" + name
	}
	var l runtime.Object
	var err error
	switch kind {
	case kinds.ClusterServiceBroker:
		l, err = c.ClusterServiceBrokers().List(ctx, opts)
	case kinds.ClusterServiceClass:
		l, err = c.ClusterServiceClasses().List(ctx, opts)
	case kinds.ClusterServicePlan:
		l, err = c.ClusterServicePlans().List(ctx, opts)
	case kinds.ServiceBroker:
		l, err = c.ServiceBrokers(ns).List(ctx, opts)
	case kinds.ServiceClass:
		l, err = c.ServiceClasses(ns).List(ctx, opts)
	case kinds.ServicePlan:
		l, err = c.ServicePlans(ns).List(ctx, opts)
	case kinds.ServiceInstance:
		l, err = c.ServiceInstances(ns).List(ctx, opts)
	case kinds.ServiceBinding:
		l, err = c.ServiceBindings(ns).List(ctx, opts)
	default:
		return nil, fmt.Errorf("cannot list %s", kind.Resource)
	}
	if err != nil {
		return nil, err
	}
	objects, err := meta.ExtractList(l)
	if err != nil || name == "" {
		return objects, err
	}
	return slices.DeleteFunc(objects, func(obj runtime.Object) bool {
		m, err := meta.Accessor(obj)
		return err != nil || m.GetName() != name
	}), nil
}
