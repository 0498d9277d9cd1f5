#!/bin/sh
# csv_tabular.sh - a customer table as people have it (text columns, missing values, a string
# label), learned by `relearn eval` with no preprocessing, reaches the accuracy of the same data
# one-hot encoded by hand; and interactions cross its columns.
#
# The table is generated with a known structure: churn depends on the city and the plan (text
# columns), age and tenure (numbers, 10% and 5% missing as NA / empty), not on a free-text note
# (text noise, 200 values); the label is yes/no. The hand-encoded twin is libsvm with one index
# per city, plan and note value, the numbers as they are, and missing values left out: the
# same information, so the two must learn equally well (the only difference is which slots the
# hashing picks). --missing mean and indicator must learn as well too, and the reader must have
# refused nothing.
set -eu
RELEARN=${RELEARN:-$RL_BUILD/cli/relearn}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
N=${N:-30000}

awk -v n="$N" -v raw="$W/customers.csv" -v hand="$W/customers.libsvm" 'BEGIN {
    srand(7)
    split("paris lyon nice lille brest metz", city, " ")
    split("1.2 -0.4 0.3 -1.0 0.8 -0.6", wc, " ")
    split("basic plus pro", plan, " ")
    split("-0.8 0.1 1.1", wp, " ")
    print "city,plan,age,tenure,note,churned" > raw
    for (i = 0; i < n; i++) {
        c = int(rand() * 6) + 1; p = int(rand() * 3) + 1
        age = 18 + int(rand() * 60); ten = int(rand() * 11); note = int(rand() * 200)
        z = wc[c] + wp[p] + 0.05 * (age - 48) - 0.35 * (ten - 5)
        y = rand() < 1 / (1 + exp(-z)) ? 1 : 0
        a_miss = rand() < 0.10; t_miss = rand() < 0.05
        printf "%s,%s,%s,%s,%s,%s\n", city[c], plan[p], a_miss ? "NA" : age, t_miss ? "" : ten,
            "n" note, y ? "yes" : "no" > raw
        line = y " " c ":1 " (6 + p) ":1"
        if (!a_miss) line = line " 10:" age
        if (!t_miss) line = line " 11:" ten
        print line " " (12 + note) ":1" > hand
    }
}'

acc() {
    out=$("$RELEARN" eval --progress 0 "$@")
    bad=$(echo "$out" | awk '$1 == "bad" { print $3 }')
    [ "$bad" = 0 ] || { echo "FAIL: relearn eval $*: $bad bad lines"; echo "$out"; exit 1; }
    echo "$out" | awk '$1 == "accuracy" { print $2 }'
}

hand=$(acc "$W/customers.libsvm")
raw=$(acc --label-col churned "$W/customers.csv")
mean=$(acc --label-col churned --missing mean "$W/customers.csv")
ind=$(acc --label-col churned --missing indicator "$W/customers.csv")
ignored=$(acc --label-col churned --ignore note "$W/customers.csv")
echo "accuracy: one-hot by hand $hand; raw CSV $raw (--missing mean $mean, indicator $ind;"
echo "          --ignore note $ignored)"
failed=0
for v in "raw:$raw" "mean:$mean" "indicator:$ind" "ignore:$ignored"; do
    awk -v h="$hand" -v a="${v#*:}" 'BEGIN { exit !(a >= h - 0.005) }' ||
        { echo "FAIL: ${v%%:*}: accuracy ${v#*:} below the hand-encoded $hand by more than 0.005"; failed=1; }
done
# The structure is learnable: well above the majority class.
maj=$(awk -F, 'NR > 1 { n++; y += $6 == "yes" } END { p = y / n; print p > 0.5 ? p : 1 - p }' \
    "$W/customers.csv")
awk -v a="$raw" -v m="$maj" 'BEGIN { exit !(a >= m + 0.05) }' ||
    { echo "FAIL: raw CSV accuracy $raw is not above the majority rate $maj + 0.05"; failed=1; }

# What the old reader did with such a file: refused every line. Forcing a text column numeric
# still does, naming the column; and a label that is neither a number nor yes/no is refused.
if "$RELEARN" eval --progress 0 --label-col churned --numeric city --strict "$W/customers.csv" \
    >"$W/o" 2>"$W/e"; then
    echo "FAIL: --numeric city accepted text"; failed=1
fi
grep -q "customers.csv:2: column 0 (city): bad number '" "$W/e" ||
    { echo "FAIL: --numeric city: $(cat "$W/e")"; failed=1; }
printf 'a,label\nx,maybe\nx,yes\n' >"$W/l.csv"
"$RELEARN" eval --progress 0 "$W/l.csv" >"$W/o" 2>"$W/e" || true
grep -q "l.csv:2: bad label 'maybe'" "$W/e" || { echo "FAIL: label maybe: $(cat "$W/e")"; failed=1; }

# Interactions cross columns by their first letters (-q ab: columns a* x columns b*): a label
# that is the XOR of two text columns is out of reach of a linear model and learned with -q ab.
# The saved model carries the spec in its hyperparameters (snapshots and checkpoints score with
# it; test_predictor checks that bit for bit).
awk 'BEGIN { srand(3); print "a,b,label"
    for (i = 0; i < 20000; i++) { a = int(rand() * 2); b = int(rand() * 2)
        printf "x%d,y%d,%d\n", a, b, a != b } }' >"$W/xor.csv"
lin=$(acc "$W/xor.csv")
q=$("$RELEARN" eval -q ab --save "$W/xor.rlck" --progress 0 "$W/xor.csv" |
    awk '$1 == "accuracy" { print $2 }')
echo "XOR of two text columns: accuracy $lin linear, $q with -q ab"
awk -v l="$lin" -v q="$q" 'BEGIN { exit !(l < 0.6 && q > 0.99) }' ||
    { echo "FAIL: xor: linear $lin (want < 0.6), -q ab $q (want > 0.99)"; failed=1; }
"$RELEARN" inspect "$W/xor.rlck" | grep -q 'interactions=ab' ||
    { echo "FAIL: the saved model does not carry interactions=ab"; failed=1; }
if "$RELEARN" eval --cubic ab --progress 0 "$W/xor.csv" >"$W/o" 2>"$W/e"; then
    echo "FAIL: --cubic ab accepted"; failed=1
fi
exit $failed
