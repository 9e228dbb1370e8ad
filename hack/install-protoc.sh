#!/usr/bin/env bash
# Installs protoc, the Protocol Buffers compiler go-to-protobuf drives
# (hack/update-codegen.sh), from Debian's protobuf-compiler, with the
# well-known .proto files of libprotobuf-dev. Nothing is done when protoc and
# those files are present. Needs root, or sudo.
set -euo pipefail

if command -v protoc >/dev/null && [[ -f /usr/include/google/protobuf/descriptor.proto ]]; then
  exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq protobuf-compiler libprotobuf-dev >/dev/null
echo "installed $(protoc --version)"
