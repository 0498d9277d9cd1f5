#!/bin/sh
# gen_stream end to end: the same arguments give the same bytes; the three formats it writes are
# read by `relearn eval` without a bad line and give the same accuracy; drifts at known
# positions show up as drift alerts (--alerts-json) right after them; the challenger response
# with ADWIN starts and decides challengers; watch_feature=#N watches a libsvm index; bad
# arguments fail with a message naming them (exit 2).
set -u
GEN=${GEN:-$RL_BUILD/bench/gen_stream}
RELEARN=${RELEARN:-$RL_BUILD/cli/relearn}
[ -x "$GEN" ] || { echo "FAIL: $GEN not built"; exit 1; }
[ -x "$RELEARN" ] || { echo "FAIL: $RELEARN not built"; exit 1; }
# shellcheck source=tests/eval_check_lib.sh
. "${RL_TESTS:-$(dirname "$0")}/eval_check_lib.sh"

# ---- reproducible ----
for g in sea stagger hyperplane agrawal bernoulli; do
    "$GEN" --gen "$g" --n 3000 --drift-at 1000,2000 --width 200 --seed 7 -o "$W/a.txt" &&
        "$GEN" --gen "$g" --n 3000 --drift-at 1000,2000 --width 200 --seed 7 > "$W/b.txt" ||
        bad "$g: gen_stream failed"
    if cmp -s "$W/a.txt" "$W/b.txt"; then ok; else bad "$g: two runs differ"; fi
    "$GEN" --gen "$g" --n 3000 --drift-at 1000,2000 --width 200 --seed 8 > "$W/c.txt"
    if cmp -s "$W/a.txt" "$W/c.txt"; then bad "$g: seeds 7 and 8 give the same stream"; else ok; fi
    lines=$(wc -l < "$W/a.txt")
    if [ "$lines" -eq 3000 ]; then ok; else bad "$g: $lines lines, want 3000"; fi
done

# ---- the three formats read alike ----
acc=""
for f in libsvm vw csv; do
    "$GEN" --gen agrawal --onehot 1 --n 4000 --seed 3 --format $f -o "$W/s.$f"
    "$RELEARN" eval --format $f "$W/s.$f" > "$W/$f.out" 2> "$W/$f.err" || bad "eval $f failed"
    b=$(field "bad lines" "$W/$f.out")
    [ "$b" = "0" ] && ok || bad "$f: bad lines '$b'"
    e=$(field "events" "$W/$f.out")
    [ "$e" = "4000" ] && ok || bad "$f: events '$e'"
    a=$(field "accuracy" "$W/$f.out")
    if [ -z "$acc" ]; then acc=$a; elif [ "$a" = "$acc" ]; then ok; else
        bad "$f: accuracy $a differs from libsvm's $acc"; fi
done

# ---- drifts at 3000 and 6000 (STAGGER, abrupt) are alerted within 250 events ----
"$GEN" --gen stagger --n 9000 --drift-at 3000,6000 --seed 1 -o "$W/st.libsvm"
"$RELEARN" eval --drift adwin --drift-param direction=up --quiet-alerts \
    --alerts-json "$W/al.json" "$W/st.libsvm" > "$W/st.out" 2> "$W/st.err" || bad "eval drift"
for p in 3000 6000; do
    hit=$(awk -v p="$p" -F'"position":' 'NF > 1 { split($2, a, ","); x = a[1] + 0;
        if ($0 ~ /"level":"DRIFT"/ && x > p && x <= p + 250) n++ } END { print n + 0 }' "$W/al.json")
    [ "$hit" -ge 1 ] && ok || bad "no drift alert in ($p, $((p + 250))]:"
