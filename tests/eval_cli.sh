#!/bin/sh
# `relearn eval` end to end: the final table, bad lines (file:line on stderr, counted, skipped),
# --strict (exit 1), usage errors (exit 2 naming the flag), labels -1/+1, stdin, the three
# formats, --passes, --test, --parse-only, --save, and drift alerts (stdout and --alerts-json)
# on a seeded stream whose concept flips at a known event.
set -u
RELEARN=${RELEARN:-$RL_BUILD/cli/relearn}
[ -x "$RELEARN" ] || { echo "FAIL: $RELEARN not built"; exit 1; }
# shellcheck source=tests/eval_check_lib.sh
. "${RL_TESTS:-$(dirname "$0")}/eval_check_lib.sh"
expect() { # expect WHAT GOT WANT
    if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi
}
contains() { # contains WHAT FILE TEXT
    if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not in $2:"; sed 's/^/    /' "$2"; fi
}
run() { # run NAME ARGS...: stdout to $W/NAME.out, stderr to $W/NAME.err, status in $rc
    n=$1
    shift
    "$RELEARN" eval "$@" > "$W/$n.out" 2> "$W/$n.err"
    rc=$?
}

# ---- a small libsvm file with -1/+1 labels, a blank line, a comment and two bad lines ----
cat > "$W/small.svm" <<'EOF'
+1 1:0.5 2:1
-1 1:-0.5 3:1

# a comment
+1 1:0.7 2:0.9
-1 1:nan
-1 1:-0.2 3:0.8
2 1:1
+1 1:0.1 2:1
EOF
run small --progress 0 "$W/small.svm"
expect "small: exit status" "$rc" 0
expect "small: events" "$(field events "$W/small.out")" 5
expect "small: bad lines" "$(field 'bad lines' "$W/small.out")" 2
expect "small: skipped lines" "$(field 'skipped lines' "$W/small.out")" 2
contains "small: NaN reason" "$W/small.err" "small.svm:6: bad value in '1:nan': NaN is not allowed"
contains "small: label reason" "$W/small.err" "small.svm:8: label 2 is not a binary label"
for k in accuracy 'log loss' AUC 'mean loss' events/s; do
    v=$(field "$k" "$W/small.out")
    [ -n "$v" ] && ok || bad "small: no '$k' row"
done
# Accuracy is a fraction of the 5 events.
a=$(field accuracy "$W/small.out")
awk -v a="$a" 'BEGIN { exit !(a >= 0 && a <= 1 && (a * 5) - int(a * 5 + 0.5) < 1e-6) }' && ok ||
    bad "small: accuracy '$a' is not k/5"

# --strict: stop at the first bad line, exit 1, name it.
run strict --strict --progress 0 "$W/small.svm"
expect "strict: exit status" "$rc" 1
contains "strict: reason" "$W/strict.err" "small.svm:6:"
if grep -q "small.svm:8" "$W/strict.err"; then bad "strict: read past the first bad line"; else ok; fi

# Regression on the same file: labels are numbers, so label 2 is fine.
run reg --loss squared --progress 0 "$W/small.svm"
expect "regression: exit status" "$rc" 0
expect "regression: events" "$(field events "$W/reg.out")" 6
[ -n "$(field RMSE "$W/reg.out")" ] && [ -n "$(field MAE "$W/reg.out")" ] && ok ||
    bad "regression: no RMSE/MAE rows"

# stdin, with an explicit format.
"$RELEARN" eval --format libsvm --progress 0 - < "$W/small.svm" > "$W/stdin.out" 2> /dev/null
expect "stdin: events" "$(field events "$W/stdin.out")" 5

