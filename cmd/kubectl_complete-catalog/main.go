// Command kubectl_complete-catalog completes the command line of "kubectl catalog":
// kubectl's shell completion runs it, when it is on PATH, with the words typed after
// "kubectl catalog".
package main

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kube-service-catalog/catalog/pkg/cli/catalogcmd"
)

func main() {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	args := append([]string{cobra.ShellCompRequestCmd}, os.Args[1:]...)
	os.Exit(catalogcmd.Run(catalogcmd.NewCommand(streams), args, os.Stderr))
}
