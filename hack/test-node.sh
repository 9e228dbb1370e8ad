#!/usr/bin/env bash
# Runs the real-node tests (test/node): this machine joins a cluster as a node
# (kubelet, kube-proxy, containerd with runc, the CNI bridge) and runs the
# shipped manifests, in network and mount namespaces of the test's own (see
# hack/lib-node.sh). Needs root. Extra arguments go to the test binary
# (-test.run=..., -test.v).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"
# shellcheck source=hack/lib-node.sh
. hack/lib-node.sh
catalog_node_prepare
go test -c -o _output/node/node.test ./test/node
cd test/node
catalog_node_exec "${root}/_output/node/node.test" -test.timeout=25m -test.v "$@"
