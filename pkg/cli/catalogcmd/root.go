// Package catalogcmd holds the commands of kubectl catalog, the kubectl plugin for the
// service catalog: what the catalog offers (marketplace, tree, get), asking for
// instances and bindings (provision, bind) and giving them back (unbind, deprovision),
// what happens to them (describe), and nudging the controller (retry, abandon, rotate,
// touch). Each command is a thin layer over the packages beside it.
package catalogcmd

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/clock"

	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
)

// fieldManager is the field manager of the plugin's writes.
const fieldManager = "kubectl-catalog"

// Env is what every command uses.
type Env struct {
	genericiooptions.IOStreams
	// Clients gives the clients and the namespace.
	Clients clients.Getter
	// Clock tells the time, for ages and times to come.
	Clock clock.PassiveClock
	// PollInterval is the time between two looks while a command waits.
	PollInterval time.Duration
}

// NewCommand returns kubectl catalog with kubectl's flags (--kubeconfig, --context,
// --namespace, --as, ...), talking to the cluster they name.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	root := NewRoot(&Env{
		IOStreams:    streams,
		Clients:      clients.FromConfigFlags(flags),
		Clock:        clock.RealClock{},
		PollInterval: 2 * time.Second,
	})
	flags.AddFlags(root.PersistentFlags())
	return root
}

// NewRoot returns kubectl catalog working with env.
func NewRoot(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-catalog",
		Short: "Find, provision and bind services of the service catalog",
		Long: `kubectl catalog finds the services the service catalog offers in a namespace, provisions
instances of them, binds the instances to get credentials in a Secret, and tells what happens
to them. It uses your kubeconfig and kubectl's flags (--namespace, --context, --as, ...).`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl catalog"},
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(env.In)
	root.SetOut(env.Out)
	root.SetErr(env.ErrOut)
	root.AddCommand(
		newMarketplace(env), newTree(env), newGet(env), newDescribe(env),
		newProvision(env), newBind(env), newUnbind(env), newDeprovision(env),
		newRetry(env), newAbandon(env), newRotate(env), newTouch(env),
	)
	return root
}

// Run runs root with args and returns the exit code, printing an error to errOut as
// kubectl does: an API server's refusal with its reason and its message as is.
func Run(root *cobra.Command, args []string, errOut io.Writer) int {
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(errOut, errorMessage(err))
		return 1
	}
	return 0
}

// errorMessage is what kubectl prints for err.
func errorMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Reason != "" {
		return fmt.Sprintf("Error from server (%s): %s", status.Status().Reason, err)
	}
	return "error: " + err.Error()
}

// workspace returns the clients and the namespace of a run.
func (e *Env) workspace() (*clients.Set, string, error) {
	set, err := e.Clients.Clients()
	if err != nil {
		return nil, "", err
	}
	ns, err := e.Clients.Namespace()
	return set, ns, err
}
