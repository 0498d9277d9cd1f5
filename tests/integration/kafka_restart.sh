# kafka_restart.sh - the broker restarts with its data on disk while relearnd learns (real
# Kafka only: `relearn broker` keeps nothing across a restart). Events stream in at a fixed
# rate; mid-stream the only broker is killed (SIGKILL: an unclean shutdown, the log recovered
# from disk) and started again on the same ports and data. relearnd keeps running through the
# outage and resumes by itself. Every event learned once: relearnd's own counters (model events,
# events learned this run) equal what was produced, and stay there; its final checkpoint holds
# the high watermark of each partition (rel_ckpt_dump); kcat and python3-kafka, two clients
# independent of relearnd, count the same events on the topic; the group's committed offsets
# are the high watermarks.
. "$RL_TESTS/integration/lib.sh"
rl_init kafka_restart
. "$RL_TESTS/integration/daemon_lib.sh"
[ "$RL_BROKER" = kafka ] || rl_fail "a real-Kafka test (RL_BROKER=kafka)"
DUMP="$RL_BUILD/tests/rel_ckpt_dump"
COMMITTED="$RL_BUILD/tests/rel_committed"
[ -x "$DUMP" ] && [ -x "$COMMITTED" ] || rl_fail "build rel_ckpt_dump and rel_committed first"

total=3000
rl_broker_start b --partitions 2 --topics events
bs=$(rl_bootstrap b)
rl_gen_stream $total 17 >"$RL_WORK/s.svm"
rl_daemon_config a b "[input]" "batch_size = 50" "[checkpoint]" "every_events = 200" \
    "every_seconds = 0.5" "[snapshot]" "every_events = 500"
rl_daemon_start a
# The producer outlives the outage: its messages wait (idempotent, in order) until the broker
# is back.
rl_bg produce timeout 300 "$RELEARN" produce --brokers "$bs" --topic events --key line --rate 150 \
    -X message.timeout.ms=200000 "$RL_WORK/s.svm"
prod=$RL_LAST_PID
rl_wait_for 60 sh -c "[ \"\$(curl -s http://127.0.0.1:$(cat "$RL_WORK/a.port")/metrics | awk '\$1 == \"relearnd_model_events\" { print \$2 }')\" -ge 600 ]" ||
    rl_fail "relearnd did not learn 600 events"
before=$(rl_metric a model_events)
rl_kafka_node b kill 1
rl_log "broker killed at model_events=$before"
sleep 3
rl_kafka_node b start 1
rl_log "broker back (data recovered from disk) at model_events=$(rl_metric a model_events)"
wait $prod
rl_assert_eq "producer exit status (every event delivered)" 0 $?
rl_wait_metric a model_events $total 120
sleep 3 # a replay would push the count past n
rl_assert_eq "events learned, broker restart included" $total "$(rl_metric a model_events)"
# The outage outlasts the group session: the coordinator drops the member, the commit is
# refused, and relearnd rolls its model back to the last committed checkpoint and reads those
# events again (README, "Exactly once"). Every event learned this run is then either in the
# model once or undone by a roll-back, counted from the log lines.
undone=$(sed -n 's/.*msg="hand-over commit refused.*events_before=\([0-9]*\) events_after=\([0-9]*\).*/\1 \2/p' "$RL_WORK/a.log" |
    awk '{ s += $1 - $2 } END { print s + 0 }')
rl_assert_eq "events learned in this run minus those rolled back" $total \
    $(($(rl_metric a 'events_total{outcome="learned"}') - undone))
rl_log "roll-backs: $(rl_metric a handover_rollbacks_total) ($undone events read again)"
rl_assert_eq "offset resets" 0 "$(rl_metric a offset_resets_total)"
kill -0 "$(rl_daemon_pid a)" || rl_fail "relearnd exited during the broker outage"
rl_daemon_stop a

# Independent counts of the topic: kcat (librdkafka) and python3-kafka.
rl_assert_eq "events on the topic (kcat)" $total "$(rl_kcat_count b events)"
rl_topics b offsets events >"$RL_WORK/offsets.txt"
rl_assert_eq "events on the topic (python3-kafka)" $total "$(awk '{ s += $3 - $2 } END { print s }' "$RL_WORK/offsets.txt")"
"$DUMP" "$RL_WORK/ckpt-a" >"$RL_WORK/a.dump" || rl_fail "cannot read the checkpoint"
rl_assert_eq "checkpointed events" $total "$(sed -n 's/^events=//p' "$RL_WORK/a.dump")"
while read -r p lo hi; do
    rl_assert_eq "checkpointed offset of events[$p]" "offset events $p $hi" "$(grep "^offset events $p " "$RL_WORK/a.dump")"
done <"$RL_WORK/offsets.txt"
"$COMMITTED" "$bs" g events 2 >"$RL_WORK/committed.txt" 2>"$RL_WORK/committed.err" ||
    rl_fail "rel_committed: $(cat "$RL_WORK/committed.err")"
rl_assert_eq "the group's committed offsets (asked of the broker)" \
    "$(awk '{ print "events", $1, $3 }' "$RL_WORK/offsets.txt")" "$(awk '{ print $1, $2, $3 }' "$RL_WORK/committed.txt")"
grep -q 'msg="brokers reachable again"\|msg="kafka error"' "$RL_WORK/a.log" ||
    rl_fail "relearnd did not notice the outage"
rl_log "ok: $total events, each learned once across a broker kill -9 and restart"