# ---- usage errors: exit 2, message names the flag ----
run u1 --eta abc "$W/small.svm"
expect "usage --eta: exit" "$rc" 2
contains "usage --eta: message" "$W/u1.err" "--eta"
run u2 --bogus 1 "$W/small.svm"
expect "usage unknown: exit" "$rc" 2
contains "usage unknown: message" "$W/u2.err" "unknown option '--bogus'"
run u3 "$W/small.svm" --bits
expect "usage missing value: exit" "$rc" 2
contains "usage missing value: message" "$W/u3.err" "--bits needs a value"
run u4 --progress 0
expect "usage no file: exit" "$rc" 2
contains "usage no file: message" "$W/u4.err" "no input FILE"
run u5 --bits 99 "$W/small.svm"
expect "usage --bits range: exit" "$rc" 2
contains "usage --bits range: message" "$W/u5.err" "--bits"
run u6 --drift nosuchdetector "$W/small.svm"
expect "usage --drift: exit" "$rc" 2
run u6b --drift ddm --drift-param bogus=1 "$W/small.svm"
expect "usage --drift-param: exit" "$rc" 2
contains "usage --drift-param: message" "$W/u6b.err" "bogus"
run u6c --drift-response reset "$W/small.svm"
expect "usage --drift-response without --drift: exit" "$rc" 2
run u7 --passes 2 -
expect "usage --passes with stdin: exit" "$rc" 2
contains "usage --passes with stdin: message" "$W/u7.err" "--passes"
run u8 "$W/missing.svm"
expect "missing input: exit" "$rc" 2
contains "missing input: message" "$W/u8.err" "missing.svm"
run help --help
expect "--help: exit" "$rc" 0
contains "--help: text" "$W/help.out" "usage: relearn eval"

# ---- VW and CSV ----
cat > "$W/s.vw" <<'EOF'
1 |f a b:2 |g c
-1 2 'x |f a:0.5
0 |f b
EOF
run vw --progress 0 "$W/s.vw"
expect "vw: exit" "$rc" 0
expect "vw: events" "$(field events "$W/vw.out")" 3
cat > "$W/s.csv" <<'EOF'
age,income,label
30,100000,1
40,,0
50,abc,1
EOF
# Text in a column is a category (income=abc) unless the column is declared numeric.
run csvcat --progress 0 "$W/s.csv"
expect "csv text as a category: events" "$(field events "$W/csvcat.out")" 3
run csv --progress 0 --numeric income "$W/s.csv"
expect "csv: events" "$(field events "$W/csv.out")" 2
contains "csv: reason" "$W/csv.err" "s.csv:4: column 1 (income): bad number 'abc'"
run csv2 --progress 0 --format csv --no-header --label-col 2 --numeric 1 "$W/s.csv"
expect "csv no header: bad lines (header row is data)" "$(field 'bad lines' "$W/csv2.out")" 2

# ---- passes, hold-out test, parse-only, save ----
run passes --progress 0 --passes 3 --test "$W/small.svm" "$W/small.svm"
expect "passes: events" "$(field events "$W/passes.out")" 15
expect "passes: bad lines counted once" "$(field 'bad lines' "$W/passes.out")" 2
expect "passes: test events" "$(field 'test events' "$W/passes.out")" 5
run parse --parse-only "$W/small.svm"
expect "parse-only: exit" "$rc" 0
expect "parse-only: events" "$(field events "$W/parse.out")" 6
expect "parse-only: features" "$(field features "$W/parse.out")" 11
run save --progress 0 --save "$W/model.rlck" "$W/small.svm"
expect "save: exit" "$rc" 0
expect "save: magic" "$(head -c 4 "$W/model.rlck" 2>/dev/null)" RLCK
"$RELEARN" verify "$W/model.rlck" > "$W/verify.out" 2>&1
expect "save: relearn verify accepts it" "$?" 0
contains "save: 5 events in the checkpoint" "$W/verify.out" "5 events"

# ---- drift: a seeded stream whose concept flips after event 2000 ----
# label = x1 (5% label noise) for events 1..2000, then 1 - x1. Park-Miller LCG in awk, exact in
# doubles, so every awk gives the same stream.
awk 'BEGIN { s = 12345
  for (i = 1; i <= 4000; i++) {
    s = (s * 16807) % 2147483647; x1 = s % 2
    s = (s * 16807) % 2147483647; x2 = s % 2
    s = (s * 16807) % 2147483647; noise = (s % 100) < 5
    y = (i <= 2000) ? x1 : 1 - x1
    if (noise) y = 1 - y
    printf "%d 1:%d 2:%d 3:1\n", y, x1, x2 } }' > "$W/drift.svm"
