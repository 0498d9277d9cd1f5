#!/bin/sh
# run.sh - runs the benchmarks under bench/ against one build, each as BENCHMARKS.md records
# it (same arguments), one after another: `make bench` calls it. Every benchmark measures
# against its own baseline in the same run, so the ratios it prints are what to compare and
# record (BENCHMARKS.md, with the command).
#
#   sh bench/run.sh [BUILD_DIR] [NAME...]       (default: build; all the quick ones)
#
# NAME: codec drift learners ckpt eval produce relearnd serve quality (the default set, in this
# order), or one of the long ones run only when named: flights (fetches the flight-delay stream
# with npm) and soak (50,000,000 events through relearnd).
set -eu
B=${1:-build}
[ $# -gt 0 ] && shift
# the scripts are named from the repository root, the build from where we were called
B=$(cd "$B" 2>/dev/null && pwd) || { echo "run.sh: no build directory ${1:-build}" >&2; exit 1; }
cd "$(dirname "$0")/.."
if [ ! -x "$B/cli/relearn" ]; then
    echo "run.sh: $B/cli/relearn missing: build first (make build)" >&2
    exit 1
fi
[ $# -gt 0 ] || set -- codec drift learners ckpt eval produce relearnd serve quality
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rl_bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
status=0
for name in "$@"; do
    echo "== bench: $name"
    case $name in
    codec) "$B/bench/bench_event_codec" 200000 20 ;;
    drift) "$B/bench/bench_drift" --seeds 30 ;;
    learners) "$B/bench/bench_learners" 500000 ;;
    ckpt) "$B/bench/bench_ckpt" "$tmp/ckpt" 5 ;;
    eval) sh bench/bench_eval.sh "$B" ;;
    produce) sh bench/bench_produce.sh "$B" ;;
    relearnd) sh bench/bench_relearnd.sh "$B" ;;
    serve) sh bench/bench_serve.sh "$B" ;;
    quality) mkdir -p "$tmp/quality" && WORK="$tmp/quality" sh bench/bench_quality.sh "$B" "" ;;
    flights) sh bench/bench_flights.sh "$B" ;;
    soak) sh bench/soak.sh "$B" ;;
    *)
        echo "run.sh: unknown benchmark '$name'" >&2
        exit 2
        ;;
    esac || {
        echo "run.sh: $name FAILED" >&2
        status=1
    }
done
exit $status
