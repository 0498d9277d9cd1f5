# kafka_group.sh - two relearnd instances in one group against Apache Kafka's group coordinator
# (the mock's refuses commits during a rebalance and rejoins slowly; this is the one users
# run). While 4 partitions stream in, x learns alone; y joins (rebalance), leaves with SIGTERM
# (graceful leave), joins again; then x is killed -9 (its partitions move to y after x's
# session times out) and restarted. Every event learned once: x's and y's final checkpoints
# together hold exactly the events produced, the same count as a single instance that read
# the whole topic alone (r, its own group); the group's committed offsets are the partitions'
# ends; no offset jump, no reset.
. "$RL_TESTS/integration/lib.sh"
rl_init kafka_group
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/kafka_lib.sh"

total=3000
rl_broker_start b --partitions 4 --topics events
member() {
    rl_daemon_config "$1" b "[input]" "batch_size = 50" "[checkpoint]" "every_events = 100" \
        "every_seconds = 0.3" "[kafka]" "session.timeout.ms = 3000" "heartbeat.interval.ms = 300"
}
member x
member y
rl_daemon_start x
rl_stream_to x b $total 41 80
rl_wait_learned x 300
rl_daemon_start y # join: a rebalance moves partitions to y
rl_wait_learned y 100
rl_daemon_stop y # graceful leave
rl_log "y left at x=$(rl_metric x model_events)"
rl_daemon_start y # join again
rl_wait_for 60 grep -q 'msg="partition assigned"' "$RL_WORK/y.log" || rl_fail "y never rejoined"
y_before=$(rl_metric y model_events)
rl_wait_learned y $((y_before + 100))
rl_daemon_kill9 x
rl_log "x killed -9 at y=$(rl_metric y model_events)"
sleep 5 # x's session (3 s) times out: y takes all partitions
rl_daemon_start x # x rejoins from its checkpoint
wait $RL_PROD_PID
rl_assert_eq "producer exit status" 0 $?

# Both idle at the partitions' ends: their checkpoints hold the whole stream, once.
ends=$(rl_topics b offsets events | awk '{ print "events", $1, $3 }')
at_ends() {
    [ "$("$RL_COMMITTED" "$(rl_bootstrap b)" g events 4 2>/dev/null | awk '{ print $1, $2, $3 }')" = "$ends" ]
}
rl_wait_for 120 at_ends || rl_fail "the group's commits never reached the partition ends: $("$RL_COMMITTED" "$(rl_bootstrap b)" g events 4 | tr '\n' ';')"
sleep 3
rl_daemon_stop x
rl_daemon_stop y
"$RL_DUMP" "$RL_WORK/ckpt-x" >"$RL_WORK/x.dump" || rl_fail "x left no checkpoint"
"$RL_DUMP" "$RL_WORK/ckpt-y" >"$RL_WORK/y.dump" || rl_fail "y left no checkpoint"
xe=$(sed -n 's/^events=//p' "$RL_WORK/x.dump")
ye=$(sed -n 's/^events=//p' "$RL_WORK/y.dump")
if [ $((xe + ye)) -ne $total ]; then
    grep -h 'msg="offset commit failed\|msg="partitions lost\|msg="partition assigned\|msg="partition revoked\|msg="hand-over' \
        "$RL_WORK/x.log" "$RL_WORK/y.log" >&2
    rl_fail "x learned $xe + y $ye = $((xe + ye)) events, produced $total ($((xe + ye - total)) twice if positive, lost if negative)"
fi
grep -q 'msg="offset jump' "$RL_WORK/x.log" "$RL_WORK/y.log" && rl_fail "an offset jump was logged"

# The single-instance reference reads the same topic alone.
rl_daemon_config r b "[input]" "group = ref" "[checkpoint]" "every_events = 100000" "every_seconds = 0"
rl_daemon_start r
rl_wait_metric r model_events $total 120
rl_daemon_stop r
"$RL_DUMP" "$RL_WORK/ckpt-r" >"$RL_WORK/r.dump" || rl_fail "r left no checkpoint"
rl_assert_eq "events learned: x + y (one group, rebalances, kill -9) vs one instance alone" \
    "$(sed -n 's/^events=//p' "$RL_WORK/r.dump")" $((xe + ye))
rl_log "ok: x $xe + y $ye = $total = one instance alone; roll-backs x $(rl_rolled_back x), y $(rl_rolled_back y) events"
