#!/bin/sh
# Convergence: `relearn eval` with SGD logistic (default normalized adaptive steps; several passes
# over the training part, same order each pass) must come within 1.5 points of accuracy of
# liblinear's batch L2-regularized logistic regression (`liblinear-train -s 0 -B 1`, C = 1, with
# a bias like ours) on the same splits.
#
# Splits: 5 interleaved folds (fold k tests the examples whose line number % 5 == k and trains on
# the rest); accuracy is counted over all held-out predictions, so every example is tested once
# (a single 70-example test split could not tell 1.5 points apart: one example is 1.4 points).
#
# Data sets:
#   heart_scale (270 examples, 13 features scaled to [-1, 1]), shipped by Debian's
#     liblinear-tools in /usr/share/doc/liblinear-tools/examples/: default learning rate,
#     10 passes.
#   breast_cancer (569 examples, 30 raw-scale features: areas in the 1000s beside values near
#     0.1), from Debian's python3-sklearn, committed as tests/data/breast_cancer.csv (see its
#     NOTICE); read as CSV by relearn, as libsvm by liblinear. --eta 4, 30 passes: on these
#     unscaled features the default rate 0.5 needs more passes than a test should take (20
#     passes reach 92.8% against liblinear's 94.7%); eta 2..6 at 30 passes all pass.
set -eu
RELEARN=${RELEARN:-$RL_BUILD/cli/relearn}
HEART=/usr/share/doc/liblinear-tools/examples/heart_scale
BC=${RL_TESTS:-$(dirname "$0")}/data/breast_cancer.csv
for t in liblinear-train liblinear-predict; do
    command -v $t >/dev/null || { echo "FAIL: $t missing (Debian liblinear-tools; make deps)"; exit 1; }
done
[ -r "$HEART" ] || { echo "FAIL: $HEART missing (Debian liblinear-tools)"; exit 1; }
[ -r "$BC" ] || { echo "FAIL: $BC missing"; exit 1; }
[ -x "$RELEARN" ] || { echo "FAIL: $RELEARN not built"; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
failed=0

# compare NAME SVM_FILE RELEARN_FILE EXPECTED_TOTAL RELEARN_ARGS...: SVM_FILE (libsvm) feeds
# liblinear, RELEARN_FILE (same examples, same order) feeds relearn eval.
compare() {
    name=$1 svm=$2 rlf=$3 expect_total=$4
    shift 4
    ll_correct=0
    rl_correct=0
    total=0
    for k in 0 1 2 3 4; do
        awk -v k=$k 'NR % 5 != k' "$svm" > "$W/train$k.svm"
        awk -v k=$k 'NR % 5 == k' "$svm" > "$W/test$k.svm"
        awk -v k=$k 'NR % 5 != k' "$rlf" > "$W/train$k.rl"
        awk -v k=$k 'NR % 5 == k' "$rlf" > "$W/test$k.rl"
        n=$(wc -l < "$W/test$k.svm")
        liblinear-train -s 0 -B 1 -q "$W/train$k.svm" "$W/model$k" > /dev/null
        # "Accuracy = 81.4815% (44/54)"
        c=$(liblinear-predict "$W/test$k.svm" "$W/model$k" "$W/pred$k" | sed -n 's/.*(\([0-9]*\)\/[0-9]*).*/\1/p')
        [ -n "$c" ] || { echo "FAIL: $name: could not read liblinear-predict's accuracy"; exit 1; }
        out=$("$RELEARN" eval --learner sgd --loss logistic --bits 18 --progress 0 "$@" \
            --test "$W/test$k.rl" "$W/train$k.rl")
        acc=$(printf '%s\n' "$out" | awk '$1 == "test" && $2 == "accuracy" { print $3 }')
        tn=$(printf '%s\n' "$out" | awk '$1 == "test" && $2 == "events" { print $3 }')
        [ "$tn" = "$n" ] || { echo "FAIL: $name fold $k: relearn scored '$tn' test events, expected $n"; exit 1; }
        rc=$(awk -v a="$acc" -v n="$n" 'BEGIN { printf "%d", a * n + 0.5 }')
        echo "$name fold $k: liblinear $c/$n  relearn $rc/$n"
        ll_correct=$((ll_correct + c))
        rl_correct=$((rl_correct + rc))
        total=$((total + n))
    done
    [ "$total" -eq "$expect_total" ] || { echo "FAIL: $name: $total held-out examples, expected $expect_total"; exit 1; }
    if awk -v name="$name" -v l=$ll_correct -v r=$rl_correct -v t=$total 'BEGIN {
        la = 100 * l / t; ra = 100 * r / t
        printf "%s: liblinear %.2f%%  relearn %.2f%%  (difference %+.2f points)\n", name, la, ra, ra - la
        exit !(ra >= la - 1.5) }'; then
        :
    else
        echo "FAIL: $name: relearn is more than 1.5 points below liblinear"
        failed=1
    fi
}

