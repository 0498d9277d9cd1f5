# daemon_alerts_crash.sh - alerts across a kill -9. relearnd applies the events since its last
# checkpoint again, and they raise the same alerts again: before, ops were paged twice for each
# of them. The alerts already on the topic are read back at start and not sent again, so the
# records equal those of a run that never stopped (no repeat, no gap).
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_alerts_crash
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/alerts_lib.sh"

# kill -9 after every event was learned, with the last checkpoint 5000 events back: the replay
# raises the same alerts again. Reference: the same stream through an instance never stopped.
rl_broker_start c --partitions 1 --topics events
rl_broker_start r --partitions 1 --topics events
noisy_stream 20000 13 10000 >"$RL_WORK/s3.svm"
for br in c r; do
    "$RELEARN" produce --brokers "$(rl_bootstrap $br)" --topic events "$RL_WORK/s3.svm" \
        2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
done
alert_crash_config k c
alert_crash_config ref r
rl_daemon_start ref
rl_daemon_start k
rl_wait_metric k model_events 20000 60
rl_wait_metric ref model_events 20000 60
rl_daemon_kill9 k
grep -q 'msg="checkpoint written".* events=15000 ' "$RL_WORK/k.log" ||
    rl_fail "no checkpoint at 15000 events before the kill"
rl_daemon_start k
grep -q 'msg="alerts already sent" .*alerts_after_it=[1-9]' "$RL_WORK/k.log" ||
    rl_fail "the alerts sent before the kill were not read back"
rl_wait_metric k model_events 20000 60
replayed=$(rl_metric k 'alerts_total{result="already_sent"}')
[ "${replayed:-0}" -ge 1 ] || rl_fail "no replayed alert was recognized as sent (already_sent=$replayed)"
rl_daemon_stop k
rl_daemon_stop ref
for x in c:k r:ref; do
    rl_kcat "${x%%:*}" -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/alerts-${x#*:}.jsonl" ||
        rl_fail "kcat could not read the alerts topic"
    "$CHECK" --model m --response challenger --list <"$RL_WORK/alerts-${x#*:}.jsonl" \
        >"$RL_WORK/list-${x#*:}.txt" || rl_fail "alert records of ${x#*:} fail the check"
done
diff "$RL_WORK/list-ref.txt" "$RL_WORK/list-k.txt" >"$RL_WORK/crash.diff" ||
    rl_fail "alerts after kill -9 differ from the uninterrupted run: $(head -5 "$RL_WORK/crash.diff")"
rl_log "kill -9: $(wc -l <"$RL_WORK/list-k.txt") alerts as without it, $replayed replayed ones not sent again"

# The checkpoints removed (a fresh model on purpose, same instance id): positions start again
# at 1, below the last alerted one on the topic, but those alerts were raised after another
# checkpoint (checkpoint_seq), so none of the new model's alerts is taken for a replay.
rm -rf "$RL_WORK/ckpt-k"
noisy_stream 2000 14 1 >"$RL_WORK/s4.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap c)" --topic events "$RL_WORK/s4.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
rl_daemon_start k
grep -q 'msg="alerts already sent" .*checkpoint_seq=0 checkpoint_position=0 alerts_after_it=0 ' "$RL_WORK/k.log" ||
    rl_fail "a fresh model took the old model's alerts for its own: $(grep 'alerts already sent' "$RL_WORK/k.log" | tail -1)"
rl_wait_metric k model_events 2000 60
some_delivered() {
    [ "$(rl_metric k 'alerts_total{result="delivered"}')" -ge 1 ]
}
rl_wait_for 20 some_delivered || rl_fail "the fresh model sent no alert"
rl_assert_eq "alerts of the fresh model taken as already sent" 0 \
    "$(rl_metric k 'alerts_total{result="already_sent"}')"
rl_daemon_stop k
rl_log "ok"
