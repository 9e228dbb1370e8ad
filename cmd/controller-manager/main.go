// Command controller-manager runs the control loops of the service catalog.
package main

import (
	"os"

	// Mozilla's root certificates, used when the system has none (the image
	// carries no CA bundle): brokers with a public certificate still verify.
	_ "golang.org/x/crypto/x509roots/fallback"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"github.com/kube-service-catalog/catalog/cmd/controller-manager/app"
)

func main() {
	ctx := genericapiserver.SetupSignalContext()
	os.Exit(cli.Run(app.NewCommand(ctx, os.Stdout)))
}
