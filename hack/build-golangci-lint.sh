#!/usr/bin/env bash
# Builds the golangci-lint pinned in hack/tools/golangci-lint/go.mod, once, and
# prints the path of the binary:
#
#   _output/bin/golangci-lint-<version>-<go version>/golangci-lint
#
# The Go version is part of the path because golangci-lint type-checks our code
# with the standard library it was built with: a new toolchain gets a new build.
# A cold build takes about 3 minutes on 2 cores; with the binary present the
# script answers at once. To move to another release:
#
#   cd hack/tools/golangci-lint
#   go get -tool github.com/golangci/golangci-lint/v2/cmd/golangci-lint@vX.Y.Z
#   go mod tidy
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
moddir=${root}/hack/tools/golangci-lint
pkg=github.com/golangci/golangci-lint/v2/cmd/golangci-lint

# The version is read from go.mod rather than repeated here.
version=$(awk '$1 == "github.com/golangci/golangci-lint/v2" {print $2}' "${moddir}/go.mod")
[[ -n ${version} ]] || { echo "no github.com/golangci/golangci-lint/v2 in ${moddir}/go.mod" >&2; exit 1; }
out=${root}/_output/bin/golangci-lint-${version}-$(go env GOVERSION)/golangci-lint

if [[ ! -x ${out} ]]; then
  # The committed go.mod/go.sum only, no workspace; build into a temporary file
  # so an interrupted build never leaves a binary a later run takes as cached.
  export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false"
  start=$(date +%s)
  mkdir -p "$(dirname "${out}")"
  # `golangci-lint --version` reports main.version only when main.date is set
  # (otherwise it reads the main module's, ours); the date is the release's.
  date=$(cd "${moddir}" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' github.com/golangci/golangci-lint/v2)
  (cd "${moddir}" && go build -trimpath -o "${out}.tmp.$$" \
    -ldflags "-s -w -X main.version=${version#v} -X main.date=${date}" "${pkg}")
  mv -f "${out}.tmp.$$" "${out}"
  echo "built  ${out} ($(($(date +%s) - start))s)" >&2
fi
echo "${out}"
