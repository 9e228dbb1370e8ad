#!/usr/bin/env bash
# Installs protoc, the Protocol Buffers compiler go-to-protobuf drives
# (hack/update-codegen.sh), from Debian's protobuf-compiler, with the
# well-known .proto files of libprotobuf-dev. Nothing is done when protoc and
# those files are present. Needs root, or sudo.
set -euo pipefail

# shellcheck source=hack/lib-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-apt.sh"

if command -v protoc >/dev/null && [[ -f /usr/include/google/protobuf/descriptor.proto ]]; then
  exit 0
fi
catalog_apt_install protobuf-compiler libprotobuf-dev
echo "installed $(protoc --version)"
