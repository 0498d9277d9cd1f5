# kafka_retention.sh - retention deletes segments relearnd has not read yet (real Kafka only:
# the mock has no time-based retention). relearnd learns 100 events and stops; 200 more are
# written in 1 s segments and deleted by retention (5 s) before relearnd comes back; 100 fresh
# ones follow. Restarted, relearnd must report the forward jump - never silently: an error line
# with topic, partition, the offset it expected (100, its checkpoint) and the one it got, the
# number of events lost, relearnd_offset_lost_events_total, and an alert on the alerts topic
# read back by kcat - and account for every offset: events learned + events reported lost =
# the partition's end, as python3-kafka reads it.
. "$RL_TESTS/integration/lib.sh"
rl_init kafka_retention
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/kafka_lib.sh"

rl_broker_start b --partitions 1
rl_topic_create b events 1 segment.ms=1000 retention.ms=5000 file.delete.delay.ms=0
bs=$(rl_bootstrap b)
produce() {
    rl_gen_stream "$1" "$2" >"$RL_WORK/p$2.svm"
    "$RELEARN" produce --brokers "$bs" --topic events --rate "$3" "$RL_WORK/p$2.svm" \
        2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
}
log_start() {
    rl_topics b offsets events | awk '{ print $2 }'
}

produce 100 1 1000
rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 100 60
rl_daemon_stop a

produce 200 2 50 # 4 s: several segments
deleted() {
    [ "$(log_start)" -ge 300 ]
}
rl_wait_for 90 deleted || rl_fail "retention did not delete the unread segments (log start $(log_start))"
lo=$(log_start)
rl_log "retention moved the log start to $lo; relearnd's checkpoint is at 100"
produce 100 3 1000
rl_daemon_start a
rl_wait_for 60 grep -q 'msg="offset jump forward: events lost" topic=events partition=0 expected=100 ' "$RL_WORK/a.log" ||
    rl_fail "the forward jump was not reported: $(grep 'partition assigned\|offset' "$RL_WORK/a.log" | tail -n 3)"
line=$(grep 'msg="offset jump forward: events lost" topic=events partition=0 expected=100 ' "$RL_WORK/a.log" | head -n 1)
got=$(echo "$line" | sed -n 's/.* got=\([0-9]*\) lost=\([0-9]*\).*/\1/p')
lost=$(echo "$line" | sed -n 's/.* got=\([0-9]*\) lost=\([0-9]*\).*/\2/p')
rl_assert_eq "events lost in the jump (got - expected)" $((got - 100)) "$lost"
[ "$lost" -ge 200 ] || rl_fail "only $lost events reported lost; retention deleted $((lo - 100))"
rl_log "reported: $line"

# Every offset accounted for: learned + reported lost = the partition's end.
hi=$(rl_topics b offsets events | awk '{ print $3 }')
rl_assert_eq "partition end (python3-kafka)" 400 "$hi"
accounted() {
    l=$(rl_metric a 'offset_lost_events_total{topic="events",partition="0"}')
    e=$(rl_metric a model_events)
    [ -n "$l" ] && [ -n "$e" ] && [ $((l + e)) -eq "$hi" ]
}
rl_wait_for 60 accounted ||
    rl_fail "learned $(rl_metric a model_events) + lost $(rl_metric a 'offset_lost_events_total{topic="events",partition="0"}') != end $hi"
rl_assert_eq "offset resets counted" 1 "$(rl_metric a offset_resets_total)"
rl_daemon_stop a
rl_kcat b -C -q -t relearn-alerts -o beginning -e >"$RL_WORK/alerts.jsonl" || rl_fail "kcat could not read the alerts topic"
grep -q "\"detector\":\"offset_jump\".*\"response\":\"events_lost\"" "$RL_WORK/alerts.jsonl" ||
    rl_fail "no offset-jump alert on the alerts topic: $(head -c 300 "$RL_WORK/alerts.jsonl")"
rl_log "ok: $lost events lost to retention reported (log, metric, alert), learned + lost = $hi"
