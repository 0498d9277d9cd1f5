#!/bin/sh
# bench_wide.sh - relearn eval's cost per feature on wide events against the physical floor
# (bench_floor: two random touches of the weight table per feature, nothing else), same run.
#
#   sh bench/bench_wide.sh [BUILD_DIR]        (default: build)
# Environment: WIDTHS features per event (default "50 166 1000"), FEATS_TOTAL features per file
# (default 10000000: lines = FEATS_TOTAL / width), BITS (20), REPS rounds (5).
#
# Per width, REPS rounds, each running back to back: bench_floor, `relearn eval --parse-only`
# and `relearn eval` (sgd, normalized - the default) on the same generated libsvm file
# (gen_eval_libsvm, indices 1..1,000,000, so with 2^20 slots every index is its own slot and
# the state is 16 MiB, beyond the caches). CPU time (user + system) per feature:
#   parse = parse-only / features; learn = (eval - parse-only) / features; floor = bench_floor.
# Prints each round and the median over rounds of each figure and of learn / floor.
set -eu
export OPENBLAS_NUM_THREADS=1
B=${1:-build}
R=$B/cli/relearn
G=$B/bench/gen_eval_libsvm
F=$B/bench/bench_floor
WIDTHS=${WIDTHS:-"50 166 1000"}
FEATS_TOTAL=${FEATS_TOTAL:-10000000}
BITS=${BITS:-20}
REPS=${REPS:-5}
for x in "$R" "$G" "$F" /usr/bin/time; do
    [ -x "$x" ] || { echo "bench_wide: $x missing (cmake --build $B --target relearn gen_eval_libsvm bench_floor)" >&2; exit 1; }
done
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cpu() { # CMD... -> user+sys seconds
    /usr/bin/time -f '%U %S' -o "$WORK/t" "$@" >/dev/null 2>&1 || { echo "bench_wide: $* failed" >&2; exit 1; }
    awk '{ printf "%.3f", $1 + $2 }' "$WORK/t"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "| width | round | parse ns/feature | learn ns/feature | floor ns/feature | learn / floor |"
echo "|---|---|---|---|---|---|"
for k in $WIDTHS; do
    lines=$((FEATS_TOTAL / k))
    file=$WORK/w$k.svm
    "$G" "$lines" "$k" 1000000 1 >"$file"
    cat "$file" >/dev/null
    nf=$((lines * k))
    : >"$WORK/rounds"
    r=1
    while [ "$r" -le "$REPS" ]; do
        fl=$("$F" "$k" "$BITS" "$lines" | sed -n 's/.*ns_per_feature=\([0-9.]*\).*/\1/p')
        p=$(cpu "$R" eval --parse-only --progress 0 --bits "$BITS" "$file")
        e=$(cpu "$R" eval --progress 0 --bits "$BITS" "$file")
        echo "$p $e $fl" | awk -v nf="$nf" -v k="$k" -v r="$r" '{
            parse = $1 * 1e9 / nf; learn = ($2 - $1) * 1e9 / nf;
            printf "| %d | %d | %.2f | %.2f | %.2f | %.2f |\n", k, r, parse, learn, $3, learn / $3 }' |
            tee -a "$WORK/rounds"
        r=$((r + 1))
    done
    for col in 4 5 6 7; do
        awk -F'|' -v c="$col" '{ print $c + 0 }' "$WORK/rounds" | median >"$WORK/m$col"
    done
    printf '| %d | median | %s | %s | %s | %s |\n' "$k" "$(cat "$WORK/m4")" "$(cat "$WORK/m5")" \
        "$(cat "$WORK/m6")" "$(cat "$WORK/m7")"
    rm -f "$file"
done
