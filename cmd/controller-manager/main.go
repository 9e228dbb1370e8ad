// Command controller-manager runs the control loops of the service catalog.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(app.NewCommand(ctx, os.Stdout)))
}
