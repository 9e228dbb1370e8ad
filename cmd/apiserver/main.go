// Command apiserver serves the servicecatalog.k8s.io API.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"github.com/kube-service-catalog/catalog/cmd/apiserver/app"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(app.NewAPIServerCommand(ctx, os.Stdout)))
}
