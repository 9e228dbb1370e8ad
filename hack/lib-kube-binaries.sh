# shellcheck shell=bash
# Versions and locations of the pinned Kubernetes and etcd binaries that the
# real-cluster tests run (test/framework/kubecluster). Source this file; it
# defines variables and functions only and changes no shell options.
#
#   KUBE_VERSION, ETCD_VERSION   the pinned releases (keep in sync with
#                                hack/tools/*/go.mod and the constants in
#                                test/framework/kubecluster/binaries.go)
#   catalog_kube_bin_dir         directory holding kube-apiserver,
#                                kube-controller-manager and kubectl
#                                ($CATALOG_KUBE_BIN_DIR overrides)
#   catalog_etcd_bin             path of the etcd binary ($ETCD_BIN overrides)

KUBE_VERSION=v1.36.3
ETCD_VERSION=v3.6.16
# The container runtime of the real-node tests (hack/build-kube-binaries.sh --node).
CONTAINERD_VERSION=v2.4.2

CATALOG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CATALOG_BIN_ROOT=${CATALOG_ROOT}/_output/bin

# The binaries built from k8s.io/kubernetes by hack/build-kube-binaries.sh.
# shellcheck disable=SC2034 # used by the scripts that source this file
CATALOG_KUBE_BINARIES=(kube-apiserver kube-controller-manager kubectl)
# What a cluster with a node runs besides, built only for the real-node tests
# (--node).
CATALOG_NODE_BINARIES=(kube-scheduler kubelet kube-proxy)
CATALOG_CONTAINERD_BINARIES=(containerd containerd-shim-runc-v2 ctr)

catalog_kube_bin_dir() {
  echo "${CATALOG_KUBE_BIN_DIR:-${CATALOG_BIN_ROOT}/kube-${KUBE_VERSION}}"
}

catalog_etcd_bin() {
  echo "${ETCD_BIN:-${CATALOG_BIN_ROOT}/etcd-${ETCD_VERSION}/etcd}"
}

# catalog_staging_version v1.36.3 -> v0.36.3: the tag of the k8s.io staging
# modules (k8s.io/api, k8s.io/client-go, ...) published with a Kubernetes release.
catalog_containerd_bin_dir() {
  echo "${CONTAINERD_BIN_DIR:-${CATALOG_BIN_ROOT}/containerd-${CONTAINERD_VERSION}}"
}

catalog_staging_version() {
  local v=${1#v1.}
  echo "v0.${v}"
}
