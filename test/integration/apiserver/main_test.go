// Package apiserver tests the catalog API server in-process on real etcd, through the
// generated clientset and plain HTTP, as clients see it.
package apiserver

import (
	"testing"

	"github.com/kube-service-catalog/catalog/test/integration/framework"
)

func TestMain(m *testing.M) {
	framework.RunMain(m)
}
