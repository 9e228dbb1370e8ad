#!/usr/bin/env bash
# Runs the real-node tests (test/node): this machine joins a cluster as a node
# (kubelet, kube-proxy, containerd with runc, the CNI bridge) and runs the
# shipped manifests. The test binary runs in network and mount namespaces of
# its own: the cluster listens inside them only, the pods' network lives
# there, and the mounts and CNI state the node makes vanish with them. Needs
# root. Extra arguments go to the test binary (-test.run=..., -test.v).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"
if [[ $(id -u) -ne 0 ]]; then
  echo "test/node runs a kubelet and containerd: it needs root" >&2
  exit 1
fi
hack/install-container-runtime.sh
hack/build-kube-binaries.sh --node >/dev/null
[[ -f _output/image/catalog.tar ]] || hack/build-image.sh

while IFS= read -r line; do export "${line?}"; done < <(hack/build-kube-binaries.sh --print-env)
CONTAINERD_BIN_DIR=$(hack/build-kube-binaries.sh --print-containerd-dir)
export CONTAINERD_BIN_DIR
mkdir -p _output/node
CGO_ENABLED=0 go build -o _output/node/pause ./test/node/pause
go test -c -o _output/node/node.test ./test/node
export CATALOG_PAUSE_BIN=${root}/_output/node/pause CATALOG_NODE_NAMESPACES=1

cd test/node
# shellcheck disable=SC2016 # expanded by the inner shell
exec unshare --net --mount --propagation private --fork -- bash -c '
  set -euo pipefail
  mkdir -p /var/lib/cni /run/netns
  mount -t tmpfs tmpfs /var/lib/cni
  mount -t tmpfs tmpfs /run/netns
  exec "$@"' test-node "${root}/_output/node/node.test" -test.timeout=25m -test.v "$@"
