#!/usr/bin/env bash
# Fails when a Go file is not gofmt-formatted.
set -o errexit -o nounset -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "${ROOT}"
bad=$(git ls-files --cached --others --exclude-standard '*.go' | xargs -r gofmt -l)
if [[ -n "${bad}" ]]; then
  echo "these files need gofmt -w:" >&2
  echo "${bad}" >&2
  exit 1
fi
