#!/usr/bin/env bash
# Shared by the hack/install-*.sh scripts: installing Debian packages, as root
# or through sudo.

# catalog_apt_install installs the named Debian packages quietly.
catalog_apt_install() {
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
