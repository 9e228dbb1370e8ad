package catalogcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/await"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/counters"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/output"
)

// bump is a command that increments a counter of one kind's spec.
type bump struct {
	// group is the kind, with its word on the command line.
	group kinds.Group
	// counter returns the counter of the object name, patched with opts, or only
	// incremented on the object read for a client dry run.
	counter func(set *clients.Set, ns, name string, opts metav1.PatchOptions, client bool) counters.Counter
	// state reads the object for a wait.
	state func(set *clients.Set, ns, name string) await.Get
	// field is the counter's name, for messages.
	field string
}

var (
	rotation = bump{
		group: kinds.Group{Word: "binding", Singular: "binding", Kinds: []kinds.Kind{kinds.ServiceBinding}},
		field: "rotationRequests",
		counter: func(set *clients.Set, ns, name string, opts metav1.PatchOptions, client bool) counters.Counter {
			c := set.Catalog.ServicecatalogV1beta1().ServiceBindings(ns)
			return counterOf("rotationRequests", name, c.Get, c.Patch, opts, client,
				func(b *v1beta1.ServiceBinding) *int64 { return &b.Spec.RotationRequests })
		},
		state: func(set *clients.Set, ns, name string) await.Get {
			return bindingState(set.Catalog.ServicecatalogV1beta1().ServiceBindings(ns), name)
		},
	}
	update = bump{
		group: kinds.Group{Word: "instance", Singular: "instance", Kinds: []kinds.Kind{kinds.ServiceInstance}},
		field: "updateRequests",
		counter: func(set *clients.Set, ns, name string, opts metav1.PatchOptions, client bool) counters.Counter {
			c := set.Catalog.ServicecatalogV1beta1().ServiceInstances(ns)
			return counterOf("updateRequests", name, c.Get, c.Patch, opts, client,
				func(i *v1beta1.ServiceInstance) *int64 { return &i.Spec.UpdateRequests })
		},
		state: func(set *clients.Set, ns, name string) await.Get {
			return instanceState(set.Catalog.ServicecatalogV1beta1().ServiceInstances(ns), name)
		},
	}
)

// counterOf is the counter field of the object name, read with get and sent with patch;
// for a client dry run, it is incremented on a copy of the object read instead.
func counterOf[T runtime.Object](field, name string,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	patch func(context.Context, string, types.PatchType, []byte, metav1.PatchOptions, ...string) (T, error),
	opts metav1.PatchOptions, client bool, counter func(T) *int64) counters.Counter {
	var read T
	return counters.Counter{
		Field: field,
		Read: func(ctx context.Context) (string, int64, error) {
			obj, err := get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return "", 0, err
			}
			read = obj
			m, err := meta.Accessor(obj)
			if err != nil {
				return "", 0, err
			}
			return m.GetResourceVersion(), *counter(obj), nil
		},
		Patch: func(ctx context.Context, data []byte, value int64) (runtime.Object, error) {
			if client {
				changed := read.DeepCopyObject().(T)
				*counter(changed) = value
				return changed, nil
			}
			return patch(ctx, name, types.MergePatchType, data, opts)
		},
	}
}

func newRotate(env *Env) *cobra.Command {
	return newBump(env, rotation, &cobra.Command{
		Use:   "rotate binding NAME",
		Short: "Ask for new credentials for a binding (spec.rotationRequests)",
		Long: `Ask for new credentials for a binding: increments spec.rotationRequests. The controller binds
again under a new binding id, writes the new credentials into the same Secret, and unbinds the old
binding after the overlap window. With --wait, wait until the new credentials are in the Secret.`,
		Example: `  kubectl catalog rotate binding db-creds --wait`,
	})
}

func newTouch(env *Env) *cobra.Command {
	return newBump(env, update, &cobra.Command{
		Use:   "touch instance NAME",
		Short: "Make the controller send an update of an instance to the broker (spec.updateRequests)",
		Long: `Make the controller send an update of an instance to the broker although nothing else changed,
for example after a Secret named in parametersFrom changed: increments spec.updateRequests. With
--wait, wait until the broker applied the update.`,
		Example: `  kubectl catalog touch instance db --wait`,
	})
}

// newBump completes cmd to increment b's counter.
func newBump(env *Env, b bump, cmd *cobra.Command) *cobra.Command {
	out := output.ForWrites("")
	dry := dryrun.AddFlag(cmd)
	wait := addWaitFlags(cmd, "the controller has acted on it and the object is Ready")
	out.AddFlags(cmd)
	groups := []kinds.Group{b.group}
	cmd.Args = cobra.ExactArgs(2)
	cmd.ValidArgsFunction = completeKindAndName(env, groups)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if _, err := kinds.Lookup(args[0], groups); err != nil {
			return err
		}
		strategy, err := dry.Strategy()
		if err != nil {
			return err
		}
		set, ns, err := env.workspace()
		if err != nil {
			return err
		}
		opts := metav1.PatchOptions{DryRun: strategy.Options(), FieldManager: fieldManager}
		obj, value, err := counters.Bump(cmd.Context(), b.counter(set, ns, args[1], opts, strategy == dryrun.Client))
		if err != nil {
			return err
		}
		if err := out.PrintDone(env.Out, strategy, obj, fmt.Sprintf("%s: %d", b.field, value)); err != nil {
			return err
		}
		if !wait.wait || strategy != dryrun.None {
			return nil
		}
		return env.untilReady(cmd.Context(), wait, objectName(b.group.Kinds[0].Singular(), args[1]), b.state(set, ns, args[1]))
	}
	return cmd
}
