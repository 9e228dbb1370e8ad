// Package app is the catalog API server command.
package app

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/cli/globalflag"
	"k8s.io/component-base/logs"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/term"
	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/cmd/apiserver/app/options"
	"github.com/kube-service-catalog/catalog/pkg/apiserver"
	"github.com/kube-service-catalog/catalog/pkg/gctuning"
)

// NewAPIServerCommand returns the command that runs the catalog API server until ctx ends.
func NewAPIServerCommand(ctx context.Context, out io.Writer) *cobra.Command {
	o := options.NewOptions()
	logOptions := logs.NewOptions()
	cmd := &cobra.Command{
		Use:   "apiserver",
		Short: "Serve the servicecatalog.k8s.io API",
		Long: `Serves the servicecatalog.k8s.io API (brokers, classes, plans, instances, bindings)
from its own etcd, as an aggregated API behind the Kubernetes API server, or standalone.`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := logsapi.ValidateAndApply(logOptions, nil); err != nil {
				return err
			}
			gctuning.Apply(klog.FromContext(cmd.Context()))
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return Run(cmd.Context(), o)
		},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%q takes no arguments, got %q", cmd.CommandPath(), args)
			}
			return nil
		},
	}
	cmd.SetContext(ctx)

	fss := o.Flags()
	logsapi.AddFlags(logOptions, fss.FlagSet("logs"))
	globalflag.AddGlobalFlags(fss.FlagSet("global"), cmd.Name(), logs.SkipLoggingConfigurationFlags())
	for _, fs := range fss.FlagSets {
		cmd.Flags().AddFlagSet(fs)
	}
	cols, _, _ := term.TerminalSize(out)
	cliflag.SetUsageAndHelpFunc(cmd, fss, cols)
	return cmd
}

// Run starts the server and serves until ctx ends, then shuts it down.
func Run(ctx context.Context, o *options.Options) error {
	return RunServer(ctx, o, func(*apiserver.Server) {})
}

// RunServer is Run, handing the server to built once it is built and before it serves;
// tests reach its handler chain that way.
func RunServer(ctx context.Context, o *options.Options, built func(*apiserver.Server)) error {
	cfg, stopEtcd, err := o.Config(ctx)
	if err != nil {
		return err
	}
	defer stopEtcd()
	server, err := cfg.Complete().New()
	if err != nil {
		return err
	}
	built(server)
	if o.Standalone.Enabled {
		klog.FromContext(ctx).Info("Standalone mode: use the admin kubeconfig", "kubeconfig", o.Standalone.KubeconfigPath)
	}
	return server.GenericAPIServer.PrepareRun().RunWithContext(ctx)
}
