package catalogcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/dryrun"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
)

// intervener is the client of a kind with the retry and abandon subresources.
type intervener interface {
	Retry(ctx context.Context, name string, i *v1beta1.Intervention, opts metav1.CreateOptions) (*metav1.Status, error)
	Abandon(ctx context.Context, name string, i *v1beta1.Intervention, opts metav1.CreateOptions) (*metav1.Status, error)
}

// The subresources.
const (
	retry   = "retry"
	abandon = "abandon"
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

// newIntervention completes cmd to call the subresource verb.
func newIntervention(env *Env, verb string, cmd *cobra.Command) *cobra.Command {
	var reason string
	dry := dryrun.AddFlag(cmd)
	cmd.Args = cobra.ExactArgs(2)
	cmd.ValidArgsFunction = completeKindAndName(env, objectGroups)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		t, err := env.target(objectGroups, args, dry)
		if err != nil {
			return err
		}
		var client intervener = t.set.Catalog.ServicecatalogV1beta1().ServiceInstances(t.ns)
		if t.kind == kinds.ServiceBinding {
			client = t.set.Catalog.ServicecatalogV1beta1().ServiceBindings(t.ns)
		}
		call := client.Retry
		if verb == abandon {
			call = client.Abandon
		}
		message := fmt.Sprintf("%s of %s requested", verb, t.what())
		if t.strategy != dryrun.Client {
			body := &v1beta1.Intervention{ObjectMeta: metav1.ObjectMeta{Name: t.name}, Reason: reason}
			status, err := call(cmd.Context(), t.name, body, metav1.CreateOptions{DryRun: t.strategy.Options(), FieldManager: fieldManager})
			if err != nil {
				return err
			}
			message = status.Message
		}
		fmt.Fprintln(env.Out, message+t.strategy.Suffix())
		return nil
	}
	cmd.Flags().StringVar(&reason, "reason", "", "Why, for the record and the event.")
	return cmd
}
