# daemon_config.sh - configuration errors stop relearnd with exit status 2 and one line naming
# file:line, [section] key and what is allowed; --check-config prints the effective config
# with secrets masked and flags overriding the file. No broker needed.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_config
[ -x "$RELEARND" ] || rl_fail "no relearnd binary at $RELEARND"

cfg="$RL_WORK/r.ini"
expect2() {
    "$RELEARND" --config "$cfg" "$@" >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt"
    st=$?
    rl_assert_eq "exit status ($(cat "$RL_WORK/err.txt"))" 2 $st
}

printf '[input]\nbrokers = a:1\ntopics = t\nbatchsize = 10\n' >"$cfg"
expect2
grep -q "$cfg:4: \[input\] batchsize: unknown key (allowed: brokers," "$RL_WORK/err.txt" ||
    rl_fail "unknown key message: $(cat "$RL_WORK/err.txt")"

printf '[input]\nbrokers = a:1\n\n[checkpoint]\nkeep = 0\n' >"$cfg"
expect2
grep -q "$cfg:5: \[checkpoint\] keep: '0' is not valid (allowed: 1..1000)" "$RL_WORK/err.txt" ||
    rl_fail "bad value message: $(cat "$RL_WORK/err.txt")"

printf '[kafka]\nfetch.max.bytes = lots\n' >"$cfg"
expect2
grep -q "$cfg:2: \[kafka\] fetch.max.bytes:" "$RL_WORK/err.txt" ||
    rl_fail "kafka key message: $(cat "$RL_WORK/err.txt")"

# [kafka] as librdkafka takes it, rules across properties too (issue 17, item 6): before,
# --check-config passed these and relearnd then retried every 2 s forever.
printf '[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = %s/ck\n[kafka]\nlinger.ms = 5\nfetch.max.bytes = 2048\n' "$RL_WORK" >"$cfg"
expect2 --check-config
grep -q "$cfg:8: \[kafka\] fetch.max.bytes: the consumer refuses this configuration: .*message.max.bytes" \
    "$RL_WORK/err.txt" || rl_fail "fetch.max.bytes message: $(cat "$RL_WORK/err.txt")"
printf '[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = %s/ck\n[kafka]\nacks = 1\n' "$RL_WORK" >"$cfg"
expect2 --check-config
grep -q "$cfg:7: \[kafka\] acks: the producer refuses this configuration" "$RL_WORK/err.txt" ||
    rl_fail "acks message: $(cat "$RL_WORK/err.txt")"

# Accepted silently before (issue 17, item 8): each refused with file:line.
printf '[model]\nname = a\n[input]\nbrokers = a:1\n[model]\nname = b\n' >"$cfg"
expect2 --check-config
grep -q "$cfg:6: \[model\] name: duplicate key (first set at line 2" "$RL_WORK/err.txt" ||
    rl_fail "duplicate key message: $(cat "$RL_WORK/err.txt")"
printf '[model]\nlearner = sgd\nname = m\000evil\n' >"$cfg"
expect2 --check-config
grep -q "$cfg:3: NUL byte in the line" "$RL_WORK/err.txt" ||
    rl_fail "NUL byte message: $(cat "$RL_WORK/err.txt")"
printf '[model]\nname = ok\342\200\256gnp.exe\n' >"$cfg"
expect2 --check-config
grep -q "$cfg:2: \[model\] name: contains a bidirectional-text control character" "$RL_WORK/err.txt" ||
    rl_fail "bidi message: $(cat "$RL_WORK/err.txt")"
for t in . .. __consumer_offsets; do
    printf '[input]\nbrokers = a:1\ntopics = %s\n' "$t" >"$cfg"
    expect2 --check-config
    grep -q "$cfg:3: \[input\] topics: not a valid topic name list" "$RL_WORK/err.txt" ||
        rl_fail "topic '$t' message: $(cat "$RL_WORK/err.txt")"
done
mkdir -m 0775 "$RL_WORK/shared"
chmod 0775 "$RL_WORK/shared"
printf '[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = %s/shared\n' "$RL_WORK" >"$cfg"
expect2 --check-config
grep -q "$cfg:5: \[checkpoint\] dir: group-writable" "$RL_WORK/err.txt" ||
    rl_fail "group-writable dir message: $(cat "$RL_WORK/err.txt")"

printf '[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = %s/ck\n' "$RL_WORK" >"$cfg"
expect2 --topic 'no spaces allowed'
grep -q -- "--topic: \[input\] topics: not a valid topic name list" "$RL_WORK/err.txt" ||
    rl_fail "flag message: $(cat "$RL_WORK/err.txt")"
expect2 --no-such-flag

