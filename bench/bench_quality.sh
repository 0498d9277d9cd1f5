#!/bin/sh
# bench_quality.sh - learning quality of one or more `relearn eval` configurations on the suite
# of streams defaults are chosen on: the generated streams of bench/gen_stream (sea, stagger,
# hyperplane, agrawal raw and one-hot, bernoulli; 100,000 events, seed 1, one abrupt change at
# 50,000) and tests/data/breast_cancer.csv (569 rows of raw-scale features, 10 passes).
#
#   sh bench/bench_quality.sh BUILD_DIR "EVAL ARGS" ["EVAL ARGS" ...]
#   e.g. sh bench/bench_quality.sh build "--learner ftrl --alpha 0.1" "--learner ftrl --alpha 0.5"
#
# Prints one line per configuration: progressive (test-then-train) accuracy / log loss per
# stream (RMSE for a regression learner), and their means. Environment: WORK scratch directory
# (a fresh mktemp -d), N events per generated stream (100000), BC_PASSES (10).
set -eu
export OPENBLAS_NUM_THREADS=1
B=${1:?usage: bench_quality.sh BUILD_DIR "EVAL ARGS" ...}
shift
R=$B/cli/relearn
G=$B/bench/gen_stream
HERE=$(cd "$(dirname "$0")" && pwd)
N=${N:-100000}
BC_PASSES=${BC_PASSES:-10}
for x in "$R" "$G"; do
    [ -x "$x" ] || { echo "bench_quality: $x missing (cmake --build $B --target relearn gen_stream)" >&2; exit 1; }
done
W=${WORK:-$(mktemp -d)}
for g in sea stagger hyperplane agrawal bernoulli; do
    [ -s "$W/$g.libsvm" ] || "$G" --gen $g --n "$N" --drift-at $((N / 2)) --seed 1 -o "$W/$g.libsvm"
done
[ -s "$W/agrawal1h.libsvm" ] ||
    "$G" --gen agrawal --onehot 1 --n "$N" --drift-at $((N / 2)) --seed 1 -o "$W/agrawal1h.libsvm"
# scikit-learn's first line is a count line, not a header
[ -s "$W/bc.csv" ] || tail -n +2 "$HERE/../tests/data/breast_cancer.csv" >"$W/bc.csv"

for cfg in "$@"; do
    line=""
    for s in sea stagger hyperplane agrawal agrawal1h bernoulli bc; do
        if [ $s = bc ]; then
            # shellcheck disable=SC2086
            out=$("$R" eval $cfg --progress 0 --format csv --no-header --label-col 30 \
                --passes "$BC_PASSES" "$W/bc.csv" 2>&1) || { echo "$cfg on $s: $out" >&2; exit 1; }
        else
            # shellcheck disable=SC2086
            out=$("$R" eval $cfg --progress 0 "$W/$s.libsvm" 2>&1) ||
                { echo "$cfg on $s: $out" >&2; exit 1; }
        fi
        line="$line $s $(echo "$out" | awk '$1 == "accuracy" { a = $2 } $1 == "log" { l = $3 }
            $1 == "RMSE" { r = $2 } END { if (r != "") print "rmse", r; else print a, (l == "" ? "-" : l) }')"
    done
    echo "$line" | awk -v cfg="$cfg" '{
        out = ""; n = 0; sa = 0; sb = 0; na = 0; nb = 0
        for (i = 1; i <= NF; i += 3) {
            if ($(i+1) == "rmse") { out = out sprintf(" %s rmse %s", $i, $(i+2)) }
            else { out = out sprintf(" %s %s/%s", $i, $(i+1), $(i+2)); sa += $(i+1); na++ }
            if ($(i+2) != "-") { sb += $(i+2); nb++ } }
        printf "%s | mean %s/%s |%s\n", cfg, na ? sprintf("%.4f", sa / na) : "-",
            nb ? sprintf("%.4f", sb / nb) : "-", out }'
done
[ -n "${WORK:-}" ] || rm -rf "$W"
