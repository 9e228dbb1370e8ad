#!/usr/bin/env bash
# Regenerates every generated file from the API types: protobuf (generated.proto,
# generated.pb.go and the protobuf tags of the versioned types), deepcopy, conversion,
# defaults, OpenAPI, and the clientset, listers, informers and apply configurations.
# The generators come from k8s.io/code-generator at the version pinned in go.mod;
# protoc comes from Debian (hack/install-protoc.sh).
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

# gen_protobuf runs go-to-protobuf over the versioned API. It reads and writes
# packages by import path under one source tree, so it gets a tree of links: this
# module, and the modules whose .proto files ours import (apimachinery's types,
# gogoproto's options). protoc, protoc-gen-gogo and goimports must be on PATH.
gen_protobuf() {
  "${ROOT}/hack/install-protoc.sh"
  go install k8s.io/code-generator/cmd/go-to-protobuf \
      k8s.io/code-generator/cmd/go-to-protobuf/protoc-gen-gogo \
      golang.org/x/tools/cmd/goimports
  local tree
  tree=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '${tree}'" RETURN
  local module
  go mod download k8s.io/apimachinery github.com/gogo/protobuf
  for module in "${MODULE}" k8s.io/apimachinery github.com/gogo/protobuf; do
    mkdir -p "${tree}/$(dirname "${module}")"
    ln -s "$(go list -m -f '{{.Dir}}' "${module}")" "${tree}/${module}"
  done
  local apimachinery=(
    k8s.io/apimachinery/pkg/util/intstr
    k8s.io/apimachinery/pkg/api/resource
    k8s.io/apimachinery/pkg/runtime/schema
    k8s.io/apimachinery/pkg/runtime
    k8s.io/apimachinery/pkg/apis/meta/v1
  )
  PATH="${GOBIN}:${PATH}" "${GOBIN}/go-to-protobuf" \
      --go-header-file "${BOILERPLATE}" \
      --apimachinery-packages "$(IFS=,; echo "${apimachinery[*]/#/-}")" \
      --packages "${MODULE}/pkg/apis/servicecatalog/v1beta1" \
      --output-dir "${tree}" \
      --proto-import /usr/include
}

gen_protobuf

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
    --prefers-protobuf \
    --with-applyconfig \
    --applyconfig-openapi-schema <(go run ./hack/models-schema) \
    --output-dir "${ROOT}/pkg/generated" \
    --output-pkg "${MODULE}/pkg/generated" \
    --boilerplate "${BOILERPLATE}" \
    "${ROOT}/pkg/apis"
