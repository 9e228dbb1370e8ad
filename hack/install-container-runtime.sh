#!/usr/bin/env bash
# Installs what runs the catalog's image in the tests, from Debian: podman and
# runc (test/image), and for the real node (test/node) the CNI plugins,
# iptables (kube-proxy), iproute2, and openssl (the certificates
# docs/operations.md makes). (crun, podman's other runtime, refuses
# hosts that mount cgroups v1 and v2 side by side; runc runs there.) Nothing is
# done when all are present. Needs root, or sudo.
set -euo pipefail

# shellcheck source=hack/lib-apt.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib-apt.sh"

missing=()
for need in podman:podman runc:runc /usr/lib/cni/bridge:containernetworking-plugins \
  iptables:iptables ip:iproute2 unshare:util-linux openssl:openssl; do
  what=${need%%:*} package=${need#*:}
  if [[ ${what} == /* ]]; then
    [[ -x ${what} ]] || missing+=("${package}")
  else
    command -v "${what}" >/dev/null || missing+=("${package}")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
catalog_apt_install "${missing[@]}"
echo "installed ${missing[*]}"
