# cli_edges.sh - relearn on an operator's mistakes, no broker running: an unreachable broker
# with a full local queue fails within message.timeout.ms + 5 s instead of hanging; an output
# option naming an input is refused before anything is overwritten; a --test path is checked
# before training, and so is where --save goes; an option value left out does not swallow the
# next option; a report that cannot be written (stdout on a full disk) exits non-zero; diff
# refuses models hashed with different seeds; --passes refuses a pipe; relearn broker refuses
# topic names Kafka would refuse; CSV-only options are refused for other formats.
. "$RL_TESTS/integration/lib.sh"
rl_init cli_edges
W=$RL_WORK

i=1
while [ $i -le 60 ]; do
    echo "1 1:$i 2:0.5"
    echo "0 3:$i"
    i=$((i + 1))
done >"$W/d.svm"
cp "$W/d.svm" "$W/keep.svm"

# 1. Nothing listens on the port: the queue (10 messages) fills and never drains, since
# librdkafka does not time out messages of a topic it has no metadata for. It must give up.
t0=$(date +%s)
timeout 60 "$RELEARN" produce --brokers 127.0.0.1:1 --topic t -X message.timeout.ms=1000 \
    -X queue.buffering.max.messages=10 "$W/d.svm" 2>"$W/stall.log"
st=$?
t1=$(date +%s)
rl_assert_eq "produce to no broker with a full queue: exit status" 1 $st
[ $((t1 - t0)) -le 30 ] || rl_fail "produce took $((t1 - t0)) s to give up"
grep -q "d.svm:[0-9]*: not produced: the local queue stayed full" "$W/stall.log" ||
    rl_fail "no stall message: $(grep -v librdkafka "$W/stall.log" | tail -n 3)"
grep -q 'msg="produce done".* delivered=0 ' "$W/stall.log" || rl_fail "no summary line"
# ... but message.timeout.ms=0 means "never" (librdkafka's meaning): it is still waiting after
# the 5 s it used to give up at, and two signals end it.
rl_bg forever "$RELEARN" produce --brokers 127.0.0.1:1 --topic t -X message.timeout.ms=0 \
    -X queue.buffering.max.messages=10 "$W/d.svm"
pf=$RL_LAST_PID
sleep 7
kill -0 "$pf" 2>/dev/null || rl_fail "produce with message.timeout.ms=0 gave up within 7 s"
kill -TERM "$pf"
sleep 0.5
kill -TERM "$pf"
rl_wait_for 15 sh -c "! kill -0 $pf 2>/dev/null" || rl_fail "two signals did not end the produce"
wait "$pf"
rl_assert_eq "produce ended by signals: exit status" 1 $?

# 2. Outputs naming inputs are refused (exit 2) and the input survives.
"$RELEARN" eval --drift adwin --alerts-json "$W/d.svm" "$W/d.svm" >/dev/null 2>"$W/e1.err"
rl_assert_eq "--alerts-json = input: exit status" 2 $?
grep -q -- "--alerts-json $W/d.svm: is also the input file" "$W/e1.err" ||
    rl_fail "message: $(cat "$W/e1.err")"
"$RELEARN" eval --save "$W/./d.svm" "$W/d.svm" >/dev/null 2>"$W/e2.err"
rl_assert_eq "--save = input: exit status" 2 $?
ln -s d.svm "$W/link.svm"
"$RELEARN" eval --save "$W/link.svm" --test "$W/d.svm" "$W/keep.svm" >/dev/null 2>"$W/e3.err"
rl_assert_eq "--save = --test through a link: exit status" 2 $?
cmp -s "$W/d.svm" "$W/keep.svm" || rl_fail "the input file was changed"

# 3. A wrong --test path fails before training: no table printed.
"$RELEARN" eval --progress 0 --test "$W/missing.svm" "$W/d.svm" >"$W/t.out" 2>"$W/t.err"
rl_assert_eq "missing --test file: exit status" 2 $?
grep -q "missing.svm: No such file" "$W/t.err" || rl_fail "message: $(cat "$W/t.err")"
[ -s "$W/t.out" ] && rl_fail "trained before checking --test: $(head -n 2 "$W/t.out")"
# ... and so does a --save into a missing directory, or onto a directory.
"$RELEARN" eval --progress 0 --save "$W/no-such-dir/m.rlck" "$W/d.svm" >"$W/s.out" 2>"$W/s.err"
rl_assert_eq "--save into a missing directory: exit status" 2 $?
grep -q "no-such-dir/m.rlck: directory $W/no-such-dir: No such file" "$W/s.err" ||
    rl_fail "message: $(cat "$W/s.err")"
[ -s "$W/s.out" ] && rl_fail "trained before checking --save: $(head -n 2 "$W/s.out")"
"$RELEARN" eval --progress 0 --save "$W" "$W/d.svm" >/dev/null 2>"$W/s.err"
rl_assert_eq "--save onto a directory: exit status" 2 $?

# 4. A value left out: the next option is not taken as the value.
(cd "$W" && "$RELEARN" eval --save --strict d.svm >/dev/null 2>"$W/v.err")
rl_assert_eq "--save --strict: exit status" 2 $?
grep -q -- "--save needs a value, got the option '--strict'" "$W/v.err" ||
    rl_fail "message: $(cat "$W/v.err")"
