#!/usr/bin/env bash
# Builds the pinned kube-apiserver, kube-controller-manager and kubectl
# (k8s.io/kubernetes, see hack/tools/kube) and etcd (see hack/tools/etcd) that
# the real-cluster tests in test/framework/kubecluster run. Only Go and the Go
# module proxy are needed. Each binary is built only when it is missing:
#
#   _output/bin/kube-<KUBE_VERSION>/{kube-apiserver,kube-controller-manager,kubectl}
#   _output/bin/etcd-<ETCD_VERSION>/etcd
#
# ($CATALOG_KUBE_BIN_DIR and $ETCD_BIN move them, as they do for the tests.)
# A cold build takes about 7 minutes on 2 cores; a run with everything present
# takes well under a second. Versions are set in hack/lib-kube-binaries.sh.
#
# With --node it also builds what the real-node tests (test/node) run:
# kube-scheduler, kubelet and kube-proxy into the same directory, and containerd, its runc shim and ctr
# (github.com/containerd/containerd/v2, see hack/tools/containerd) into
# _output/bin/containerd-<CONTAINERD_VERSION>.
#
# usage: hack/build-kube-binaries.sh              build what is missing
#        hack/build-kube-binaries.sh --node       the same, and the node's binaries
#        hack/build-kube-binaries.sh --print-dir  print the kube binary directory
#        hack/build-kube-binaries.sh --print-etcd print the etcd binary path
#        hack/build-kube-binaries.sh --print-env  print CATALOG_KUBE_BIN_DIR=... and ETCD_BIN=...
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib-kube-binaries.sh
. "${root}/hack/lib-kube-binaries.sh"

kube_dir=$(catalog_kube_bin_dir)
etcd_bin=$(catalog_etcd_bin)

binaries=("${CATALOG_KUBE_BINARIES[@]}")
node=false
case "${1:-}" in
  "") ;;
  --node) node=true; binaries+=("${CATALOG_NODE_BINARIES[@]}") ;;
  --print-containerd-dir) catalog_containerd_bin_dir; exit 0 ;;
  --print-dir) echo "${kube_dir}"; exit 0 ;;
  --print-etcd) echo "${etcd_bin}"; exit 0 ;;
  --print-env) printf 'CATALOG_KUBE_BIN_DIR=%s\nETCD_BIN=%s\n' "${kube_dir}" "${etcd_bin}"; exit 0 ;;
  -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
  *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
esac

# A reproducible build: the committed go.mod/go.sum only, no workspace, no VCS
# stamp from our own repository, static binaries, paths trimmed.
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

# The committed modules must match the versions in hack/lib-kube-binaries.sh.
check_mod() { # dir module version
  if ! grep -Eq "^require $2 $3\$" "${root}/hack/tools/$1/go.mod"; then
    echo "hack/tools/$1/go.mod does not require $2 $3; run hack/tools/update-go-mods.sh" >&2
    exit 1
  fi
}
check_mod kube k8s.io/kubernetes "${KUBE_VERSION}"
check_mod etcd go.etcd.io/etcd/server/v3 "${ETCD_VERSION}"
check_mod containerd github.com/containerd/containerd/v2 "${CONTAINERD_VERSION}"

# build OUT PKG MODDIR [LDFLAGS...]: go build into a temporary file first, so an
# interrupted build never leaves a binary that a later run would take as cached.
build() {
  local out=$1 pkg=$2 moddir=$3 ldflags=$4 start
  start=$(date +%s)
  mkdir -p "$(dirname "${out}")"
  (cd "${root}/hack/tools/${moddir}" && go build -trimpath -ldflags "${ldflags}" -o "${out}.tmp.$$" "${pkg}")
  mv -f "${out}.tmp.$$" "${out}"
  echo "built  ${out} ($(du -h "${out}" | cut -f1), $(($(date +%s) - start))s)"
}

missing=()
for b in "${binaries[@]}"; do
  if [[ -x ${kube_dir}/${b} ]]; then
    echo "cached ${kube_dir}/${b}"
  else
    missing+=("${b}")
  fi
done

if ((${#missing[@]} > 0)); then
  # Version stamps as kubernetes' hack/lib/version.sh sets them. The build date
  # is the release's commit time as recorded by the module proxy, so rebuilding
  # gives the same bytes.
  build_date=$(cd "${root}/hack/tools/kube" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes)
  ver=${KUBE_VERSION#v}
  major=${ver%%.*}
  minor=${ver#*.}
  minor=${minor%%.*}
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${p}.gitVersion=${KUBE_VERSION} -X ${p}.gitMajor=${major} -X ${p}.gitMinor=${minor}"
    ldflags+=" -X ${p}.gitTreeState=clean -X ${p}.buildDate=${build_date}"
  done
  for b in "${missing[@]}"; do
    build "${kube_dir}/${b}" "k8s.io/kubernetes/cmd/${b}" kube "${ldflags}"
  done
fi

if [[ -x ${etcd_bin} ]]; then
  echo "cached ${etcd_bin}"
else
  build "${etcd_bin}" . etcd "-s -w"
fi

if [[ ${node} == true ]]; then
  containerd_dir=$(catalog_containerd_bin_dir)
  for b in "${CATALOG_CONTAINERD_BINARIES[@]}"; do
    if [[ -x ${containerd_dir}/${b} ]]; then
      echo "cached ${containerd_dir}/${b}"
    else
      # Without the btrfs and devmapper snapshotters, which need cgo; the
      # tests use overlayfs.
      GOFLAGS="${GOFLAGS} -tags=no_btrfs,no_devmapper" \
        build "${containerd_dir}/${b}" "github.com/containerd/containerd/v2/cmd/${b}" containerd "-s -w"
    fi
  done
fi
