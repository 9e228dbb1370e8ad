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
	"github.com/kube-service-catalog/catalog/pkg/cli/counters"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/output"
	scclient "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
)

// bump is a command that increments a counter of one kind's spec.
type bump struct {
	// group is the kind, with its word on the command line.
	group kinds.Group
	// field is the counter's JSON name.
	field string
	// counter returns the counter of the target, patched with opts, or only incremented
	// on the object read for a client dry run.
	counter func(t *target, opts metav1.PatchOptions) counters.Counter
	// state reads the target for a wait.
	state func(t *target) await.Get
}

// patcher is the client of a kind, as a bump uses it.
type patcher[T runtime.Object] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Patch(ctx context.Context, name string, pt types.PatchType, data []byte, opts metav1.PatchOptions, subresources ...string) (T, error)
}

// bumpOf is the bump of the counter field of kind (word on the command line), whose
// objects client reads and patches.
func bumpOf[T runtime.Object, C patcher[T]](kind kinds.Kind, word, field string, client func(t *target) C,
	counter func(T) *int64, state func(C, string) await.Get) bump {
	return bump{
		group: kinds.Group{Word: word, Singular: word, Kinds: []kinds.Kind{kind}},
		field: field,
		counter: func(t *target, opts metav1.PatchOptions) counters.Counter {
			return counterOf(field, t.name, client(t), opts, t.strategy == dryrun.Client, counter)
		},
		state: func(t *target) await.Get { return state(client(t), t.name) },
	}
}

var (
	rotation = bumpOf(kinds.ServiceBinding, "binding", "rotationRequests",
		func(t *target) scclient.ServiceBindingInterface {
			return t.set.Catalog.ServicecatalogV1beta1().ServiceBindings(t.ns)
		},
		func(b *v1beta1.ServiceBinding) *int64 { return &b.Spec.RotationRequests }, bindingState)
	update = bumpOf(kinds.ServiceInstance, "instance", "updateRequests",
		func(t *target) scclient.ServiceInstanceInterface {
			return t.set.Catalog.ServicecatalogV1beta1().ServiceInstances(t.ns)
		},
		func(i *v1beta1.ServiceInstance) *int64 { return &i.Spec.UpdateRequests }, instanceState)
)

// counterOf is the counter field of the object name, read and sent through client; for
// a client dry run, it is incremented on a copy of the object read instead.
func counterOf[T runtime.Object](field, name string, client patcher[T], opts metav1.PatchOptions, dry bool, counter func(T) *int64) counters.Counter {
	var read T
	return counters.Counter{
		Field: field,
		Read: func(ctx context.Context) (string, int64, error) {
			obj, err := client.Get(ctx, name, metav1.GetOptions{})
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
			if dry {
				changed := read.DeepCopyObject().(T)
				*counter(changed) = value
				return changed, nil
			}
			return client.Patch(ctx, name, types.MergePatchType, data, opts)
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
		t, err := env.target(groups, args, dry)
		if err != nil {
			return err
		}
		opts := metav1.PatchOptions{DryRun: t.strategy.Options(), FieldManager: fieldManager}
		obj, value, err := counters.Bump(cmd.Context(), b.counter(t, opts))
		if err != nil {
			return err
		}
		if err := out.PrintDone(env.Out, t.strategy, obj, fmt.Sprintf("%s: %d", b.field, value)); err != nil {
			return err
		}
		if !wait.wait || t.strategy != dryrun.None {
			return nil
		}
		return env.untilReady(cmd.Context(), wait, t.what(), b.state(t))
	}
	return cmd
}
