package catalogcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-service-catalog/catalog/pkg/apis/servicecatalog/v1beta1"
	"github.com/kube-service-catalog/catalog/pkg/cli/clients"
	"github.com/kube-service-catalog/catalog/pkg/cli/kinds"
	"github.com/kube-service-catalog/catalog/pkg/cli/secrets"
)

// bindOptions are the flags of bind.
type bindOptions struct {
	*writeFlags
	instance, instanceNamespace, secretName string
}

func newBind(env *Env) *cobra.Command {
	o := &bindOptions{}
	cmd := &cobra.Command{
		Use:   "bind NAME --instance INSTANCE [--secret-name SECRET]",
		Short: "Create a ServiceBinding: credentials to an instance, in a Secret",
		Long: `Create a ServiceBinding NAME to an instance: the broker hands out credentials, which the
controller writes to a Secret of the namespace (--secret-name, by default NAME) for pods to mount.
--instance-namespace binds an instance of another namespace, where you may "bind" its instances.

With --wait, wait until the binding is Ready or Failed and name the keys of its Secret.`,
		Example: `  kubectl catalog bind db-creds --instance db --wait
  kubectl catalog bind orders-db --instance orders-db --instance-namespace data -p role=readonly`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), env, args[0])
		},
	}
	o.writeFlags = addWriteFlags(cmd, "the binding is Ready or Failed")
	cmd.Flags().StringVar(&o.instance, "instance", "", "The ServiceInstance to bind.")
	cmd.Flags().StringVar(&o.instanceNamespace, "instance-namespace", "", "The instance's namespace, when it is not the binding's.")
	cmd.Flags().StringVar(&o.secretName, "secret-name", "", "The Secret to write the credentials to; by default the binding's name.")
	_ = cmd.MarkFlagRequired("instance")
	_ = cmd.RegisterFlagCompletionFunc("instance", completeNames(env, kinds.ServiceInstance))
	return cmd
}

func (o *bindOptions) run(ctx context.Context, env *Env, name string) error {
	w, err := o.start(env)
	if err != nil {
		return err
	}
	if err := o.checkInstance(ctx, w.set, w.ns); err != nil {
		return err
	}
	binding := &v1beta1.ServiceBinding{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns}}
	binding.Spec = v1beta1.ServiceBindingSpec{
		InstanceRef: v1beta1.ServiceInstanceReference{Name: o.instance, Namespace: o.instanceNamespace},
		Parameters:  w.parameters,
		SecretName:  o.secretName,
	}
	client := w.set.Catalog.ServicecatalogV1beta1().ServiceBindings(w.ns)
	binding, waited, err := create(ctx, env, o.writeFlags, w.strategy, binding, client.Create,
		objectName(kinds.ServiceBinding.Singular(), name), bindingState(client, name))
	if err != nil || !waited {
		return err
	}
	return env.secretKeys(ctx, w.set, w.ns, secrets.Name(binding))
}

// checkInstance refuses a binding to an instance that does not exist. An instance the
// user may not read is left to the API server to judge.
func (o *bindOptions) checkInstance(ctx context.Context, set *clients.Set, ns string) error {
	namespace := ns
	if o.instanceNamespace != "" {
		namespace = o.instanceNamespace
	}
	_, err := set.Catalog.ServicecatalogV1beta1().ServiceInstances(namespace).Get(ctx, o.instance, metav1.GetOptions{})
	if apierrors.IsForbidden(err) {
		return nil
	}
	return err
}

// secretKeys says which keys the Secret name holds (never their values).
func (e *Env) secretKeys(ctx context.Context, set *clients.Set, ns, name string) error {
	keys, err := secrets.Keys(ctx, set.Kube, ns, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "secret/%s holds: %s\n", name, strings.Join(keys, ", "))
	return nil
}
