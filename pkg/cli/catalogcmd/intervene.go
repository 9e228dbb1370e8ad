package catalogcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
)

// intervention is the retry or the abandon subresource.
type intervention struct {
	// verb is the subresource.
	verb string
	// instance and binding call it on an instance or a binding.
	instance func(c *clients.Set, ns string) interveneFunc
	binding  func(c *clients.Set, ns string) interveneFunc
}

// interveneFunc calls a subresource of one kind.
type interveneFunc func(ctx context.Context, name string, i *v1beta1.Intervention, opts metav1.CreateOptions) (*metav1.Status, error)

var (
	retry = intervention{
		verb: "retry",
		instance: func(c *clients.Set, ns string) interveneFunc {
			return c.Catalog.ServicecatalogV1beta1().ServiceInstances(ns).Retry
		},
		binding: func(c *clients.Set, ns string) interveneFunc {
			return c.Catalog.ServicecatalogV1beta1().ServiceBindings(ns).Retry
		},
	}
	abandon = intervention{
		verb: "abandon",
		instance: func(c *clients.Set, ns string) interveneFunc {
			return c.Catalog.ServicecatalogV1beta1().ServiceInstances(ns).Abandon
		},
		binding: func(c *clients.Set, ns string) interveneFunc {
			return c.Catalog.ServicecatalogV1beta1().ServiceBindings(ns).Abandon
		},
	}
)

func newRetry(env *Env) *cobra.Command {
	return newIntervention(env, retry, &cobra.Command{
		Use:   "retry instance|binding NAME [--reason REASON]",
		Short: "Ask the controller to try the broker operation of an instance or a binding again now",
		Long: `Ask the controller to try the broker operation of an instance or a binding again now, also one
it stopped trying (such as a delete the broker refused for a day): the retry subresource. Nothing
else is reset. The admin and edit roles may.`,
		Example: `  kubectl catalog retry instance db --reason "the broker is fixed"`,
	})
}

func newAbandon(env *Env) *cobra.Command {
	cmd := newIntervention(env, abandon, &cobra.Command{
		Use:   "abandon instance|binding NAME --reason REASON",
		Short: "Let an instance or binding being deleted go without the broker",
		Long: `Let an instance or a binding that is being deleted go without calling the broker again: the
abandon subresource. The broker may keep what it holds; the broker's status records it, for
whoever runs the broker. Only an object being deleted can be abandoned (deprovision or unbind
it first). The admin role may.`,
		Example: `  kubectl catalog abandon instance db --reason "the broker was decommissioned"`,
	})
	_ = cmd.MarkFlagRequired("reason")
	return cmd
}

// newIntervention completes cmd to call the subresource of in.
func newIntervention(env *Env, in intervention, cmd *cobra.Command) *cobra.Command {
	var reason string
	dry := dryrun.AddFlag(cmd)
	cmd.Args = cobra.ExactArgs(2)
	cmd.ValidArgsFunction = completeKindAndName(env, objectGroups)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		kind, err := objectKind(args[0])
		if err != nil {
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
		call := in.instance(set, ns)
		if kind == kinds.ServiceBinding {
			call = in.binding(set, ns)
		}
		message := fmt.Sprintf("%s of %s requested", in.verb, objectName(kind.Singular(), args[1]))
		if strategy != dryrun.Client {
			body := &v1beta1.Intervention{ObjectMeta: metav1.ObjectMeta{Name: args[1]}, Reason: reason}
			status, err := call(cmd.Context(), args[1], body, metav1.CreateOptions{DryRun: strategy.Options(), FieldManager: fieldManager})
			if err != nil {
				return err
			}
			message = status.Message
		}
		fmt.Fprintln(env.Out, message+strategy.Suffix())
		return nil
	}
	cmd.Flags().StringVar(&reason, "reason", "", "Why, for the record and the event.")
	return cmd
}
