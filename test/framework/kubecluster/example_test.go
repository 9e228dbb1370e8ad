package kubecluster_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// A `make run` style program: start a cluster, print how to reach it, and
// stop it on Ctrl-C. (Not run by go test: it has no Output comment.)
func ExampleStartCluster() {
	if err := runCluster(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// runCluster is the program's body, so that its deferred calls run before
// the program exits.
func runCluster() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := kubecluster.StartCluster(ctx, kubecluster.Options{Dir: "_output/local-up"})
	if err != nil {
		return err
	}
	fmt.Printf("export KUBECONFIG=%s\n", c.KubeconfigFile)
	fmt.Printf("aggregated server: --tls-cert-file=%s --tls-private-key-file=%s --kubeconfig=%s\n",
		c.AggregatedCertFile, c.AggregatedKeyFile, c.Kubeconfig("catalog-apiserver"))
	<-ctx.Done()
	return c.Stop()
}
