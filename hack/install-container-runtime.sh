#!/usr/bin/env bash
# Installs what the image test runs the catalog's image with: podman and runc
# from Debian. (crun, podman's other runtime, refuses hosts that mount cgroups
# v1 and v2 side by side; runc runs there.) Nothing is done when both are
# present. Needs root, or sudo.
set -euo pipefail

if command -v podman >/dev/null && command -v runc >/dev/null; then
  exit 0
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq podman runc containernetworking-plugins >/dev/null
command -v podman >/dev/null && command -v runc >/dev/null
echo "installed $(podman --version) and $(runc --version | head -1)"
