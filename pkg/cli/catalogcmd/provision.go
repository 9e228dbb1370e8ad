package catalogcmd

import (
	"context"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/await"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
	"github.com/kube-service-catalog/catalog/pkg/cli/output"
	"github.com/kube-service-catalog/catalog/pkg/cli/params"
)

// writeFlags are the flags of every command that creates an object.
type writeFlags struct {
	out    *output.Flags
	dryRun *dryrun.Flag
	wait   *waitFlags
	pairs  []string
	json   string
}

// addWriteFlags adds -o, --dry-run, --wait (until), --timeout, -p and --params-json.
func addWriteFlags(cmd *cobra.Command, until string) *writeFlags {
	f := &writeFlags{out: output.ForWrites("created"), dryRun: dryrun.AddFlag(cmd), wait: addWaitFlags(cmd, until)}
	f.out.AddFlags(cmd)
	cmd.Flags().StringArrayVarP(&f.pairs, "param", "p", nil,
		"A parameter for the broker, key=value (repeatable). The value is a JSON scalar (20, true, null, \"20\") when it parses as one, else a string.")
	cmd.Flags().StringVar(&f.json, "params-json", "", `Parameters for the broker as a JSON object, merged with -p; a key given twice is an error.`)
	return f
}

// write is what a command that creates an object starts from.
type write struct {
	strategy   dryrun.Strategy
	parameters *runtime.RawExtension
	set        *clients.Set
	ns         string
}

// start checks the flags and returns the dry-run strategy, the parameters, the clients
// and the namespace.
func (f *writeFlags) start(env *Env) (*write, error) {
	strategy, err := f.dryRun.Strategy()
	if err != nil {
		return nil, err
	}
	if err := f.out.Validate(); err != nil {
		return nil, err
	}
	parameters, err := params.Parse(f.pairs, f.json)
	if err != nil {
		return nil, err
	}
	set, ns, err := env.workspace()
	return &write{strategy: strategy, parameters: parameters, set: set, ns: ns}, err
}

// provisionOptions are the flags of provision.
type provisionOptions struct {
	*writeFlags
	class, plan, scope string
}

func newProvision(env *Env) *cobra.Command {
	o := &provisionOptions{}
	cmd := &cobra.Command{
		Use:   "provision NAME --class CLASS [--plan PLAN] [-p key=value ...]",
		Short: "Create a ServiceInstance of a class and plan, named as the marketplace names them",
		Long: `Create a ServiceInstance NAME of the class and plan named by their external names, as
kubectl catalog marketplace lists them. Without --plan, the API server gives the instance the
class's only plan, or refuses and lists the plans.

A class of the namespace wins over a cluster class of the same external name; --scope chooses.

With --wait, wait until the instance is Ready or Failed and print the condition's message.`,
		Example: `  kubectl catalog provision db --class postgresql --plan small -p storageGB=20 --wait
  kubectl catalog provision cache --class redis --params-json '{"maxmemory":"256mb"}'
  kubectl catalog provision db --class postgresql --plan small --dry-run=server -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), env, args[0])
		},
	}
	o.writeFlags = addWriteFlags(cmd, "the instance is Ready or Failed")
	cmd.Flags().StringVar(&o.class, "class", "", "The class's external name (kubectl catalog marketplace).")
	cmd.Flags().StringVar(&o.plan, "plan", "", "The plan's external name; without it, the class's only plan.")
	cmd.Flags().StringVar(&o.scope, "scope", "", scopeUsage)
	_ = cmd.MarkFlagRequired("class")
	_ = cmd.RegisterFlagCompletionFunc("class", completeOfferings(env, false))
	_ = cmd.RegisterFlagCompletionFunc("plan", completeOfferings(env, true))
	return cmd
}

func (o *provisionOptions) run(ctx context.Context, env *Env, name string) error {
	w, err := o.start(env)
	if err != nil {
		return err
	}
	sources, err := offerings.Select(offerings.Sources(w.set), o.scope)
	if err != nil {
		return err
	}
	choice, err := offerings.Find(ctx, sources, w.ns, o.class, o.plan)
	if err != nil {
		return err
	}
	instance := &v1beta1.ServiceInstance{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns}}
	instance.Spec.Parameters = w.parameters
	choice.Source.SetExternalNames(&instance.Spec, o.class, o.plan)
	client := w.set.Catalog.ServicecatalogV1beta1().ServiceInstances(w.ns)
	_, _, err = create(ctx, env, o.writeFlags, w.strategy, instance, client.Create,
		objectName(kinds.ServiceInstance.Singular(), name), instanceState(client, name))
	return err
}

// create sends obj (unless this is a client dry run), prints it, and with --wait waits
// until it is Ready. It returns the object created and whether it waited.
func create[T runtime.Object](ctx context.Context, env *Env, f *writeFlags, strategy dryrun.Strategy, obj T,
	send func(context.Context, T, metav1.CreateOptions) (T, error), what string, state await.Get) (T, bool, error) {
	if strategy != dryrun.Client {
		created, err := send(ctx, obj, metav1.CreateOptions{DryRun: strategy.Options(), FieldManager: fieldManager})
		if err != nil {
			return obj, false, err
		}
		obj = created
	}
	if err := f.out.PrintObject(env.Out, strategy, obj); err != nil {
		return obj, false, err
	}
	if !f.wait.wait || strategy != dryrun.None {
		return obj, false, nil
	}
	return obj, true, env.untilReady(ctx, f.wait, what, state)
}