for det in ddm page_hinkley hddm_a eddm adwin; do
    run "drift_$det" --progress 0 --drift $det --alerts-json "$W/$det.json" "$W/drift.svm"
    expect "drift $det: exit" "$rc" 0
    # First drift alert: after the flip at 2000 and within 300 events of it; none before.
    first=$(grep '"level":"DRIFT"' "$W/$det.json" | head -1 | sed -n 's/.*"position":\([0-9]*\).*/\1/p')
    if [ -n "$first" ] && [ "$first" -gt 2000 ] && [ "$first" -le 2300 ]; then ok; else
        bad "drift $det: first drift at '${first:-none}', want in (2000, 2300]"
    fi
    for k in level detector position response statistic source suppressed; do
        grep -q "\"$k\":" "$W/$det.json" && ok || bad "drift $det: alert JSON lacks '$k'"
    done
    grep -q "\"detector\":\"$det\"" "$W/$det.json" && ok || bad "drift $det: detector name"
    grep -q '"response":"alert"' "$W/$det.json" && ok || bad "drift $det: response"
    # Every JSON line is printed on stdout too, with the same position.
    contains "drift $det: stdout" "$W/drift_$det.out" "drift at event $first "
    n_json=$(wc -l < "$W/$det.json")
    expect "drift $det: alerts row" "$(field alerts "$W/drift_$det.out")" "$n_json"
    # alerts sent + held back by the rate limit = every warning and drift the model counted
    held=$(field "alerts held back" "$W/drift_$det.out" | cut -d' ' -f1)
    sum=$(($(field "drift warnings" "$W/drift_$det.out") + $(field drifts "$W/drift_$det.out")))
    expect "drift $det: sent + held back" "$((n_json + ${held:-0}))" "$sum"
    command -v jq > /dev/null && { jq -e . "$W/$det.json" > /dev/null && ok || bad "drift $det: invalid JSON"; }
done
# A response that acts: reset at drift.
run reset --progress 0 --drift ddm --drift-response reset --alerts-json "$W/reset.json" "$W/drift.svm"
expect "reset: exit" "$rc" 0
grep -q '"level":"DRIFT".*"response":"reset"' "$W/reset.json" && ok || bad "reset: no reset alert"

# ---- --save keeps the names it hashed, so inspect shows names, not slot numbers ----
cat > "$W/names.vw" <<'EOF'
1 |user age:30 income:50000 |ad clicked
0 |user age:60 income:20000 |ad shown
1 |user age:25 income:90000 |ad clicked
EOF
run names_vw --progress 0 --save "$W/names_vw.rlck" "$W/names.vw"
expect "names vw: exit" "$rc" 0
"$RELEARN" inspect --top 10 "$W/names_vw.rlck" > "$W/names_vw.inspect" 2>&1
expect "names vw: inspect exit" "$?" 0
contains "names vw: dictionary size" "$W/names_vw.inspect" "4 feature names known"
for n in 'ad^clicked' 'ad^shown' 'user^age' 'user^income'; do
    contains "names vw: $n in the top weights" "$W/names_vw.inspect" " $n "
done
grep -q '  slot [0-9]' "$W/names_vw.inspect" && bad "names vw: a named slot shown by number" || ok
# CSV columns are named by the header.
printf 'label,age,income\n1,30,50000\n0,60,20000\n1,25,90000\n' > "$W/names.csv"
run names_csv --progress 0 --save "$W/names_csv.rlck" "$W/names.csv"
expect "names csv: exit" "$rc" 0
"$RELEARN" inspect --json "$W/names_csv.rlck" > "$W/names_csv.json" 2>&1
contains "names csv: age" "$W/names_csv.json" '"age"'
contains "names csv: income" "$W/names_csv.json" '"income"'
# libsvm indices have no names: none invented (the slot is the index).
run names_svm --progress 0 --save "$W/names_svm.rlck" "$W/small.svm"
"$RELEARN" inspect "$W/names_svm.rlck" > "$W/names_svm.inspect" 2>&1
contains "names svm: empty dictionary" "$W/names_svm.inspect" "0 feature names known"
contains "names svm: slot shown" "$W/names_svm.inspect" "slot 1 "

echo "eval_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
