#!/usr/bin/env bash
# Runs the soak (what `make soak` calls): test/soak on a real control plane on
# this machine. 1,000 instances and 1,000 bindings over 20 namespaces are
# created, updated, half deleted, then all deleted, while the test brokers
# misbehave on 20% of their answers, the leading controller manager is
# SIGKILLed every 15 seconds, the catalog API server twice and its etcd once.
# Then the brokers' records are compared with the catalog, and every log,
# event, object and etcd value is searched for the run's credentials. It
# prints the figures, writes them to _output/soak/<timestamp>.json and
# _output/soak/latest.json, and exits non-zero when a target is missed.
#
# Builds what is missing first: the pinned Kubernetes binaries
# (hack/build-kube-binaries.sh; about 7 minutes the first time), the soak,
# and the catalog's binaries (into _output/soak/bin). docs/soak.md explains
# the flags and the figures. Arguments go to the soak, e.g.
#
#   hack/soak.sh -instances 200 -bindings 200 -namespaces 5    a smaller run
#   hack/soak.sh -fault-rate 0.5 -seed 7                       more faults
#   hack/soak.sh -help                                         every flag
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"

hack/build-kube-binaries.sh
mkdir -p _output/soak
go build -o _output/soak/soak ./test/soak
# exec: Ctrl-C and SIGTERM go straight to the soak, which stops what it
# started.
exec _output/soak/soak "$@"
