#!/usr/bin/env bash
# Runs the benchmarks (what `make bench` calls): test/bench on a real control
# plane on this machine. They print a table per section, every performance
# target next to its figure (met or NOT MET), and a closing "Targets:" block,
# and write the figures to _output/bench/<timestamp>.json and
# _output/bench/latest.json; they never assert times. The exit status is
# non-zero when a measurement returned errors (a performance target that is
# not met is reported, not an error).
#
#   section 1  our API server (direct and through the aggregator) vs a CRD vs
#              raw etcd: creates, LISTs, watches, memory per 10,000 instances
#   section 2  100, then 1,000 instances created at once until Ready (test
#              broker, sync plan)
#   section 3  1,000 bindings created at once until their Secrets exist
#   section 4  the scale curve: the store grown to 1k, 10k, 50k and 100k
#              instances with a binding each (and the CRD alike); at each
#              size creates/s, LISTs, watch start, memory, the controller
#              manager's resync, a new instance's time to Ready; then whether
#              each figure grows no faster than linearly
#
# Builds what is missing first: the pinned Kubernetes binaries
# (hack/build-kube-binaries.sh; about 7 minutes the first time), the
# benchmark, and the catalog's binaries (into _output/bench/bin). On 2 cores
# sections 1-3 take about 5 minutes; section 4 to 100,000 objects about 30 to
# 45 minutes (its growth steps log their progress every 15 seconds and an
# estimate of what remains) and, by the 10,000-object figures, some 20 GiB of
# memory at its largest size. Arguments go to the benchmark, e.g.
#
#   hack/bench.sh -n 2000 -instances 300 -scale 1000,2000   a quick run
#   hack/bench.sh -sections 1,2,3                           without the scale curve
#   hack/bench.sh -sections 4 -scale 1000,10000             a short scale curve
#   hack/bench.sh -sections 1 -profile                      section 1 with CPU profiles
#   hack/bench.sh -help                                     every flag
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${root}"

hack/build-kube-binaries.sh
mkdir -p _output/bench
go build -o _output/bench/bench ./test/bench
# exec: Ctrl-C and SIGTERM go straight to the benchmark, which stops what it
# started.
exec _output/bench/bench "$@"
