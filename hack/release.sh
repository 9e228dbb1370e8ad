#!/usr/bin/env bash
# Writes _output/release/catalog.yaml: the manifests of artifacts/deploy (the
# bundled etcd included) as kustomize renders them, with the catalog's image
# pinned by the digest hack/build-image.sh just built. Push that image to its
# repository before applying the file (see docs/operations.md).
#
# usage: hack/release.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"
hack/build-image.sh
hack/build-kube-binaries.sh >/dev/null
kubectl="$(hack/build-kube-binaries.sh --print-dir)/kubectl"

reference=$(cat _output/image/reference)
repository=${reference%@*}
digest=${reference#*@}
overlay=_output/release/overlay
mkdir -p "${overlay}"
cat >"${overlay}/kustomization.yaml" <<KUSTOMIZATION
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../../artifacts/deploy
images:
- name: ${repository}
  digest: ${digest}
KUSTOMIZATION
"${kubectl}" kustomize "${overlay}" >_output/release/catalog.yaml.tmp
pinned=$(grep -c "image: ${reference}\$" _output/release/catalog.yaml.tmp || true)
if [[ ${pinned} -lt 2 ]]; then
  echo "release: the rendered manifests name ${reference} ${pinned} times, want the API server and the controller manager" >&2
  exit 1
fi
mv _output/release/catalog.yaml.tmp _output/release/catalog.yaml
echo "wrote _output/release/catalog.yaml (${reference})"
