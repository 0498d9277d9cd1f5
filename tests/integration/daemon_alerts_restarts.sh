# daemon_alerts_restarts.sh - "already sent" across a crash and two restarts (issue 17, item 2).
# Run A checkpoints at 15000 events, sends the alerts of the events after it, and is killed -9.
# Run B resumes at 15000, skips those alerts, is stopped after a few hundred events and writes
# a newer checkpoint. Run C resumes from B's checkpoint: the alerts A sent after it were raised
# after another checkpoint (A's), and before, C sent them again. An alert's identity (source,
# level, position) decides, so the alerts topic ends up with the records of a run that never
# stopped: none twice, none missing.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_alerts_restarts
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/alerts_lib.sh"

rl_broker_start c --partitions 1 --topics events
rl_broker_start r --partitions 1 --topics events
noisy_stream 20000 13 10000 >"$RL_WORK/s.svm"
# Small batches on c: a fetch returns at least one whole batch, and run B must be slow.
for br in c r; do
    "$RELEARN" produce --brokers "$(rl_bootstrap $br)" --topic events -X batch.num.messages=50 \
        -X linger.ms=0 "$RL_WORK/s.svm" 2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
done
alert_crash_config k c
alert_crash_config ref r
rl_daemon_start ref
rl_wait_metric ref model_events 20000 60
rl_daemon_stop ref

# A: everything learned, checkpoint 1 at 15000, the alerts after it sent; kill -9.
rl_daemon_start k
rl_wait_metric k model_events 20000 60
rl_daemon_kill9 k
grep -q 'msg="checkpoint written".* seq=1 events=15000 ' "$RL_WORK/k.log" ||
    rl_fail "run A wrote no checkpoint 1 at 15000 events"

# B: small fetches and 50 ms per request, so it can be stopped soon after 15000; SIGTERM writes
# checkpoint 2 there.
rl_broker_ctl c "latency -1 50"
cp "$RL_WORK/k.ini" "$RL_WORK/k-fast.ini"
printf '[kafka]\nmax.partition.fetch.bytes = 2048\nfetch.max.bytes = 1048576\n' >>"$RL_WORK/k.ini"
rl_daemon_start k
past_start() { [ "$(rl_metric k model_events)" -gt 15000 ]; }
rl_wait_for 60 past_start || rl_fail "run B did not resume"
rl_daemon_stop k
rl_broker_ctl c "latency -1 0"
cp "$RL_WORK/k-fast.ini" "$RL_WORK/k.ini"
b_ck=$(sed -n 's/.*msg="checkpoint written" why=shutdown seq=2 events=\([0-9]*\) .*/\1/p' "$RL_WORK/k.log")
[ -n "$b_ck" ] || rl_fail "run B wrote no checkpoint 2 at shutdown"
rl_log "run B stopped with checkpoint 2 at $b_ck events"

# C: resumes from checkpoint 2; every alert A sent after it must be recognized.
rl_kcat c -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/before-c.jsonl"
after_b=$(awk -v p="$b_ck" -F'"position":' 'index($0, "\"source\":\"error\"") || index($0, "\"source\":\"feature:") {
    split($2, a, /[,}]/); if (a[1] + 0 > p) n++ } END { print n + 0 }' "$RL_WORK/before-c.jsonl")
[ "$after_b" -ge 1 ] || rl_fail "run A sent no alert after run B's checkpoint: the test proves nothing"
rl_daemon_start k
rl_wait_metric k model_events 20000 60
replayed=$(rl_metric k 'alerts_total{result="already_sent"}')
rl_daemon_stop k
rl_assert_eq "alerts C recognized as sent by A" "$after_b" "$replayed"
for x in c:k r:ref; do
    rl_kcat "${x%%:*}" -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/alerts-${x#*:}.jsonl" ||
        rl_fail "kcat could not read the alerts topic"
    "$CHECK" --model m --response challenger --list <"$RL_WORK/alerts-${x#*:}.jsonl" \
        >"$RL_WORK/list-${x#*:}.txt" || rl_fail "alert records of ${x#*:} fail the check"
done
diff "$RL_WORK/list-ref.txt" "$RL_WORK/list-k.txt" >"$RL_WORK/restarts.diff" ||
    rl_fail "alerts after a crash and two restarts differ from the uninterrupted run: $(head -5 "$RL_WORK/restarts.diff")"
rl_log "ok: $(wc -l <"$RL_WORK/list-k.txt") alerts as without the crash; C skipped $replayed sent by A"
