#!/usr/bin/env bash
# Runs the benchmarks (what `make bench` calls): test/bench on a real control
# plane on this machine. They print a table per section and write the figures
# to _output/bench/<timestamp>.json and _output/bench/latest.json; they never
# assert times. The exit status is non-zero when a measurement returned errors
# (a performance target that is not met is reported, not an error).
#
#   section 1  our API server (direct and through the aggregator) vs a CRD vs
#              raw etcd: creates, LISTs, watches, memory per 10,000 instances
#   section 2  1,000 instances created at once until Ready (test broker, sync plan)
#   section 3  1,000 bindings created at once until their Secrets exist
#
# Builds what is missing first: the pinned Kubernetes binaries
# (hack/build-kube-binaries.sh; about 7 minutes the first time), the
# benchmark, and the catalog's binaries (into _output/bench/bin). A full run
# takes several minutes on 2 cores. Arguments go to the benchmark, e.g.
#
#   hack/bench.sh -n 2000 -instances 200       a quick run
#   hack/bench.sh -sections 1 -profile         section 1 with CPU profiles
#   hack/bench.sh -help                        every flag
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"

hack/build-kube-binaries.sh
mkdir -p _output/bench
go build -o _output/bench/bench ./test/bench
# exec: Ctrl-C and SIGTERM go straight to the benchmark, which stops what it
# started.
exec _output/bench/bench "$@"
