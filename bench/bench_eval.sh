#!/bin/sh
# bench_eval.sh - `relearn eval` on a generated libsvm file against the parse-only pass over the
# same file, in the same run, and peak memory against stream length.
#
#   sh bench/bench_eval.sh [BUILD_DIR]        (default: build)
# Environment: LINES (default 1000000), FEATS per line (40), DIM index space (1000000),
# REPS timing repetitions (5), BITS (20), WORK scratch directory (a fresh mktemp -d).
#
# Timings are CPU seconds (user + sys) of the relearn process, the minimum over REPS runs with
# parse-only and eval interleaved, so a machine shared with other work disturbs both alike; the
# file is read once before timing so both read it from the page cache. Peak memory is
# /usr/bin/time's maximum resident set size with the stream piped through stdin, so the stream
# never needs to fit on disk or in the page cache.
set -eu
export OPENBLAS_NUM_THREADS=1 # as in the tests: no BLAS worker threads competing for the 2 cores
B=${1:-build}
R=$B/cli/relearn
G=$B/bench/gen_eval_libsvm
LINES=${LINES:-1000000}
FEATS=${FEATS:-40}
DIM=${DIM:-1000000}
REPS=${REPS:-5}
BITS=${BITS:-20}
for x in "$R" "$G" /usr/bin/time; do
    [ -x "$x" ] || { echo "bench_eval: $x missing (build with: cmake --build $B --target relearn gen_eval_libsvm)" >&2; exit 1; }
done
OWN_WORK=0
if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d)
    OWN_WORK=1
fi
cleanup() { [ "$OWN_WORK" -eq 1 ] && rm -rf "$WORK"; }
trap cleanup EXIT
F=$WORK/eval_${LINES}x${FEATS}_d${DIM}.svm

echo "## generating $LINES lines, $FEATS features/line, indices 1..$DIM"
"$G" "$LINES" "$FEATS" "$DIM" 1 > "$F"
cat "$F" > /dev/null
size=$(wc -c < "$F")

# cpu SECONDS-FILE ARGS...: runs relearn eval ARGS, appends "user+sys maxrss_kb" to the file.
cpu() {
    out=$1
    shift
    /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$R" eval "$@" > "$WORK/last.out" 2> "$WORK/last.err" ||
        { echo "bench_eval: relearn eval $* failed:" >&2; cat "$WORK/last.err" >&2; exit 1; }
    awk '{ printf "%.3f %d\n", $1 + $2, $3 }' "$WORK/time" >> "$out"
}
: > "$WORK/parse"
: > "$WORK/norm"
: > "$WORK/const"
i=0
while [ $i -lt "$REPS" ]; do
    cpu "$WORK/parse" --parse-only "$F"
    cpu "$WORK/norm" --bits "$BITS" --progress 0 "$F"
    cp "$WORK/last.out" "$WORK/norm.table"
    cpu "$WORK/const" --bits "$BITS" --progress 0 --schedule constant "$F"
    i=$((i + 1))
done
min() { sort -n "$1" | head -1 | cut -d' ' -f1; }
tp=$(min "$WORK/parse")
tn=$(min "$WORK/norm")
tc=$(min "$WORK/const")
acc=$(awk '$1 == "accuracy" { print $2 }' "$WORK/norm.table")
echo
echo "file: $F ($size bytes), $LINES lines; min CPU seconds of $REPS runs"
awk -v tp="$tp" -v tn="$tn" -v tc="$tc" -v n="$LINES" -v bits="$BITS" 'BEGIN {
    printf "| pass | CPU s | events/s | / parse-only |\n|---|---|---|---|\n"
    printf "| parse-only (`--parse-only`) | %.2f | %.0f | 1.00 |\n", tp, n / tp
    printf "| eval sgd logistic, normalized (default), bits %d | %.2f | %.0f | %.2f |\n", bits, tn, n / tn, tn / tp
    printf "| eval sgd logistic, constant rate, bits %d | %.2f | %.0f | %.2f |\n", bits, tc, n / tc, tc / tp
}'
echo "prequential accuracy (default sgd): $acc"

echo
echo "## peak memory, stream piped through stdin"
for n in "$LINES" $((LINES * 4)); do
    "$G" "$n" "$FEATS" "$DIM" 2 | /usr/bin/time -f "%M" -o "$WORK/mem" "$R" eval --format libsvm --bits "$BITS" --progress 0 - > /dev/null
    echo "| eval, $n lines | max RSS $(cat "$WORK/mem") KiB |"
done
