// Command etcd is the etcd server, built from the release pinned in go.mod so
// that the real-cluster tests run an etcd that kube-apiserver fully supports.
// hack/build-kube-binaries.sh builds it into _output/bin/etcd-<version>/etcd.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
