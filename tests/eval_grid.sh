#!/bin/sh
# eval_grid.sh - relearn eval --grid learns K configurations in one pass: each one's progressive
# metrics are exactly a single run's with its settings, the table is ranked (log loss), --save
# keeps the best, and what cannot be shared (bits, seed, tasks, a detector) is refused.
set -eu
RELEARN=${RELEARN:-$RL_BUILD/cli/relearn}
GEN=${GEN:-$RL_BUILD/bench/gen_stream}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }
"$GEN" --gen sea --n 20000 --drift-at 10000 --seed 3 -o "$W/s.libsvm"

"$RELEARN" eval --grid "eta=0.1;eta=1;learner=ftrl alpha=0.5;eta=1 interactions=ab" --progress 0 \
    --save "$W/best.rlck" "$W/s.libsvm" >"$W/grid.out" || fail "grid run failed"
cat "$W/grid.out"
for cfg in "--eta 0.1|eta=0.1" "--eta 1|eta=1" "--learner ftrl --alpha 0.5|learner=ftrl alpha=0.5"; do
    flags=${cfg%%|*}
    label=${cfg#*|}
    # shellcheck disable=SC2086
    single=$("$RELEARN" eval $flags --progress 0 "$W/s.libsvm" |
        awk '$1 == "accuracy" { a = $2 } $1 == "log" { l = $3 } END { print a, l }')
    row=$(awk -v c="$label" '$1 ~ /^[0-9]+$/ { l = substr($0, 7, 32); sub(/ +$/, "", l)
        if (l == c) { split(substr($0, 39), a, " "); print a[1], a[2] } }' "$W/grid.out")
    [ "$row" = "$single" ] || fail "grid row '$label' ($row) differs from its single run ($single)"
done
# ranked by log loss, best first; --save kept the best
awk '$1 ~ /^[0-9]+$/ { split(substr($0, 39), a, " ")
    if (prev != "" && a[2] + 0 < prev + 0) bad = 1; prev = a[2] } END { exit bad }' \
    "$W/grid.out" || fail "the table is not ranked by log loss"
best=$(awk '$1 == "best" { $1 = ""; sub(/^ +/, ""); print }' "$W/grid.out")
[ "$best" = "$(awk '$1 == "1" { print substr($0, 7, 32) }' "$W/grid.out" | sed 's/ *$//')" ] ||
    fail "best '$best' is not rank 1"
"$RELEARN" inspect "$W/best.rlck" >"$W/best.txt" || fail "inspect of the saved best failed"
# the saved model is the best configuration's: its hyperparameters say so
case "$best" in
*ftrl*) grep -q 'learner=ftrl' "$W/best.txt" || fail "saved model is not the best (ftrl)" ;;
*interactions*) grep -q 'interactions=ab' "$W/best.txt" || fail "saved model is not the best (interactions ab)" ;;
*) grep -q "eta=${best#eta=}" "$W/best.txt" || fail "saved model is not the best ($best)" ;;
esac
# auto: seven rates
n=$("$RELEARN" eval --grid auto --progress 0 "$W/s.libsvm" | awk '$1 ~ /^[0-9]+$/' | wc -l)
[ "$n" = 7 ] || fail "--grid auto ran $n configurations, expected 7"

# refused, naming why
refuse() {
    want=$1
    shift
    if "$RELEARN" eval --progress 0 "$@" "$W/s.libsvm" >"$W/o" 2>"$W/e"; then
        fail "accepted: $*"
    fi
    grep -q -- "$want" "$W/e" || fail "$*: message '$(cat "$W/e")' lacks '$want'"
}
refuse "shared by every configuration" --grid "eta=1;bits=20"
refuse "a regression task" --grid "eta=1;loss=squared"
refuse "at least two" --grid "eta=1"
refuse "no learning rate" --learner perceptron --grid auto
refuse "not key=value" --grid "eta=1;fast"
refuse "compares learners" --grid auto --drift adwin
exit $failed