compare heart_scale "$HEART" "$HEART" 270 --format libsvm --passes 10

# breast_cancer: drop scikit-learn's first line; label in column 30; liblinear gets libsvm.
tail -n +2 "$BC" > "$W/bc.csv"
awk -F, '{ printf "%d", $31; for (i = 1; i <= 30; i++) printf " %d:%s", i, $i; printf "\n" }' \
    "$W/bc.csv" > "$W/bc.svm"
compare breast_cancer "$W/bc.svm" "$W/bc.csv" 569 --format csv --no-header --label-col 30 \
    --eta 4 --passes 30

# High learning rates stay stable: with VW's closed-form logistic step, confident correct
# predictions (margins ~30+) got steps of the wrong sign, and at eta 12-32 the default learner
# flipped to ~95% wrong after six passes over breast_cancer (progressive accuracy 0.22-0.27 over
# 30 passes). The prequential accuracy over all passes must stay that of a working model.
for eta in 12 16 32; do
    acc=$("$RELEARN" eval --learner sgd --loss logistic --eta $eta --passes 30 --progress 0 \
        --format csv --no-header --label-col 30 "$W/bc.csv" | awk '$1 == "accuracy" { print $2 }')
    echo "breast_cancer, eta $eta, 30 passes: prequential accuracy $acc"
    awk -v a="$acc" 'BEGIN { exit !(a >= 0.94) }' ||
        { echo "FAIL: breast_cancer at eta $eta: accuracy '$acc' (a stable learner gets 0.96)"; failed=1; }
done

# OGD at its defaults converges on raw-scale features (the earlier, unprojected ogd ran to inf on
# this file): 10 passes, every loss it takes. Measured: logistic 0.876, hinge 0.875, squared
# RMSE 14.0 falling as 1/sqrt(t) (4.5 after 100 passes; BENCHMARKS.md).
for loss in logistic hinge squared; do
    out=$("$RELEARN" eval --learner ogd --loss $loss --passes 10 --progress 0 \
        --format csv --no-header --label-col 30 "$W/bc.csv")
    acc=$(echo "$out" | awk '$1 == "accuracy" { print $2 }')
    rmse=$(echo "$out" | awk '$1 == "RMSE" { print $2 }')
    echo "breast_cancer, ogd $loss, 10 passes: accuracy ${acc:--} RMSE ${rmse:--}"
    if [ $loss = squared ]; then
        awk -v r="$rmse" 'BEGIN { exit !(r != "" && r + 0 < 20) }' ||
            { echo "FAIL: ogd squared on breast_cancer: RMSE '$rmse'"; failed=1; }
    else
        awk -v a="$acc" 'BEGIN { exit !(a >= 0.85) }' ||
            { echo "FAIL: ogd $loss on breast_cancer: accuracy '$acc'"; failed=1; }
    fi
done

exit $failed
