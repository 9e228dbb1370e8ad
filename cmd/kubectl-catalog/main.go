// Command kubectl-catalog is the kubectl plugin of the service catalog: on PATH, it runs
// as "kubectl catalog".
package main

import (
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kube-service-catalog/catalog/pkg/cli/catalogcmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	os.Exit(catalogcmd.Run(catalogcmd.NewCommand(streams), os.Args[1:], os.Stderr))
}
