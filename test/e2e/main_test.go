// Package e2e drives the whole service catalog the way users do: kubectl,
// as a cluster admin and as users holding ordinary RBAC roles, against a real
// kube-apiserver that reaches the catalog's API server through an APIService
// (test/framework/catalogstack). One stack is shared by the package's tests,
// which keep to their own namespaces and object names.
//
// The tests skip in -short mode. They need the pinned Kubernetes binaries
// (make kube-binaries) and build the catalog's binaries with go build.
// Environment:
//   - CATALOG_KUBECLUSTER_DIR keeps the run directory (logs, PKI) under it;
//   - CATALOG_E2E_COMPONENTS, e.g. "apiserver,test-broker", chooses the
//     components (default: all the repository has), for example to run the
//     suite without the controller manager.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
	"github.com/kube-service-catalog/catalog/test/framework/kubecluster"
)

// envComponents overrides the components of the shared stack.
const envComponents = "CATALOG_E2E_COMPONENTS"

// stack is the package's shared stack; nil in -short mode.
var stack *catalogstack.Stack

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips
	}
	os.Exit(runWithStack(m))
}

func runWithStack(m *testing.M) int {
	opts := catalogstack.Options{Logf: log.Printf}
	if env := os.Getenv(envComponents); env != "" {
		for _, c := range strings.Split(env, ",") {
			opts.Components = append(opts.Components, catalogstack.Component(strings.TrimSpace(c)))
		}
	}
	if keep := os.Getenv(kubecluster.EnvKeepDir); keep != "" {
		if err := os.MkdirAll(keep, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		dir, err := os.MkdirTemp(keep, "e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		opts.ClusterOptions.Dir = dir
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	s, err := catalogstack.StartStack(ctx, opts)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: starting the stack: %v\n", err)
		return 1
	}
	stack = s
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "e2e: process logs:\n%s", s.LogTails(60))
	}
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: stopping the stack: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// requireStack returns the shared stack, skipping the test in -short mode.
func requireStack(t *testing.T) *catalogstack.Stack {
	t.Helper()
	if stack == nil {
		t.Skip("e2e: no cluster in -short mode")
	}
	return stack
}