done
early=$(awk -F'"position":' 'NF > 1 { split($2, a, ","); if (a[1] + 0 <= 3000) n++ }
    END { print n + 0 }' "$W/al.json")
[ "$early" = "0" ] && ok || bad "$early alerts before the first drift"

# ---- challenger with ADWIN: its warning window starts a challenger before each drift ----
# (Agrawal functions 1 -> 2 -> 3 at 3000 and 6000, indicator features.) Without the warning
# window (warning_delta=0) no challenger can start: that was every ADWIN run before.
"$GEN" --gen agrawal --onehot 1 --n 9000 --drift-at 3000,6000 --seed 1 -o "$W/ag.libsvm"
"$RELEARN" eval --drift adwin --drift-response challenger --quiet-alerts \
    --alerts-json "$W/ch.json" "$W/ag.libsvm" > "$W/ch.out" 2> "$W/ch.err" || bad "eval challenger"
for p in 3000 6000; do
    started=$(awk -v p="$p" -F'"position":' 'NF > 1 { split($2, a, ","); x = a[1] + 0;
        if ($0 ~ /"level":"WARNING"/ && $0 ~ /"response":"challenger_started"/ &&
            x > p && x <= p + 250) n++ } END { print n + 0 }' "$W/ch.json")
    [ "$started" -ge 1 ] && ok || bad "challenger: no challenger_started in ($p, $((p + 250))]"
    decided=$(awk -v p="$p" -F'"position":' 'NF > 1 { split($2, a, ","); x = a[1] + 0;
        if ($0 ~ /"level":"DRIFT"/ && $0 ~ /"response":"challenger_(promoted|dropped)"/ &&
            x > p && x <= p + 250) n++ } END { print n + 0 }' "$W/ch.json")
    [ "$decided" -ge 1 ] && ok || bad "challenger: no promote/drop at a drift in ($p, $((p + 250))]"
done
grep -q '"response":"challenger_promoted"' "$W/ch.json" && ok || bad "challenger: never promoted"
"$RELEARN" eval --drift adwin --drift-param warning_delta=0 --drift-response challenger \
    --quiet-alerts --alerts-json "$W/ch0.json" "$W/ag.libsvm" > "$W/ch0.out" 2>&1 ||
    bad "eval challenger warning_delta=0"
grep -q '"response":"challenger_' "$W/ch0.json" && bad "warning_delta=0: a challenger started" || ok
grep -q '"level":"DRIFT"' "$W/ch0.json" && ok || bad "warning_delta=0: no drift"

# ---- watch_feature=#N: data drift on a libsvm feature named by its index ----
# Feature 3 is 1 with probability 0.1 up to event 2000, 0.7 after; the label is learnable.
awk 'BEGIN { s = 4242
  for (i = 1; i <= 4000; i++) {
    s = (s * 16807) % 2147483647; x1 = s % 2
    s = (s * 16807) % 2147483647; u = (s % 1000) / 1000
    printf "%d 1:%d 3:%d\n", x1, x1, (u < (i <= 2000 ? 0.1 : 0.7)) ? 1 : 0 } }' > "$W/f3.svm"
"$RELEARN" eval --drift page_hinkley --drift-param 'watch_feature=#3' --quiet-alerts \
    --alerts-json "$W/f3.json" "$W/f3.svm" > "$W/f3.out" 2> "$W/f3.err" || bad "eval watch #3"
first=$(grep '"source":"feature:#3"' "$W/f3.json" | grep '"level":"DRIFT"' | head -1 |
    sed -n 's/.*"position":\([0-9]*\).*/\1/p')
if [ -n "$first" ] && [ "$first" -gt 2000 ] && [ "$first" -le 2300 ]; then ok; else
    bad "watch #3: first feature drift at '${first:-none}', want in (2000, 2300]"
fi
"$RELEARN" eval --drift ddm --drift-param 'watch_feature=#3x' "$W/f3.svm" > "$W/e.out" 2> "$W/e.err"
[ $? -eq 2 ] && grep -q 'watch_feature = "#3x"' "$W/e.err" && ok || bad "watch_feature=#3x accepted"

# ---- bad arguments ----
"$GEN" --gen nope > "$W/e.out" 2> "$W/e.err"
[ $? -eq 2 ] && grep -q "unknown generator 'nope'" "$W/e.err" && ok || bad "unknown generator"
"$GEN" --gen sea --drift-at 50,20 > "$W/e.out" 2> "$W/e.err"
[ $? -eq 2 ] && grep -q "not strictly increasing" "$W/e.err" && ok || bad "decreasing drifts"
"$GEN" --gen sea --n 100 --drift-at 500 > "$W/e.out" 2> "$W/e.err"
[ $? -eq 2 ] && grep -q "below n=100" "$W/e.err" && ok || bad "drift past the end"
"$GEN" --gen sea --format xml > "$W/e.out" 2> "$W/e.err"
[ $? -eq 2 ] && grep -q "xml" "$W/e.err" && ok || bad "unknown format"
"$GEN" --gen bernoulli --rates 0.2,1.5 > "$W/e.out" 2> "$W/e.err"
[ $? -eq 2 ] && grep -q "1.5" "$W/e.err" && ok || bad "rate above 1"

echo "drift_streams: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
