package catalogcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/await"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/output"
)

// deleteFlags are the flags of unbind and deprovision.
type deleteFlags struct {
	out    *output.Flags
	dryRun *dryrun.Flag
	wait   *waitFlags
}

func addDeleteFlags(cmd *cobra.Command, until string) *deleteFlags {
	return &deleteFlags{out: output.ForWrites("deleted"), dryRun: dryrun.AddFlag(cmd), wait: addWaitFlags(cmd, until)}
}

// deletion is what deleting objects of one kind needs.
type deletion struct {
	kind kinds.Kind
	// stub returns an object named name, to print.
	stub func(name string) runtime.Object
	// del deletes the object name.
	del func(ctx context.Context, name string, opts metav1.DeleteOptions) error
	// state reads the object name for a wait.
	state func(name string) await.Get
}

// deleter is the client of a kind, as a deletion uses it.
type deleter interface {
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// deletionOf is the deletion of objects of kind in namespace ns through client; stub
// makes an object of the kind with the given metadata.
func deletionOf[C deleter](kind kinds.Kind, ns string, client C, stub func(metav1.ObjectMeta) runtime.Object,
	state func(C, string) await.Get) deletion {
	return deletion{
		kind:  kind,
		stub:  func(name string) runtime.Object { return stub(metav1.ObjectMeta{Name: name, Namespace: ns}) },
		del:   client.Delete,
		state: func(name string) await.Get { return state(client, name) },
	}
}

// run deletes the objects names one after the other, and waits until each is gone
// when asked.
func (f *deleteFlags) run(ctx context.Context, env *Env, d deletion, names []string) error {
	strategy, err := f.dryRun.Strategy()
	if err != nil {
		return err
	}
	for _, name := range names {
		if strategy != dryrun.Client {
			if err := d.del(ctx, name, metav1.DeleteOptions{DryRun: strategy.Options()}); err != nil {
				return err
			}
		}
		if err := f.out.PrintObject(env.Out, strategy, d.stub(name)); err != nil {
			return err
		}
	}
	if !f.wait.wait || strategy != dryrun.None {
		return nil
	}
	for _, name := range names {
		if err := env.untilGone(ctx, f.wait, objectName(d.kind.Singular(), name), d.state(name)); err != nil {
			return err
		}
	}
	return nil
}

func newDeprovision(env *Env) *cobra.Command {
	var f *deleteFlags
	cmd := &cobra.Command{
		Use:   "deprovision INSTANCE...",
		Short: "Delete instances: the broker deprovisions them",
		Long: `Delete instances: the controller asks the broker to deprovision each, then the instance goes.
An instance waits for its bindings, of every namespace, to be deleted first (kubectl catalog
unbind --instance). With --wait, wait until each is gone, printing what holds it up: the broker's
refusal (DeleteBlocked, whose message says how to retry or abandon) or bindings left.`,
		Example: `  kubectl catalog deprovision db --wait
  kubectl catalog deprovision db --dry-run=server`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeNames(env, kinds.ServiceInstance),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, ns, err := env.workspace()
			if err != nil {
				return err
			}
			client := set.Catalog.ServicecatalogV1beta1().ServiceInstances(ns)
			return f.run(cmd.Context(), env, deletionOf(kinds.ServiceInstance, ns, client,
				func(m metav1.ObjectMeta) runtime.Object { return &v1beta1.ServiceInstance{ObjectMeta: m} }, instanceState), args)
		},
	}
	f = addDeleteFlags(cmd, "the instances are gone")
	return cmd
}

func newUnbind(env *Env) *cobra.Command {
	var f *deleteFlags
	var instance string
	cmd := &cobra.Command{
		Use:   "unbind BINDING... | --instance INSTANCE",
		Short: "Delete bindings: the broker revokes their credentials and their Secrets go",
		Long: `Delete bindings: the controller asks the broker to unbind each, and deletes its Secret.
--instance deletes every binding of the namespace to that instance. With --wait, wait until each
is gone, printing what holds it up.`,
		Example: `  kubectl catalog unbind db-creds --wait
  kubectl catalog unbind --instance db`,
		ValidArgsFunction: completeNames(env, kinds.ServiceBinding),
		RunE: func(cmd *cobra.Command, args []string) error {
			set, ns, err := env.workspace()
			if err != nil {
				return err
			}
			client := set.Catalog.ServicecatalogV1beta1().ServiceBindings(ns)
			names, err := bindingNames(cmd.Context(), client, args, instance, ns)
			if err != nil {
				return err
			}
			return f.run(cmd.Context(), env, deletionOf(kinds.ServiceBinding, ns, client,
				func(m metav1.ObjectMeta) runtime.Object { return &v1beta1.ServiceBinding{ObjectMeta: m} }, bindingState), names)
		},
	}
	f = addDeleteFlags(cmd, "the bindings are gone")
	cmd.Flags().StringVar(&instance, "instance", "", "Delete every binding of the namespace to this instance.")
	_ = cmd.RegisterFlagCompletionFunc("instance", completeNames(env, kinds.ServiceInstance))
	return cmd
}

// bindingsLister lists bindings.
type bindingsLister interface {
	List(ctx context.Context, opts metav1.ListOptions) (*v1beta1.ServiceBindingList, error)
}

// bindingNames returns the bindings unbind deletes: those named, or those of instance.
func bindingNames(ctx context.Context, client bindingsLister, args []string, instance, ns string) ([]string, error) {
	switch {
	case instance != "" && len(args) > 0:
		return nil, fmt.Errorf("name bindings or --instance, not both")
	case instance == "" && len(args) == 0:
		return nil, fmt.Errorf("name the bindings to delete, or --instance")
	case instance == "":
		return args, nil
	}
	list, err := client.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for i := range list.Items {
		b := &list.Items[i]
		if b.InstanceNamespace() == ns && b.Spec.InstanceRef.Name == instance {
			names = append(names, b.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("instance %s has no bindings in namespace %s", instance, ns)
	}
	return names, nil
}
