package framework

import (
	"context"
	"fmt"
	"os"
	"testing"

	"go.uber.org/zap"

	"github.com/kube-service-catalog/catalog/pkg/embeddedetcd"
)

// etcdURLEnv names an etcd to use instead of starting one, e.g. http://127.0.0.1:2379.
const etcdURLEnv = "CATALOG_INTEGRATION_ETCD_URL"

var sharedEtcdURL string

// RunMain runs a package's tests with one etcd shared by all of its test servers, each
// under its own key prefix. Call it from TestMain.
func RunMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if url := os.Getenv(etcdURLEnv); url != "" {
		sharedEtcdURL = url
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "catalog-integration-etcd-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "creating the etcd directory: %v\n", err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }() // a temporary directory; nothing to report to
	etcd, err := embeddedetcd.Start(context.Background(), embeddedetcd.Options{DataDir: dir, UnsafeNoFsync: true, Logger: zap.NewNop()})
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting etcd: %v\n", err)
		return 1
	}
	defer etcd.Stop()
	sharedEtcdURL = etcd.ClientURL
	return m.Run()
}

// SharedEtcd returns the endpoints of the etcd started by RunMain.
func SharedEtcd(t testing.TB) []string {
	if sharedEtcdURL == "" {
		t.Fatal("no shared etcd: call framework.RunMain from TestMain")
	}
	return []string{sharedEtcdURL}
}
