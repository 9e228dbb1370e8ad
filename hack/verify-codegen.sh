#!/usr/bin/env bash
# Fails when the generated files differ from what hack/update-codegen.sh produces.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
TMP=$(mktemp -d)
trap 'rm -rf "${TMP}"' EXIT

# Generate into a copy of the tree so the working tree is never touched.
mkdir -p "${TMP}/src"
tar -C "${ROOT}" --exclude=./_output --exclude=./.git -cf - . | tar -C "${TMP}/src" -xf -
# The generators are shared with the working tree's _output/codegen-bin, so a second run
# does not build them again. The folder must exist before it is linked: on a fresh clone
# a dangling link would make update-codegen.sh's mkdir fail.
mkdir -p "${ROOT}/_output/codegen-bin" "${TMP}/src/_output"
ln -s "${ROOT}/_output/codegen-bin" "${TMP}/src/_output/codegen-bin"
"${TMP}/src/hack/update-codegen.sh" >/dev/null

status=0
for path in pkg/generated pkg/apis hack/api-rules-violations.list; do
  if ! diff -Naupr "${ROOT}/${path}" "${TMP}/src/${path}" >"${TMP}/diff" 2>&1; then
    echo "${path} is out of date; run hack/update-codegen.sh" >&2
    head -50 "${TMP}/diff" >&2
    status=1
  fi
done
exit ${status}
