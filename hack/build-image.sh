#!/usr/bin/env bash
# Builds the catalog's container image without a container engine (see
# hack/image): static, trimmed binaries of apiserver, controller-manager and
# test-broker, stamped with the commit, in one layer dated at the commit's
# time, so that the same commit gives the same digest. Writes
#
#   _output/image/oci/         OCI image layout
#   _output/image/catalog.tar  tarball for `podman load -i` or `ctr images import`
#   _output/image/digest       sha256:...
#   _output/image/reference    <repository>@sha256:...
#
# usage: hack/build-image.sh            (GOARCH picks another architecture)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"
out=_output/image
arch=${GOARCH:-$(go env GOARCH)}
# The commit's time, or 0 outside a git checkout: never the clock.
created=$(git log -1 --format=%ct 2>/dev/null || echo 0)

rm -rf "${out}/bin"
mkdir -p "${out}/bin"
CGO_ENABLED=0 GOOS=linux GOARCH="${arch}" GOFLAGS=-mod=readonly \
  go build -trimpath -ldflags "-s -w -buildid=" -o "${out}/bin/" \
  ./cmd/apiserver ./cmd/controller-manager ./cmd/test-broker
go run ./hack/image --bin-dir="${out}/bin" --out="${out}" --arch="${arch}" --created="${created}"
