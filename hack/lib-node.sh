#!/usr/bin/env bash
# Shared by hack/test-node.sh and hack/bench-ha.sh: what a program needs to make
# this machine a node of a cluster (test/framework/nodecluster), and how it runs.

# catalog_node_prepare installs the container runtime's pieces from Debian,
# builds the node's binaries and the pause program, and exports where they are.
# It runs from the repository root.
catalog_node_prepare() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "a node runs a kubelet and containerd: this needs root" >&2
    return 1
  fi
  hack/install-container-runtime.sh
  hack/build-kube-binaries.sh --node >/dev/null
  [[ -f _output/image/catalog.tar ]] || hack/build-image.sh
  local line
  while IFS= read -r line; do export "${line?}"; done < <(hack/build-kube-binaries.sh --print-env)
  CONTAINERD_BIN_DIR=$(hack/build-kube-binaries.sh --print-containerd-dir)
  export CONTAINERD_BIN_DIR
  mkdir -p _output/node
  CGO_ENABLED=0 go build -o _output/node/pause ./test/node/pause
  export CATALOG_PAUSE_BIN=${PWD}/_output/node/pause CATALOG_NODE_NAMESPACES=1
}

# catalog_node_exec runs a program in network, mount and PID namespaces of its
# own: the cluster listens inside them only, the pods' network lives there, the
# mounts and CNI state the node makes vanish with them, and when the program
# ends, however it ends, every process it left (containerd's shims, the pods)
# is killed with the namespace's first process, the shell below.
catalog_node_exec() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  exec unshare --net --mount --pid --fork --mount-proc --propagation private -- bash -c '
    set -uo pipefail
    mkdir -p /var/lib/cni /run/netns
    mount -t tmpfs tmpfs /var/lib/cni
    mount -t tmpfs tmpfs /run/netns
    "$@"' node "$@"
}
