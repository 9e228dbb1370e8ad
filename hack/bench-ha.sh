#!/usr/bin/env bash
# Runs the high-availability benchmark (what `make bench-ha` calls): the
# catalog of artifacts/deploy/ha on a cluster whose node is this machine, in
# network and mount namespaces of its own (see hack/lib-node.sh), under load
# while its API servers, etcd members and leading controller manager are
# SIGKILLed; see test/benchha. It prints the figures and writes
# _output/bench-ha/<timestamp>.json; it never asserts them. Needs root. Flags
# go to the benchmark (-phase=30s, -writers=4, -readers=2).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"
# shellcheck source=hack/lib-node.sh
. hack/lib-node.sh
catalog_node_prepare
go build -o _output/node/bench-ha ./test/benchha
catalog_node_exec "${root}/_output/node/bench-ha" "$@"
