#!/bin/sh
# Convergence: `relearn eval` with SGD logistic (default normalized adaptive steps, 10 passes
# over the training part, same order each pass) must come within 1.5 points of accuracy of
# liblinear's batch L2-regularized logistic regression (`liblinear-train -s 0 -B 1`, C = 1, with
# a bias like ours) on the same splits.
#
# Data: heart_scale (270 examples, 13 features), shipped by Debian's liblinear-tools in
# /usr/share/doc/liblinear-tools/examples/. 70 test examples are too few to tell 1.5 points
# apart (one example is 1.4 points), so we use 5 interleaved folds (fold k tests lines with
# line_number % 5 == k, trains on the rest) and compare accuracy over all 270 held-out
# predictions.
set -eu
RELEARN=${RELEARN:-$RL_BUILD/cli/relearn}
DATA=/usr/share/doc/liblinear-tools/examples/heart_scale
for t in liblinear-train liblinear-predict; do
    command -v $t >/dev/null || { echo "FAIL: $t missing (Debian liblinear-tools; make deps)"; exit 1; }
done
[ -r "$DATA" ] || { echo "FAIL: $DATA missing (Debian liblinear-tools)"; exit 1; }
[ -x "$RELEARN" ] || { echo "FAIL: $RELEARN not built"; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
PASSES=10
ll_correct=0
rl_correct=0
total=0
for k in 0 1 2 3 4; do
    awk -v k=$k 'NR % 5 != k' "$DATA" > "$W/train$k"
    awk -v k=$k 'NR % 5 == k' "$DATA" > "$W/test$k"
    n=$(wc -l < "$W/test$k")
    liblinear-train -s 0 -B 1 -q "$W/train$k" "$W/model$k" > /dev/null
    # "Accuracy = 81.4815% (44/54)"
    c=$(liblinear-predict "$W/test$k" "$W/model$k" "$W/pred$k" | sed -n 's/.*(\([0-9]*\)\/[0-9]*).*/\1/p')
    [ -n "$c" ] || { echo "FAIL: could not read liblinear-predict's accuracy"; exit 1; }
    out=$("$RELEARN" eval --format libsvm --learner sgd --loss logistic --bits 18 \
        --passes $PASSES --progress 0 --test "$W/test$k" "$W/train$k")
    acc=$(printf '%s\n' "$out" | awk '$1 == "test" && $2 == "accuracy" { print $3 }')
    tn=$(printf '%s\n' "$out" | awk '$1 == "test" && $2 == "events" { print $3 }')
    [ "$tn" = "$n" ] || { echo "FAIL: fold $k: relearn scored $tn test events, expected $n"; exit 1; }
    rc=$(awk -v a="$acc" -v n="$n" 'BEGIN { printf "%d", a * n + 0.5 }')
    echo "fold $k: liblinear $c/$n  relearn $rc/$n"
    ll_correct=$((ll_correct + c))
    rl_correct=$((rl_correct + rc))
    total=$((total + n))
done
[ "$total" -eq 270 ] || { echo "FAIL: $total held-out examples, expected 270"; exit 1; }
verdict=$(awk -v l=$ll_correct -v r=$rl_correct -v t=$total 'BEGIN {
    la = 100 * l / t; ra = 100 * r / t
    printf "liblinear %.2f%%  relearn %.2f%%  (difference %+.2f points)\n", la, ra, ra - la
    exit !(ra >= la - 1.5) }') && ok=1 || ok=0
echo "$verdict"
if [ $ok -ne 1 ]; then
    echo "FAIL: relearn is more than 1.5 points below liblinear"
    exit 1
fi
