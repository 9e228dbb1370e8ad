#!/usr/bin/env bash
# Regenerates every generated file from the API types: deepcopy, conversion, defaults,
# OpenAPI, and the clientset, listers, informers and apply configurations.
# The generators come from k8s.io/code-generator at the version pinned in go.mod.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "${ROOT}"
MODULE=$(go list -m)
# `go list -m` prints no Dir for a module that is not in the module cache yet (a fresh
# machine: code-generator is only a tool dependency), so download it first.
go mod download k8s.io/code-generator
CODEGEN_PKG=$(go list -m -f '{{.Dir}}' k8s.io/code-generator)
if [[ ! -f "${CODEGEN_PKG}/kube_codegen.sh" ]]; then
  echo "cannot find kube_codegen.sh of k8s.io/code-generator (got '${CODEGEN_PKG}')" >&2
  exit 1
fi
# Generators are installed into a directory of ours, never into the user's GOPATH/bin.
export GOBIN="${ROOT}/_output/codegen-bin"
mkdir -p "${GOBIN}"

# shellcheck source=/dev/null
source "${CODEGEN_PKG}/kube_codegen.sh"
# kube_codegen.sh picks GOBIN up when sourced; keep ours.
GOBIN="${ROOT}/_output/codegen-bin"

BOILERPLATE="${ROOT}/hack/boilerplate.go.txt"
REPORT="${ROOT}/hack/api-rules-violations.list"

kube::codegen::gen_helpers \
    --boilerplate "${BOILERPLATE}" \
    "${ROOT}/pkg/apis"

kube::codegen::gen_openapi \
    --output-dir "${ROOT}/pkg/generated/openapi" \
    --output-pkg "${MODULE}/pkg/generated/openapi" \
    --output-model-name-file zz_generated.model_name.go \
    --report-filename "${REPORT}" \
    --update-report \
    --boilerplate "${BOILERPLATE}" \
    "${ROOT}/pkg/apis"

kube::codegen::gen_client \
    --with-watch \
    --with-applyconfig \
    --applyconfig-openapi-schema <(go run ./hack/models-schema) \
    --output-dir "${ROOT}/pkg/generated" \
    --output-pkg "${MODULE}/pkg/generated" \
    --boilerplate "${BOILERPLATE}" \
    "${ROOT}/pkg/apis"
