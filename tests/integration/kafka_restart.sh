# kafka_restart.sh - the broker restarts with its data on disk while relearnd learns (real
# Kafka only: `relearn broker` keeps nothing across a restart). Events stream in at a fixed
# rate; mid-stream the only broker is killed (SIGKILL: an unclean shutdown, the log recovered
# from disk) and started again on the same ports and data. relearnd keeps running through the
# outage and resumes by itself, and every event is learned once (rl_check_once: relearnd's
# counters, its checkpoint, the group's commits, kcat and python3-kafka).
. "$RL_TESTS/integration/lib.sh"
rl_init kafka_restart
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/kafka_lib.sh"

total=3000
rl_broker_start b --partitions 2 --topics events
rl_daemon_config a b "[input]" "batch_size = 50" "[checkpoint]" "every_events = 200" \
    "every_seconds = 0.5" "[snapshot]" "every_events = 500"
rl_daemon_start a
rl_stream_to a b $total 17 150
rl_wait_learned a 600
rl_kafka_node b kill 1
rl_log "broker killed at model_events=$(rl_metric a model_events)"
sleep 3
rl_kafka_node b start 1
rl_log "broker back (data recovered from disk) at model_events=$(rl_metric a model_events)"
wait $RL_PROD_PID
rl_assert_eq "producer exit status (every event delivered)" 0 $?
kill -0 "$(rl_daemon_pid a)" || rl_fail "relearnd exited during the broker outage"
# The outage reached relearnd's clients (librdkafka's own lines, or relearnd's rate-limited
# "kafka error").
grep -q 'Connection refused\|Disconnected\|msg="kafka error"' "$RL_WORK/a.log" ||
    rl_fail "relearnd's clients never saw the broker go away"
rl_check_once a b events $total
rl_log "ok: $total events, each learned once across a broker kill -9 and restart"
