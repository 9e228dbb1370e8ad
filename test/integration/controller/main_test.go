// Package controller tests the control loops in-process against a real kube-apiserver,
// the catalog API server behind its APIService, and the test broker over HTTP.
package controller

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kube-service-catalog/catalog/test/framework/catalogstack"
)

// stack is the control plane and catalog API server all tests of the package share.
var stack *catalogstack.Stack

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	s, err := catalogstack.StartStack(ctx, catalogstack.Options{
		Components: []catalogstack.Component{catalogstack.APIServer},
		Logf:       func(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) },
	})
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the stack: %v\n", err)
		os.Exit(1)
	}
	stack = s
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "process logs:\n%s\n", s.LogTails(40))
	}
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stopping the stack: %v\n", err)
	}
	os.Exit(code)
}
