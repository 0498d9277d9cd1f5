# docs_readme.sh - what README.md tells an operator to type works as written: its `relearn eval`
# block and its local-broker block are cut out of README.md and run (only file names and the
# bootstrap file's path are changed), each line must exit 0 and the broker must exit 0 on
# `kill %1`. Also the option mistakes a literal copy can make: an empty --brokers or --topic
# (the broker's bootstrap file not written yet) is a usage error, not a 300 s wait or a topic
# named ""; relearnd refuses more override flags than it keeps instead of ignoring the rest.
. "$RL_TESTS/integration/lib.sh"
rl_init docs_readme
W=$RL_WORK
README=$RL_SRC/README.md
GEN=$RL_BUILD/bench/gen_stream
[ -x "$GEN" ] || rl_fail "no $GEN"
[ -x "$RELEARND" ] || rl_fail "no relearnd at $RELEARND"
BASH=$(command -v bash || true)
[ -n "$BASH" ] || rl_skip "bash not installed (the README block uses kill %1)"
mkdir -p "$W/bin"
ln -s "$RELEARN" "$W/bin/relearn"
ln -s "$RELEARND" "$W/bin/relearnd"
PATH=$W/bin:$PATH
export PATH

# block NAME: the first ```sh block after the line "## NAME" in README.md.
block() {
    awk -v h="## $1" '$0 == h { s = 1; next } s == 1 && /^```sh/ { s = 2; next }
                      s == 2 && /^```/ { exit } s == 2 { print }' "$README"
}

# 1. "Try a learner on your own data first", one line at a time, in a directory holding the
# files it names.
cd "$W" || rl_fail "cd"
"$GEN" --gen sea --n 3000 -o data.libsvm || rl_fail "gen_stream"
"$GEN" --gen sea --n 3000 --drift-at 1500 --format vw -o stream.vw || rl_fail "gen_stream vw"
awk 'BEGIN { print "age,spend,visits,churned" }
     { split($2, a, ":"); split($3, b, ":"); split($4, c, ":"); print a[2] "," b[2] "," c[2] "," $1 }' \
    data.libsvm >customers.csv
relearn eval --quiet-alerts --save old.rlck data.libsvm >/dev/null 2>&1 || rl_fail "old.rlck"
relearn eval --passes 2 --save new.rlck data.libsvm >/dev/null 2>&1 || rl_fail "new.rlck"
cp old.rlck ckpt-00000000000000000001.rlck
cp new.rlck ckpt-00000000000000000002.rlck
block "Try a learner on your own data first" >eval_block.sh
[ "$(grep -c '^relearn ' eval_block.sh)" -ge 6 ] || rl_fail "eval block not found in README.md"
while IFS= read -r line; do
    "$BASH" -c "$line" >line.out 2>&1 || rl_fail "README line failed: $line: $(tail -n 3 line.out)"
done <eval_block.sh
[ -s model.rlck ] || rl_fail "README's eval --save model.rlck wrote nothing"
[ -f alerts.jsonl ] || rl_fail "README's --alerts-json alerts.jsonl: no file"

# 2. "Local broker", as one script (it backgrounds the broker and ends with kill %1).
block "Local broker" | sed "s#/tmp/bs#$W/bs#g" >broker_block.sh
grep -q '^relearn broker ' broker_block.sh || rl_fail "broker block not found in README.md"
if [ -z "$RL_KCAT" ]; then
    sed -i 's/^kcat /: kcat /' broker_block.sh
fi
{
    echo 'set -e'
    cat broker_block.sh
    echo 'wait %1; echo "broker exit status $?"'
} >broker_run.sh
timeout 120 "$BASH" broker_run.sh >broker_run.out 2>broker_run.err ||
    rl_fail "README broker block failed: $(grep -v librdkafka broker_run.err | tail -n 5)"
grep -q '^broker exit status 0$' broker_run.out || rl_fail "broker: $(tail -n 3 broker_run.out)"
grep -q '^\[\]$' broker_run.out || rl_fail "snapshots --json on an empty topic did not print []"
grep -q 'msg="produce done".* failed=0 ' broker_run.err || rl_fail "produce: no clean summary"
grep -q 'msg="broker stopping" signal=SIGTERM' broker_run.err ||
    rl_fail "broker: $(grep 'broker stopping' broker_run.err)"
[ ! -e "$W/bs" ] || rl_fail "the bootstrap file outlived the broker"

# 3. An empty --brokers or --topic is a usage error, at once.
for cmd in "produce --brokers '' --topic t data.libsvm" \
    "produce --brokers 127.0.0.1:1 --topic '' data.libsvm" \
    "snapshots --brokers '' --topic t" "snapshots --brokers 127.0.0.1:1 --topic ''"; do
    eval "timeout 20 relearn $cmd" >/dev/null 2>empty.err
    st=$?
    rl_assert_eq "relearn $cmd: exit status" 2 $st
    grep -q "empty value" empty.err || rl_fail "relearn $cmd: $(cat empty.err)"
done

# 4. relearnd: the last of repeated flags wins, up to the 16 it keeps; one more is refused
# (it used to be dropped, so the config file's value silently won).
set --
i=1
while [ $i -le 16 ]; do
    set -- "$@" --group "g$i"
    i=$((i + 1))
done
relearnd -c "$RL_SRC/deploy/sgd.ini" "$@" --check-config >cfg.out 2>cfg.err ||
    rl_fail "16 flags: $(cat cfg.err)"
grep -q '^group = g16$' cfg.out || rl_fail "16 flags: $(grep '^group' cfg.out)"
relearnd -c "$RL_SRC/deploy/sgd.ini" "$@" --group g17 --check-config >cfg.out 2>cfg.err
rl_assert_eq "17 override flags: exit status" 2 $?
grep -q "more than 16 override options" cfg.err || rl_fail "17 flags: $(cat cfg.err)"
relearnd -h | grep -q -- '-c, --config FILE' || rl_fail "relearnd -h does not list -c"
rl_log "ok"
