# daemon_offsetreplay.sh - exactly once across a backward offset reset (issue 17, item 1). One
# fetch answered OFFSET_OUT_OF_RANGE in the middle of the stream makes librdkafka reset the
# position per auto.offset.reset (earliest: offset 0), as a real cluster does after an unclean
# leader election or a re-created topic. relearnd knows the offset it expects: what comes back
# below it is skipped and counted, never learned twice, and the jump is loud (a labelled counter
# in /metrics, "degraded" in /healthz, an alert). The final model is bitwise equal to that of a
# run that saw no reset.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_offsetreplay
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
rl_gen_stream 3000 31 >"$RL_WORK/s1.svm"
rl_gen_stream 3000 32 >"$RL_WORK/s2.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s1.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 3000 60
# The consumer is long-polling at offset 3000: its next fetch is the one that fails.
rl_broker_ctl b "error fetch 1 OFFSET_OUT_OF_RANGE"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s2.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_wait_metric a model_events 6000 60
sleep 3 # a replay would push the count past the offsets produced
rl_assert_eq "events learned (offsets produced: 6000)" 6000 "$(rl_metric a model_events)"
rl_assert_eq "events learned since start" 6000 "$(rl_metric a 'events_total{outcome="learned"}')"
port=$(cat "$RL_WORK/a.port")
curl -s --max-time 5 "http://127.0.0.1:$port/metrics" >"$RL_WORK/metrics.txt"
grep -q '^relearnd_offset_jumps_total{topic="events",partition="0",direction="backward"} [1-9]' \
    "$RL_WORK/metrics.txt" || rl_fail "no backward jump counted: $(grep offset_ "$RL_WORK/metrics.txt")"
grep -q '^relearnd_offset_skipped_events_total{topic="events",partition="0"} [0-9]' \
    "$RL_WORK/metrics.txt" || rl_fail "skipped events not counted"
health=$(curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$port/healthz")
case "$health" in
"degraded: offset jump"*" 200") ;;
*) rl_fail "/healthz does not say degraded after the jump: '$health'" ;;
esac
grep -q 'level=error msg="offset jump backward: events already learned are skipped" topic=events partition=0 expected=3000 got=0 ' \
    "$RL_WORK/a.log" || rl_fail "backward jump not logged: $(grep 'offset' "$RL_WORK/a.log" | tail -3)"
rl_daemon_stop a
rl_kcat b -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/alerts.jsonl" ||
    rl_fail "kcat could not read the alerts topic"
grep -q '"detector":"offset_jump"' "$RL_WORK/alerts.jsonl" || rl_fail "no offset_jump alert"
grep '"detector":"offset_jump"' "$RL_WORK/alerts.jsonl" | grep -q '"partition":0' ||
    rl_fail "the offset_jump alert names no partition"

# The reference: the same 6000 events, no reset, in another group.
rl_daemon_config r b
sed -i 's/^group = g$/group = ref/' "$RL_WORK/r.ini"
rl_daemon_start r
rl_wait_metric r model_events 6000 60
rl_daemon_stop r
last_ckpt() { ls "$RL_WORK/ckpt-$1"/ckpt-*.rlck | sort | tail -n 1; }
# `relearn diff` counts a weight as changed when its bytes differ: 0 is bitwise equality.
rl_assert_same_weights "$(last_ckpt a)" "$(last_ckpt r)" "the model after a backward reset and the uninterrupted one"
rl_log "ok"
