# rel_rebalance.sh - a consumer-group rebalance mid-stream (issue 6): while events flow into a
# 4-partition topic, a second relearnd (b2, same group, own checkpoint dir) joins, takes some
# partitions, learns from them, then leaves with SIGTERM; a takes the partitions back from
# b2's commits. Nothing may be lost or doubled across the two hand-overs: the events a learned
# plus the events b2's final checkpoint holds equal the events produced, no offset is skipped,
# and the group's committed offsets (asked of the broker) end at every partition's end.
# RL_LONG=1 runs three join/leave cycles. The group uses librdkafka's default (eager)
# assignment; RL_STRATEGY overrides partition.assignment.strategy (cooperative-sticky passes
# too). The mock broker refuses OffsetCommit while the group is joining, so the revoke commit
# fails here: exactly-once then rests on relearnd rolling back to its last committed checkpoint.
. "$RL_TESTS/integration/lib.sh"
rl_init rel_rebalance
. "$RL_TESTS/integration/daemon_lib.sh"

COMMITTED="$RL_BUILD/tests/rel_committed"
DUMP="$RL_BUILD/tests/rel_ckpt_dump"
[ -x "$COMMITTED" ] && [ -x "$DUMP" ] || rl_fail "build rel_committed and rel_ckpt_dump first"
cycles=1
[ "${RL_LONG:-0}" = 1 ] && cycles=3
strategy=${RL_STRATEGY:-range,roundrobin}

rl_broker_start b --partitions 4 --topics events
bs=$(rl_bootstrap b)
cfg_common() {
    echo "[input]"
    echo "batch_size = 50"
    echo "[checkpoint]"
    echo "every_events = 100"
    echo "every_seconds = 0.3"
    echo "[snapshot]"
    echo "every_events = 0"
    echo "every_seconds = 0"
    echo "[kafka]"
    echo "partition.assignment.strategy = $strategy"
}
rl_daemon_config a b "$(cfg_common)"
rl_daemon_start a
rl_gen_stream 400 50 >"$RL_WORK/s0.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s0.svm" 2>>"$RL_WORK/produce.log" || rl_fail "produce"
total=400
rl_wait_metric a model_events $total 60

b2_total=0
c=0
while [ $c -lt $cycles ]; do
    c=$((c + 1))
    nev=1500
    rl_gen_stream $nev $((60 + c)) >"$RL_WORK/s$c.svm"
    rl_bg produce-$c timeout 200 "$RELEARN" produce --brokers "$bs" --topic events --rate 150 "$RL_WORK/s$c.svm"
    prod=$RL_LAST_PID
    sleep 1
    rl_daemon_config b2 b "$(cfg_common)" "[checkpoint]" "dir = $RL_WORK/ckpt-b2-$c"
    rl_daemon_start b2
    b2_learning() {
        v=$(rl_metric b2 model_events)
        [ -n "$v" ] && [ "$v" -ge 50 ]
    }
    rl_wait_for 60 b2_learning || rl_fail "cycle $c: the second instance never got partitions"
    sleep 2
    rl_daemon_stop b2
    wait $prod || rl_fail "produce during the rebalance failed"
    total=$((total + nev))
    "$DUMP" "$RL_WORK/ckpt-b2-$c" >"$RL_WORK/b2-$c.dump" || rl_fail "b2 left no checkpoint"
    b2_total=$((b2_total + $(sed -n 's/^events=//p' "$RL_WORK/b2-$c.dump")))
    rl_wait_for 60 grep -q "committed_by=\"b2:" "$RL_WORK/a.log" || rl_fail "a never resumed a partition from b2's commit"
    # a learns everything b2 did not: wait until it has at least that, then for quiet.
    at_least() {
        v=$(rl_metric a model_events)
        [ -n "$v" ] && [ "$v" -ge $((total - b2_total)) ]
    }
    rl_wait_for 90 at_least || rl_fail "cycle $c: a stuck at $(rl_metric a model_events) events"
    sleep 3
    a_events=$(rl_metric a model_events)
    if [ $((a_events + b2_total)) -ne $total ]; then
        grep -h 'msg="offset commit failed\|msg="partitions lost\|msg="partition assigned\|msg="partition given up' \
            "$RL_WORK/a.log" "$RL_WORK/b2.log" >&2
        rl_fail "cycle $c: a learned $a_events + b2 $b2_total = $((a_events + b2_total)) events, produced $total ($((a_events + b2_total - total)) applied twice)"
    fi
    rl_log "cycle $c: a $a_events + b2 $b2_total = $total produced: none lost or doubled"
done
rl_assert_eq "offset resets" 0 "$(rl_metric a offset_resets_total)"
grep -q 'msg="offset jump' "$RL_WORK/a.log" "$RL_WORK/b2.log" && rl_fail "an offset jump was logged"
rl_kcat b -C -q -t events -o beginning -e -f '%p\n' | sort | uniq -c | awk '{ print "events", $2, $1 }' >"$RL_WORK/ends.txt"
rl_wait_for 20 sh -c "\"$COMMITTED\" \"$bs\" g events 4 | awk '{ print \$1, \$2, \$3 }' | cmp -s - \"$RL_WORK/ends.txt\"" ||
    rl_fail "committed offsets $("$COMMITTED" "$bs" g events 4 | tr '\n' ';') != partition ends $(tr '\n' ';' <"$RL_WORK/ends.txt")"
rl_daemon_stop a
rl_log "ok"
