// Command test-broker runs the in-memory Open Service Broker of pkg/broker,
// for tests and demos. See docs/test-broker.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/klog/v2"

	"github.com/kube-service-catalog/catalog/pkg/broker"
)

func main() {
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "test-broker:", err)
		os.Exit(1)
	}
}

// serve runs the broker until SIGINT or SIGTERM.
func serve() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// run parses args and serves until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("test-broker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := broker.NewServerOptions()
	opts.AddFlags(fs)
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	klogFlags.VisitAll(func(f *flag.Flag) {
		if f.Name == "v" || f.Name == "vmodule" {
			fs.Var(f.Value, f.Name, f.Usage)
		}
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // the usage is printed; asking for it is not a failure
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	defer klog.Flush()
	return broker.Run(klog.NewContext(ctx, klog.Background()), opts, stdout)
}
