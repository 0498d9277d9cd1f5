#!/bin/sh
# bench_grid.sh - what `relearn eval --grid` saves: K configurations in one pass (parse and hash
# once, step K models) against K single runs over the same file, and one single run, in the same
# run. CPU seconds (user + sys) of the relearn processes; REPS rounds, minima reported.
#
#   sh bench/bench_grid.sh [BUILD_DIR]    (default build)
# Environment: LINES (300000), FEATS per line (40), DIM index space (1000000), BITS (20),
# REPS (3), WORK scratch directory (a fresh mktemp -d).
set -eu
export OPENBLAS_NUM_THREADS=1
B=${1:-build}
R=$B/cli/relearn
G=$B/bench/gen_eval_libsvm
LINES=${LINES:-300000}
FEATS=${FEATS:-40}
DIM=${DIM:-1000000}
BITS=${BITS:-20}
REPS=${REPS:-3}
for x in "$R" "$G" /usr/bin/time; do
    [ -x "$x" ] || { echo "bench_grid: $x missing (cmake --build $B --target relearn gen_eval_libsvm)" >&2; exit 1; }
done
W=${WORK:-$(mktemp -d)}
F=$W/grid_${LINES}x${FEATS}.svm
[ -s "$F" ] || "$G" "$LINES" "$FEATS" "$DIM" 1 >"$F"
cat "$F" >/dev/null
RATES="0.1 0.25 0.5 1 2 4 8"
K=$(echo $RATES | wc -w)
cpu() {
    /usr/bin/time -f "%U %S" -o "$W/time" "$R" eval --bits "$BITS" --progress 0 "$@" "$F" >/dev/null
    awk '{ print $1 + $2 }' "$W/time"
}
best_grid=1e9 best_k=1e9 best_one=1e9 best_parse=1e9
r=0
while [ $r -lt "$REPS" ]; do
    p=$(cpu --parse-only)
    one=$(cpu --eta 0.5)
    grid=$(cpu --grid auto)
    k=0
    for e in $RATES; do
        k=$(echo "$k $(cpu --eta "$e")" | awk '{ print $1 + $2 }')
    done
    echo "round $r: parse-only $p s, one run $one s, grid of $K $grid s, $K single runs $k s"
    best_parse=$(echo "$best_parse $p" | awk '{ print ($2 < $1) ? $2 : $1 }')
    best_one=$(echo "$best_one $one" | awk '{ print ($2 < $1) ? $2 : $1 }')
    best_grid=$(echo "$best_grid $grid" | awk '{ print ($2 < $1) ? $2 : $1 }')
    best_k=$(echo "$best_k $k" | awk '{ print ($2 < $1) ? $2 : $1 }')
    r=$((r + 1))
done
echo "minima: parse-only $best_parse s, one run $best_one s, grid of $K $best_grid s, $K single runs $best_k s"
echo "$best_grid $best_k $best_one" | awk -v k="$K" '{ printf "grid / %d single runs: %.2f; grid / one run: %.2f (K = %d)\n", k, $1 / $2, $1 / $3, k }'
[ -n "${WORK:-}" ] || rm -rf "$W"