# Valid: --check-config prints, masks secrets, and flags win over the file.
printf '[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = %s/ck\n[kafka]\nsasl.password = hunter2\nsasl.username = u\n' "$RL_WORK" >"$cfg"
"$RELEARND" --config "$cfg" --brokers b:2 --group g7 --check-config >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt" ||
    rl_fail "--check-config on a valid file failed: $(cat "$RL_WORK/err.txt")"
grep -q '^brokers = b:2$' "$RL_WORK/out.txt" || rl_fail "--brokers did not override"
grep -q '^group = g7$' "$RL_WORK/out.txt" || rl_fail "--group did not override"
grep -q '^sasl.password = \*\*\*\*\*\*\*\*$' "$RL_WORK/out.txt" || rl_fail "secret not masked"
grep -q hunter2 "$RL_WORK/out.txt" "$RL_WORK/err.txt" && rl_fail "secret printed"
grep -q '^listen = 127.0.0.1:9464$' "$RL_WORK/out.txt" || rl_fail "metrics not on loopback by default"

# [model] interactions: kept as given, refused with the reason when malformed.
ix="$RL_WORK/ix.ini"
printf '[model]\ninteractions = ab,abc\n[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = %s/ck\n' "$RL_WORK" >"$ix"
"$RELEARND" --config "$ix" --check-config >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt" ||
    rl_fail "interactions refused: $(cat "$RL_WORK/err.txt")"
grep -q '^interactions = ab,abc$' "$RL_WORK/out.txt" || rl_fail "interactions not in the effective config"
printf '[model]\ninteractions = abcd\n[input]\nbrokers = a:1\n' >"$ix"
"$RELEARND" --config "$ix" --check-config >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt"
rl_assert_eq "exit status of a bad interactions value" 2 $?
grep -q "$ix:2: \[model\] interactions:.*4 namespaces" "$RL_WORK/err.txt" ||
    rl_fail "bad interactions message: $(cat "$RL_WORK/err.txt")"

# An option whose value is missing must not swallow the next option: "--brokers
# --check-config" once started the daemon instead of checking.
"$RELEARND" --config "$cfg" --brokers --check-config >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt"
rl_assert_eq "exit status of --brokers without a value" 2 $?
grep -q -- "--brokers needs a value, got the option '--check-config'" "$RL_WORK/err.txt" ||
    rl_fail "missing value message: $(cat "$RL_WORK/err.txt")"
"$RELEARND" --config "$cfg" --brokers=b:3 --check-config >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt" ||
    rl_fail "--brokers=VALUE refused: $(cat "$RL_WORK/err.txt")"
grep -q '^brokers = b:3$' "$RL_WORK/out.txt" || rl_fail "--brokers=b:3 did not override"

# A directory given as the config is an error naming it, not an empty config.
"$RELEARND" --config "$RL_WORK" --check-config >/dev/null 2>"$RL_WORK/err.txt"
rl_assert_eq "exit status for a directory as config" 2 $?
grep -q "$RL_WORK: cannot read: Is a directory" "$RL_WORK/err.txt" ||
    rl_fail "directory message: $(cat "$RL_WORK/err.txt")"

# Indented keys are keys (inih would have appended them to the previous key's value).
printf '[model]\nname = x\n  learner = ftrl\n  bits = 12\n[input]\n  brokers = a:1\n  topics = t\n[checkpoint]\n\tdir = %s/ck\n' "$RL_WORK" >"$cfg"
"$RELEARND" --config "$cfg" --check-config >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt" ||
    rl_fail "indented config refused: $(cat "$RL_WORK/err.txt")"
grep -q '^name = x$' "$RL_WORK/out.txt" || rl_fail "indented line changed the name: $(grep '^name' "$RL_WORK/out.txt")"
grep -q '^learner = ftrl$' "$RL_WORK/out.txt" || rl_fail "indented learner lost"
grep -q '^bits = 12$' "$RL_WORK/out.txt" || rl_fail "indented bits lost"

# Checkpoints that all fail to verify stop start-up (exit 1) instead of a fresh model silently
# replacing what they held. Nothing listens on the broker port: the refusal comes first.
mkdir -m 700 "$RL_WORK/bad-ck"
printf 'not a checkpoint' >"$RL_WORK/bad-ck/ckpt-00000000000000000007.rlck"
: >"$RL_WORK/bad-ck/ckpt-00000000000000000008.rlck"
printf '[input]\nbrokers = 127.0.0.1:1\ntopics = t\n[checkpoint]\ndir = %s/bad-ck\n[metrics]\nlisten = off\n' "$RL_WORK" >"$cfg"
timeout 30 "$RELEARND" --config "$cfg" >/dev/null 2>"$RL_WORK/err.txt"
rl_assert_eq "exit status when no checkpoint verifies" 1 $?
grep -q 'msg="checkpoint file skipped" path=".*ckpt-00000000000000000008.rlck"' "$RL_WORK/err.txt" ||
    rl_fail "empty checkpoint not reported: $(cat "$RL_WORK/err.txt")"
