package catalogcmd

import (
	"github.com/spf13/cobra"

	"github.com/kube-service-catalog/catalog/pkg/cli/describe"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/offerings"
)

// objectGroups are the kinds describe, retry and abandon act on.
var objectGroups = []kinds.Group{kinds.Instances, kinds.Bindings}

func newDescribe(env *Env) *cobra.Command {
	return &cobra.Command{
		Use:   "describe instance|binding NAME",
		Short: "Tell the whole story of an instance or a binding",
		Long: `Tell the whole story of an instance or a binding on one screen: its class, plan and broker,
the broker operation in progress and since when, the id of the last request to the broker, failed
attempts and when the next one is, the bindings of an instance and their Secrets (key names only,
never values), the credentials of a binding (issued, expiring, rotated), its conditions with their
messages, which carry the broker's answer and what to do, and its recent events.`,
		Example: `  kubectl catalog describe instance db -n team-a
  kubectl catalog describe binding db-creds`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeKindAndName(env, objectGroups),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := objectKind(args[0])
			if err != nil {
				return err
			}
			set, ns, err := env.workspace()
			if err != nil {
				return err
			}
			now := env.Clock.Now()
			if kind == kinds.ServiceInstance {
				return describe.Instance(cmd.Context(), set, offerings.Sources(set), ns, args[1], now, env.Out)
			}
			return describe.Binding(cmd.Context(), set, ns, args[1], now, env.Out)
		},
	}
}

// objectKind reads the kind word of describe, retry and abandon.
func objectKind(word string) (kinds.Kind, error) {
	group, err := kinds.Lookup(word, objectGroups)
	if err != nil {
		return kinds.Kind{}, err
	}
	return group.Kinds[0], nil
}
