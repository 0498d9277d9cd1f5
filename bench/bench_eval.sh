#!/bin/sh
# bench_eval.sh - `relearn eval` on a generated libsvm file against the parse-only pass over the
# same file, in the same run, and peak memory against stream length.
#
#   sh bench/bench_eval.sh [BUILD_DIR]        (default: build)
# Environment: LINES (default 1000000), FEATS per line (40), DIM index space (1000000),
# REPS timing repetitions (5), BITS (20), WORK scratch directory (a fresh mktemp -d).
#
# Timings are CPU seconds (user + sys) of the relearn process over REPS rounds, each round
# running parse-only, eval (default) and eval (constant rate) back to back; the file is read
# once before timing so every pass reads it from the page cache. Two ratios are reported: of
# the minima over all rounds, and the median over rounds of each round's own ratio. On a
# machine shared with other work the minima of different passes can come from quiet moments
# minutes apart; a round's passes run within seconds of each other, so the median of paired
# ratios moves less. Peak memory is
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

# cpu SECONDS-FILE ARGS...: runs relearn eval ARGS, appends "user+sys maxrss_kb" to the file and
# leaves user+sys in $last.
cpu() {
    out=$1
    shift
    /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$R" eval "$@" > "$WORK/last.out" 2> "$WORK/last.err" ||
        { echo "bench_eval: relearn eval $* failed:" >&2; cat "$WORK/last.err" >&2; exit 1; }
    awk '{ printf "%.3f %d\n", $1 + $2, $3 }' "$WORK/time" >> "$out"
    last=$(tail -1 "$out" | cut -d' ' -f1)
}
: > "$WORK/parse"
: > "$WORK/norm"
: > "$WORK/const"
: > "$WORK/rnorm"
: > "$WORK/rconst"
i=0
while [ $i -lt "$REPS" ]; do
    cpu "$WORK/parse" --parse-only "$F"
    p=$last
    cpu "$WORK/norm" --bits "$BITS" --progress 0 "$F"
    echo "$last $p" | awk '{ printf "%.4f\n", $1 / $2 }' >> "$WORK/rnorm"
    cp "$WORK/last.out" "$WORK/norm.table"
    cpu "$WORK/const" --bits "$BITS" --progress 0 --schedule constant "$F"
    echo "$last $p" | awk '{ printf "%.4f\n", $1 / $2 }' >> "$WORK/rconst"
    i=$((i + 1))
done
min() { sort -n "$1" | head -1 | cut -d' ' -f1; }
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
tp=$(min "$WORK/parse")
tn=$(min "$WORK/norm")
tc=$(min "$WORK/const")
mn=$(median "$WORK/rnorm")
mc=$(median "$WORK/rconst")
acc=$(awk '$1 == "accuracy" { print $2 }' "$WORK/norm.table")
echo
echo "file: $F ($size bytes), $LINES lines; min CPU seconds of $REPS rounds"
awk -v tp="$tp" -v tn="$tn" -v tc="$tc" -v mn="$mn" -v mc="$mc" -v n="$LINES" -v bits="$BITS" 'BEGIN {
    printf "| pass | CPU s (min) | events/s | / parse-only (mins) | / parse-only (median of rounds) |\n"
    printf "|---|---|---|---|---|\n"
    printf "| parse-only (`--parse-only`) | %.2f | %.0f | 1.00 | 1.00 |\n", tp, n / tp
    printf "| eval sgd logistic, normalized (default), bits %d | %.2f | %.0f | %.2f | %.2f |\n", bits, tn, n / tn, tn / tp, mn
    printf "| eval sgd logistic, constant rate, bits %d | %.2f | %.0f | %.2f | %.2f |\n", bits, tc, n / tc, tc / tp, mc
}'
echo "paired ratios, default: $(sort -n "$WORK/rnorm" | tr '\n' ' ')"
echo "paired ratios, constant: $(sort -n "$WORK/rconst" | tr '\n' ' ')"
echo "prequential accuracy (default sgd): $acc"

echo
echo "## peak memory, stream piped through stdin"
for n in "$LINES" $((LINES * 4)); do
    "$G" "$n" "$FEATS" "$DIM" 2 | /usr/bin/time -f "%M" -o "$WORK/mem" "$R" eval --format libsvm --bits "$BITS" --progress 0 - > /dev/null
    echo "| eval, $n lines | max RSS $(cat "$WORK/mem") KiB |"
done
