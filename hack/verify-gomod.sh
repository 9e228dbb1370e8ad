#!/usr/bin/env bash
# Fails when go.mod or go.sum is not what `go mod tidy` makes of them. The files are
# restored afterwards, whatever tidy did.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
TMP=$(mktemp -d)
cp "${ROOT}/go.mod" "${ROOT}/go.sum" "${TMP}/"
trap 'cp "${TMP}/go.mod" "${TMP}/go.sum" "${ROOT}/"; rm -rf "${TMP}"' EXIT

cd "${ROOT}"
go mod tidy
status=0
for f in go.mod go.sum; do
  if ! diff -u "${TMP}/${f}" "${ROOT}/${f}"; then
    echo "${f} is not tidy; run go mod tidy" >&2
    status=1
  fi
done
exit ${status}
