# kafka_cluster.sh - a 3-broker cluster, replication factor 3, min.insync.replicas=2 (real
# Kafka only: the mock does not replicate). While relearnd learns and publishes snapshots, the
# broker leading the input partition 0 is killed (SIGKILL); leadership moves to a replica in
# sync, the producer and relearnd carry on with two brokers. No event is lost or learned twice
# (rl_check_once) and no snapshot version is lost, duplicated or reused (the versions on the
# topic are 1..K, K = relearnd's last published version).
. "$RL_TESTS/integration/lib.sh"
rl_init kafka_cluster
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/kafka_lib.sh"

total=3000
rl_broker_start b --brokers 3 --partitions 2 --topics events --set min.insync.replicas=2
rl_daemon_config a b "[input]" "batch_size = 50" "[checkpoint]" "every_events = 200" \
    "every_seconds = 0.5" "[snapshot]" "every_events = 300" "every_seconds = 1"
rl_daemon_start a
rl_stream_to a b $total 23 100
rl_wait_learned a 600
leader=$(rl_topics b leader events 0)
snap_leader=$(rl_topics b leader relearn-snapshots 0)
at_kill=$(rl_metric a model_events)
rl_kafka_node b kill "$leader"
[ "$at_kill" -lt $total ] || rl_fail "the kill came after the whole stream was learned: it tests nothing"
rl_log "killed broker $leader (leader of events/0; relearn-snapshots/0 led by $snap_leader) at model_events=$at_kill, snapshot version $(rl_metric a snapshot_version)"
# A new leader once the controller fences the dead broker (broker.session.timeout.ms, 9 s).
new_leader() {
    _l=$(timeout 30 /usr/bin/python3 "$RL_TESTS/kafka/topics.py" -b "$(rl_bootstrap b)" leader events 0)
    [ -n "$_l" ] && [ "$_l" -ge 1 ] && [ "$_l" != "$leader" ]
}
rl_wait_for 60 new_leader || rl_fail "no new leader for events/0 within 60 s"
rl_log "events/0 now led by broker $(rl_topics b leader events 0)"
wait $RL_PROD_PID
rl_assert_eq "producer exit status (acks=all, every event delivered)" 0 $?
rl_check_once a b events $total
last=$(sed -n 's/.*msg="relearnd stopped".* snapshot_version=\([0-9]*\).*/\1/p' "$RL_WORK/a.log" | tail -n 1)
k=$(rl_check_versions b a)
rl_assert_eq "versions on the topic vs relearnd's last published" "$last" "$k"
rl_log "ok: $total events once each, versions 1..$k, across the kill of broker $leader"
