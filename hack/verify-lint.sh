#!/usr/bin/env bash
# Runs golangci-lint with .golangci.yml over the whole module (make lint; part of
# make verify). The linter is built once by hack/build-golangci-lint.sh; its
# analysis cache lives in _output/golangci-lint-cache ($GOLANGCI_LINT_CACHE
# moves it). Arguments replace the default ./..., e.g.
#
#   hack/verify-lint.sh ./pkg/apis/...
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
lint=$("${ROOT}/hack/build-golangci-lint.sh")
cd "${ROOT}"
export GOLANGCI_LINT_CACHE=${GOLANGCI_LINT_CACHE:-${ROOT}/_output/golangci-lint-cache}
"${lint}" run "${@:-./...}"