grep -q "none of the 2 checkpoints verifies.*not starting a fresh model" "$RL_WORK/err.txt" ||
    rl_fail "no refusal: $(tail -n 2 "$RL_WORK/err.txt")"

# One relearnd per checkpoint directory: a second one on the same directory (it would overwrite
# the first one's ckpt-<seq> files and load its offsets) is refused while the first runs. The
# first waits for a broker that is not there, holding the directory.
printf '[input]\nbrokers = 127.0.0.1:1\ntopics = t\n[checkpoint]\ndir = %s/shared-ck\n[metrics]\nlisten = off\n' "$RL_WORK" >"$cfg"
# A checkpoint copied in under another name is never loaded: that is said, not silent.
mkdir -m 700 "$RL_WORK/shared-ck"
printf 'x' >"$RL_WORK/shared-ck/ckpt-3.rlck"
rl_bg first "$RELEARND" --config "$cfg" --instance-id one
first=$RL_LAST_PID
rl_wait_for 20 grep -q 'msg="fresh model: no checkpoint"' "$RL_WORK/first.log" ||
    rl_fail "first relearnd did not start: $(tail -n 3 "$RL_WORK/first.log")"
grep -q 'msg="file in the checkpoint directory ignored" .*file="ckpt-3.rlck"' "$RL_WORK/first.log" ||
    rl_fail "misnamed checkpoint not reported: $(head -n 3 "$RL_WORK/first.log")"
timeout 30 "$RELEARND" --config "$cfg" --instance-id two >/dev/null 2>"$RL_WORK/err.txt"
rl_assert_eq "exit status of a second relearnd on the same checkpoint dir" 1 $?
grep -q "shared-ck: in use by another relearnd" "$RL_WORK/err.txt" ||
    rl_fail "no lock message: $(tail -n 2 "$RL_WORK/err.txt")"
kill -KILL "$first"
wait "$first" 2>/dev/null

# --check-config whose output is lost (stdout on a full disk) does not pass.
if [ -w /dev/full ]; then
    "$RELEARND" --config "$RL_SRC/deploy/sgd.ini" --check-config >/dev/full 2>"$RL_WORK/err.txt"
    rl_assert_eq "--check-config > /dev/full: exit status" 1 $?
    grep -q "writing stdout" "$RL_WORK/err.txt" || rl_fail "message: $(cat "$RL_WORK/err.txt")"
fi

# Every example config in deploy/ is valid as shipped, and the effective config it prints is a
# config relearnd accepts, printing the same again (it once printed every learner's keys, and
# relearnd refused them read back: "classes: not a parameter of learner sgd").
for f in "$RL_SRC"/deploy/*.ini; do
    "$RELEARND" --config "$f" --checkpoint-dir "$RL_WORK/ck" --check-config >"$RL_WORK/eff.ini" 2>"$RL_WORK/err.txt" ||
        rl_fail "deploy example $f: $(cat "$RL_WORK/err.txt")"
    "$RELEARND" --config "$RL_WORK/eff.ini" --check-config >"$RL_WORK/eff2.ini" 2>"$RL_WORK/err.txt" ||
        rl_fail "the effective config of $f, fed back: $(cat "$RL_WORK/err.txt")"
    cmp -s "$RL_WORK/eff.ini" "$RL_WORK/eff2.ini" ||
        rl_fail "the effective config of $f changes when fed back: $(diff "$RL_WORK/eff.ini" "$RL_WORK/eff2.ini" | head -5)"
done

# A key the learner does not read is refused with the line that set it.
printf '[model]\nname = m\nlearner = sgd\n\nclasses = 3\n[input]\nbrokers = a:1\ntopics = t\n' >"$cfg"
expect2 --checkpoint-dir "$RL_WORK/ck" --check-config
grep -q "^relearnd: $cfg:5: \[model\] .*classes: not a parameter of learner sgd" "$RL_WORK/err.txt" ||
    rl_fail "learner key message: $(cat "$RL_WORK/err.txt")"

# relearnd with no arguments prints its usage (exit 2), not a missing-brokers error.
"$RELEARND" >"$RL_WORK/out.txt" 2>"$RL_WORK/err.txt"
rl_assert_eq "exit status with no arguments" 2 $?
head -n 1 "$RL_WORK/err.txt" | grep -q '^usage: relearnd --config FILE' ||
    rl_fail "no usage with no arguments: $(head -n 2 "$RL_WORK/err.txt")"

"$RELEARND" --help | grep -q 'exit status' || rl_fail "--help does not document exit statuses"
rl_log "ok"
