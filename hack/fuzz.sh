#!/usr/bin/env bash
# Runs every native Go fuzz target of the repository (what `make fuzz` calls), one
# after another, each for FUZZTIME, and prints per target how many inputs it tried and
# whether it found a crash. The targets are the `func FuzzXxx(f *testing.F)` of the
# *_test.go files under pkg/ and cmd/; their seed corpora (f.Add, and
# testdata/fuzz/<FuzzXxx>/ in the package) run with plain `go test` as well.
#
# A crash is written by `go test` to <package>/testdata/fuzz/<FuzzXxx>/<hash>: keep that
# file (commit it) and `go test` runs it from then on as a regression test. The exit
# status is non-zero when a target crashed or did not run.
#
# Environment:
#   FUZZTIME          time per target, as for go test -fuzztime (default 10m)
#   FUZZ              a regular expression: only targets whose name, or
#                     <package dir>.<name>, it matches (default: all)
#   FUZZPARALLEL      fuzzing workers per target (default: GOMAXPROCS)
#   FUZZMINIMIZETIME  time spent minimizing each new or crashing input
#                     (default 10s; go test's own default is 60s)
#   FUZZLOGDIR        where each target's log goes (default _output/fuzz)
#
#   FUZZTIME=30s make fuzz                  a quick pass over every target
#   FUZZ=FuzzBuildSecret hack/fuzz.sh       one target for 10 minutes
set -o errexit -o nounset -o pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "${root}"

fuzztime=${FUZZTIME:-10m}
filter=${FUZZ:-}
minimize=${FUZZMINIMIZETIME:-10s}
logdir=${FUZZLOGDIR:-_output/fuzz}
parallel=()
if [[ -n "${FUZZPARALLEL:-}" ]]; then
  parallel=(-parallel "${FUZZPARALLEL}")
fi
mkdir -p "${logdir}"

# Every fuzz target as "<package dir> <name>", in a stable order.
targets=$(git ls-files --cached --others --exclude-standard 'pkg/*_test.go' 'cmd/*_test.go' |
  xargs -r grep -H -o -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' |
  sed -E 's#^(.*)/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\(.*#\1 \2#' | sort -u)

selected=()
while read -r dir name; do
  [[ -z "${dir}" ]] && continue
  if [[ -z "${filter}" ]] || [[ "${name}" =~ ${filter} ]] || [[ "${dir}.${name}" =~ ${filter} ]]; then
    selected+=("${dir} ${name}")
  fi
done <<<"${targets}"
if [[ ${#selected[@]} -eq 0 ]]; then
  echo "fuzz: no target matches FUZZ=${filter}" >&2
  exit 1
fi
echo "fuzz: ${#selected[@]} targets, ${fuzztime} each; logs in ${logdir}"

summary=()
failed=0
for target in "${selected[@]}"; do
  read -r dir name <<<"${target}"
  log="${logdir}/$(tr / _ <<<"${dir}").${name}.log"
  echo "fuzz: ${dir} ${name}"
  status=0
  go test ./"${dir}" -run '^$' -fuzz "^${name}\$" -fuzztime "${fuzztime}" \
    -fuzzminimizetime "${minimize}" "${parallel[@]}" >"${log}" 2>&1 || status=$?
  # The last progress line counts the inputs tried: "fuzz: elapsed: 1m0s, execs: 12345 (...".
  # A target that fails at once has no progress line.
  execs=$(grep -o 'execs: [0-9]*' "${log}" | tail -n 1 | cut -d' ' -f2 || true)
  interesting=$(grep -o 'new interesting: [0-9]*' "${log}" | tail -n 1 | cut -d' ' -f3 || true)
  crash=$(grep -o 'Failing input written to [^ ]*' "${log}" | tail -n 1 | cut -d' ' -f5 || true)
  crashes=0
  result=ok
  if [[ -n "${crash}" ]]; then
    crashes=1
    result="crash: ${dir}/${crash}"
    failed=1
  elif [[ ${status} -ne 0 ]]; then
    result="failed (exit ${status}), see ${log}"
    failed=1
  fi
  summary+=("$(printf '%-50s %-28s %10s %5s %7s  %s' "${dir}" "${name}" "${execs:-0}" "${interesting:-0}" "${crashes}" "${result}")")
  tail -n 3 "${log}"
done

echo
printf '%-50s %-28s %10s %5s %7s  %s\n' PACKAGE TARGET EXECS NEW CRASHES RESULT
printf '%s\n' "${summary[@]}"
exit "${failed}"