[ -e "$W/--strict" ] && rl_fail "saved to a file named --strict"
"$RELEARN" produce --brokers 127.0.0.1:1 --topic --strict "$W/d.svm" 2>"$W/p.err"
rl_assert_eq "produce --topic --strict: exit status" 2 $?
grep -q -- "--topic needs a value" "$W/p.err" || rl_fail "message: $(cat "$W/p.err")"
"$RELEARN" verify --json "$W/d.svm" 2>"$W/vj.err"
rl_assert_eq "verify --json (an option verify lacks): exit status" 2 $?
grep -q "unknown option '--json'" "$W/vj.err" || rl_fail "message: $(cat "$W/vj.err")"
"$RELEARN" diff "$W/a" --top 2>"$W/top.err"
rl_assert_eq "diff --top without a value: exit status" 2 $?
grep -q -- "--top needs a value" "$W/top.err" || rl_fail "message: $(cat "$W/top.err")"

# 5. stdout on a full disk: the report is lost, so the status says so.
if [ -w /dev/full ]; then
    "$RELEARN" eval --progress 0 "$W/d.svm" >/dev/full 2>"$W/full.err"
    rl_assert_eq "eval > /dev/full: exit status" 1 $?
    grep -q "writing stdout" "$W/full.err" || rl_fail "message: $(cat "$W/full.err")"
    "$RELEARN" --help >/dev/full 2>/dev/null
    rl_assert_eq "--help > /dev/full: exit status" 1 $?
fi

# 6. diff of named-feature models hashed with different seeds: refused, not ~orthogonal.
awk '{ printf "%s |f", $1; for (i = 2; i <= NF; i++) { split($i, kv, ":"); printf " c%s:%s", kv[1], kv[2] } print "" }' \
    "$W/d.svm" >"$W/d.vw"
"$RELEARN" eval --progress 0 --bits 10 --seed 1 --save "$W/s1.rlck" "$W/d.vw" >/dev/null ||
    rl_fail "eval --save s1"
"$RELEARN" eval --progress 0 --bits 10 --seed 2 --save "$W/s2.rlck" "$W/d.vw" >/dev/null ||
    rl_fail "eval --save s2"
"$RELEARN" diff "$W/s1.rlck" "$W/s2.rlck" >/dev/null 2>"$W/diff.err"
rl_assert_eq "diff across hash seeds: exit status" 1 $?
grep -q "different seeds" "$W/diff.err" || rl_fail "message: $(cat "$W/diff.err")"
# indexed (libsvm) features ignore the seed: those models still compare
"$RELEARN" eval --progress 0 --bits 10 --seed 1 --save "$W/i1.rlck" "$W/d.svm" >/dev/null &&
    "$RELEARN" eval --progress 0 --bits 10 --seed 2 --save "$W/i2.rlck" "$W/d.svm" >/dev/null ||
    rl_fail "eval --save i1/i2"
"$RELEARN" diff "$W/i1.rlck" "$W/i2.rlck" >"$W/diff2.out" 2>&1 ||
    rl_fail "diff of indexed models refused: $(cat "$W/diff2.out")"
grep -q "changed weights: *0 " "$W/diff2.out" || rl_fail "indexed models differ: $(cat "$W/diff2.out")"

# 7. --passes over a pipe: the second pass would read nothing while the table said "passes 3".
mkfifo "$W/fifo"
(cat "$W/d.svm" >"$W/fifo" &)
"$RELEARN" eval --progress 0 --passes 3 "$W/fifo" >"$W/pp.out" 2>"$W/pp.err"
rl_assert_eq "--passes 3 over a FIFO: exit status" 2 $?
grep -q "fifo is not a regular file" "$W/pp.err" || rl_fail "message: $(cat "$W/pp.err")"
cat "$W/fifo" >/dev/null # let the writer finish

# 8. CSV-only options on an input read as another format would be ignored: the label column
# the user named would silently not be the label.
"$RELEARN" eval --progress 0 --label-col 2 "$W/d.svm" >"$W/lc.out" 2>"$W/lc.err"
rl_assert_eq "--label-col on libsvm: exit status" 2 $?
grep -q "d.svm: --label-col applies to CSV input only, and this input reads as libsvm" "$W/lc.err" ||
    rl_fail "message: $(cat "$W/lc.err")"
"$RELEARN" produce --brokers 127.0.0.1:1 --topic t --no-header "$W/d.vw" 2>"$W/lc.err"
rl_assert_eq "produce --no-header on VW: exit status" 2 $?
grep -q "d.vw: --no-header applies to CSV input only" "$W/lc.err" || rl_fail "message: $(cat "$W/lc.err")"

# 9. Poisson regression takes counts: a negative label is a bad line, as relearnd's decoder has
# it (it was learned, the loss turned NaN and its row left the table).
printf -- '-1 1:1\n2 1:1\n3 2:1\n' >"$W/pois.svm"
"$RELEARN" eval --progress 0 --loss poisson "$W/pois.svm" >"$W/pois.out" 2>"$W/pois.err"
rl_assert_eq "poisson with a negative label: exit status" 0 $?
grep -q "pois.svm:1: label -1 is negative (Poisson regression)" "$W/pois.err" ||
    rl_fail "message: $(cat "$W/pois.err")"
grep -q "^bad lines  *1$" "$W/pois.out" || rl_fail "not counted: $(cat "$W/pois.out")"
grep -q "^mean loss " "$W/pois.out" || rl_fail "no mean loss row: $(cat "$W/pois.out")"

# 10. relearn broker refuses topic names a real Kafka cluster would refuse (the mock takes any).
for t in 'bad topic' 'a,,b' 'a,' '..'; do
    timeout 10 "$RELEARN" broker --topics "$t" >/dev/null 2>"$W/topic.err"
    rl_assert_eq "broker --topics '$t': exit status" 2 $?
    grep -q "is not a topic name" "$W/topic.err" || rl_fail "message: $(cat "$W/topic.err")"
done
rl_log ok
