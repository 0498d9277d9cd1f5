# kafka_autocreate_off.sh - topic auto-creation off, as production clusters run it (real Kafka
# only: `relearn broker` creates whatever it is asked about). The cluster really refuses to
# create a topic on use (a produce to it fails, python3-kafka's Admin API does not list it),
# and relearnd, configured with a topic the cluster does not have, stops at start-up with exit
# status 2 (configuration error) and one line naming the config key, the topic and the reason
# - for an input topic and for an output topic - instead of waiting behind "consumer error"
# warnings or failing every snapshot at delivery. The same for a setting the brokers refuse on
# every try: a session.timeout.ms below group.min.session.timeout.ms (1 s on the test cluster,
# 6 s by default) stops relearnd with exit status 2 and the fix, instead of a JoinGroup retried
# forever.
. "$RL_TESTS/integration/lib.sh"
rl_init kafka_autocreate_off
. "$RL_TESTS/integration/daemon_lib.sh"
[ "$RL_BROKER" = kafka ] || rl_fail "a real-Kafka test (RL_BROKER=kafka)"

rl_broker_start b --partitions 2 --topics events
bs=$(rl_bootstrap b)
grep -q '^auto.create.topics.enable=false$' "$RL_WORK/kafka-b/node-1/server.properties" ||
    rl_fail "the test cluster does not run with auto-creation off"

# The cluster itself: producing to a missing topic fails, and the topic does not appear.
echo "1 1:1" | timeout 60 "$RELEARN" produce --brokers "$bs" --topic no-such-topic \
    -X message.timeout.ms=5000 - 2>"$RL_WORK/produce.err"
st=$?
[ $st -ne 0 ] || rl_fail "producing to a missing topic succeeded: the cluster created it"
rl_topic_exists b no-such-topic && rl_fail "the cluster created no-such-topic on use"
rl_topic_exists b events || rl_fail "the Admin API does not list events"

# expect_missing NAME KEY TOPIC: relearnd NAME exits 2 at start-up, naming KEY and TOPIC.
expect_missing() {
    timeout 60 "$RELEARND" --config "$RL_WORK/$1.ini" --metrics-listen off 2>"$RL_WORK/$1.err"
    st=$?
    rl_assert_eq "exit status with a missing topic ($2)" 2 $st
    grep -qF "level=error msg=\"start-up failed\" error=\"$2: topic '$3' does not exist on the cluster at $bs" \
        "$RL_WORK/$1.err" || rl_fail "missing $3 not named: $(tail -n 2 "$RL_WORK/$1.err")"
    [ -z "$(ls "$RL_WORK/ckpt-$1" 2>/dev/null)" ] || rl_fail "relearnd $1 wrote a checkpoint before failing"
    rl_log "$2 '$3': $(sed -n 's/.*error="\(.*\)"$/\1/p' "$RL_WORK/$1.err")"
}

rl_daemon_config in b "[input]" "topics = events,evnets"
expect_missing in "[input] topics" evnets
rl_daemon_config out b "[output]" "snapshot_topic = model-snapshots"
expect_missing out "[output] snapshot_topic" model-snapshots
rl_topic_exists b model-snapshots && rl_fail "relearnd's check created model-snapshots"

# Created, the same config starts and learns.
rl_topic_create b model-snapshots 1
rl_gen_stream 200 5 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_start out
rl_wait_metric out model_events 200 60
kill -USR1 "$(rl_daemon_pid out)"
rl_wait_metric out snapshot_version 1 30
rl_daemon_stop out
rl_assert_eq "snapshots on model-snapshots" 1 "$(rl_kcat_count b model-snapshots)"

rl_daemon_config short b "[input]" "group = g-short" "[kafka]" "session.timeout.ms = 500"
rl_daemon_start short
rl_daemon_pid short >/dev/null
_i=0
while kill -0 "$(rl_daemon_pid short)" 2>/dev/null && [ $_i -lt 300 ]; do
    sleep 0.1
    _i=$((_i + 1))
done
kill -0 "$(rl_daemon_pid short)" 2>/dev/null && rl_fail "relearnd kept retrying a session timeout the brokers refuse"
wait "$(rl_daemon_pid short)"
rl_assert_eq "exit status with a session timeout the brokers refuse" 2 $?
grep -q 'level=error msg="the brokers refuse the consumer group.s session timeout"' "$RL_WORK/short.log" ||
    rl_fail "refused session timeout not explained: $(grep -v '^%' "$RL_WORK/short.log" | tail -n 3)"
rl_log ok
