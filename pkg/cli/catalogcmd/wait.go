package catalogcmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/cli/await"
	scclient "github.com/kube-service-catalog/catalog/pkg/generated/clientset/versioned/typed/servicecatalog/v1beta1"
)

// defaultTimeout bounds --wait.
const defaultTimeout = 5 * time.Minute

// waitFlags are --wait and --timeout.
type waitFlags struct {
	wait    bool
	timeout time.Duration
}

// addWaitFlags adds --wait, which waits for what until, and --timeout.
func addWaitFlags(cmd *cobra.Command, until string) *waitFlags {
	w := &waitFlags{}
	cmd.Flags().BoolVar(&w.wait, "wait", false, "Wait until "+until+", printing on the way what holds it up.")
	cmd.Flags().DurationVar(&w.timeout, "timeout", defaultTimeout, "How long --wait waits.")
	return w
}

// options are the await options of a wait on what, reporting progress on ErrOut.
func (e *Env) awaitOptions(w *waitFlags, what string) await.Options {
	return await.Options{
		Interval: e.PollInterval,
		Timeout:  w.timeout,
		Progress: func(line string) { fmt.Fprintf(e.ErrOut, "%s: %s\n", what, line) },
	}
}

// untilReady waits until the object get reads is Ready, and says so with its message.
func (e *Env) untilReady(ctx context.Context, w *waitFlags, what string, get await.Get) error {
	r, err := await.UntilReady(ctx, e.awaitOptions(w, what), get)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(e.Out, "%s is Ready: %s\n", what, r.Message())
	return nil
}

// untilGone waits until the object get reads is gone, and says so.
func (e *Env) untilGone(ctx context.Context, w *waitFlags, what string, get await.Get) error {
	if err := await.UntilGone(ctx, e.awaitOptions(w, what), get); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	fmt.Fprintf(e.Out, "%s is gone\n", what)
	return nil
}

// instanceState reads the instance name for a wait.
func instanceState(client scclient.ServiceInstanceInterface, name string) await.Get {
	return func(ctx context.Context) (*await.Object, error) {
		i, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		acted := i.Status.ObservedGeneration >= i.Generation && i.Status.CurrentOperation == ""
		return &await.Object{Conditions: i.Status.Conditions, Acted: acted}, nil
	}
}

// bindingState reads the binding name for a wait: the controller has acted once it
// observed the generation and the rotation requests.
func bindingState(client scclient.ServiceBindingInterface, name string) await.Get {
	return func(ctx context.Context) (*await.Object, error) {
		b, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		st := &b.Status
		acted := st.ObservedGeneration >= b.Generation && st.ObservedRotationRequests >= b.Spec.RotationRequests &&
			st.CurrentOperation == "" && st.Rotation == nil
		return &await.Object{Conditions: st.Conditions, Acted: acted}, nil
	}
}

// objectName is how the plugin names an object in its messages: serviceinstance/db.
func objectName(kind, name string) string {
	return kind + "/" + name
}
