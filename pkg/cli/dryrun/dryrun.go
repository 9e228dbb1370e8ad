// Package dryrun reads the --dry-run flag of kubectl catalog's writing commands, with
// kubectl's values: none sends the request, client sends nothing and prints what would be
// sent, server sends it with dryRun=All so that the API server validates and admits it
// without storing it.
package dryrun

import (
	"fmt"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Strategy is what --dry-run asks for.
type Strategy int

const (
	// None sends the request.
	None Strategy = iota
	// Client sends nothing.
	Client
	// Server sends the request with dryRun=All.
	Server
)

// Flag is the --dry-run flag of one command.
type Flag struct {
	value string
}

// AddFlag adds --dry-run to cmd.
func AddFlag(cmd *cobra.Command) *Flag {
	f := &Flag{}
	cmd.Flags().StringVar(&f.value, "dry-run", "none",
		`Must be "none", "server", or "client". With "client", only print the object that would be sent, `+
			`without sending it. With "server", send the request with dryRun=All: the API server validates and admits it without storing it.`)
	return f
}

// Strategy returns the strategy the flag asks for.
func (f *Flag) Strategy() (Strategy, error) {
	switch f.value {
	case "", "none":
		return None, nil
	case "client":
		return Client, nil
	case "server":
		return Server, nil
	}
	return None, fmt.Errorf(`invalid --dry-run value %q: must be "none", "server", or "client"`, f.value)
}

// Options returns the dryRun field of the request's options: ["All"] for Server.
func (s Strategy) Options() []string {
	if s == Server {
		return []string{metav1.DryRunAll}
	}
	return nil
}

// Suffix is what kubectl appends to the message of a dry run: " (dry run)" or
// " (server dry run)".
func (s Strategy) Suffix() string {
	switch s {
	case Client:
		return " (dry run)"
	case Server:
		return " (server dry run)"
	}
	return ""
}
