#!/usr/bin/env bash
# Runs the whole service catalog on this machine (what `make run` calls):
# etcd, kube-apiserver and kube-controller-manager, the catalog's API server
# behind an APIService, the test broker with its demo catalog on
# 127.0.0.1:18090, and the controller manager once cmd/controller-manager
# exists. It writes _output/local/kubeconfig (contexts admin and alice),
# applies artifacts/examples, prints commands to try, and stops everything it
# started on Ctrl-C.
#
# Builds what is missing first: the pinned Kubernetes binaries
# (hack/build-kube-binaries.sh, about 7 minutes the first time) and the
# catalog's own binaries (go build into _output/bin, seconds when up to date).
#
# usage: hack/local-up.sh [--broker-port=18090] [--examples=false] [--dir=_output/local]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"

hack/build-kube-binaries.sh
go build -o _output/bin/local-up ./hack/local-up
# exec: Ctrl-C and SIGTERM go straight to local-up, which stops what it started.
exec _output/bin/local-up "$@"
