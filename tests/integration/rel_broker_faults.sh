# rel_broker_faults.sh - relearnd under broker faults injected through `relearn broker
# --control` (issue 6), on a 3-broker cluster with a 4-partition input topic:
#   every broker down and back, partition leaders moved, request errors on fetch, produce and
#   offset commit, and added latency (the consumer-group rebalance is rel_rebalance.sh).
# After each: relearnd is still running, has reported the trouble where there is any to see
# (log, metrics, /healthz 503 while the brokers are down, failed commits counted, fetch errors
# and dropped connections logged), and has
# caught up with nothing lost or doubled: the events it learned equal the events produced, no
# offset was skipped,
# and the group's committed offsets (asked of the broker) end at every partition's end.
# RL_LONG=1 repeats the fault rounds three times with more events.
. "$RL_TESTS/integration/lib.sh"
rl_init rel_broker_faults
. "$RL_TESTS/integration/daemon_lib.sh"

COMMITTED="$RL_BUILD/tests/rel_committed"
[ -x "$COMMITTED" ] || rl_fail "no $COMMITTED"
rounds=1
batch=400
if [ "${RL_LONG:-0}" = 1 ]; then
    rounds=3
    batch=2000
fi

rl_broker_start b --brokers 3 --partitions 4 --topics events
bs=$(rl_bootstrap b)
total=0
seedn=100

# produce N [relearn produce options]: N more events, waits for every delivery.
produce() {
    n=$1
    shift
    seedn=$((seedn + 1))
    rl_gen_stream "$n" $seedn >"$RL_WORK/batch-$seedn.svm"
    timeout 120 "$RELEARN" produce --brokers "$bs" --topic events -X message.timeout.ms=100000 "$@" \
        "$RL_WORK/batch-$seedn.svm" 2>>"$RL_WORK/produce.log" || rl_fail "produce failed: $(tail -n 2 "$RL_WORK/produce.log")"
    total=$((total + n))
}

healthz_code() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(cat "$RL_WORK/$1.port")/healthz"
}
healthz_is() {
    [ "$(healthz_code "$1")" = "$2" ]
}
alive() {
    kill -0 "$(rl_daemon_pid "$1")" 2>/dev/null || rl_fail "relearnd $1 died ($2)"
}

# caught_up WHAT: a has learned exactly every event produced, and stays there.
caught_up() {
    rl_wait_metric a model_events $total 120
    sleep 1
    rl_assert_eq "$1: events learned" $total "$(rl_metric a model_events)"
    rl_assert_eq "$1: offset resets" 0 "$(rl_metric a offset_resets_total)"
    alive a "$1"
    rl_log "$1: caught up, $total events learned exactly once"
}

rl_daemon_config a b "[input]" "batch_size = 50" "[checkpoint]" "every_events = 100" \
    "every_seconds = 0.3" "[snapshot]" "every_events = 300" "gate_tolerance = 1000000" \
    "[kafka]" "session.timeout.ms = 6000" "heartbeat.interval.ms = 500" "retry.backoff.ms = 100"
rl_daemon_start a
produce $batch
caught_up "start"

round=0
while [ $round -lt $rounds ]; do
    round=$((round + 1))

    # -- every broker down, then back; events produced during the outage arrive afterwards.
    log0=$(wc -l <"$RL_WORK/a.log")
    rl_broker_ctl b "broker-down -1"
    rl_wait_metric a brokers_down 1 30
    rl_wait_for 15 healthz_is a 503 || rl_fail "/healthz is $(healthz_code a) with every broker down"
    curl -s --max-time 5 "http://127.0.0.1:$(cat "$RL_WORK/a.port")/healthz" | grep -q 'brokers down' ||
        rl_fail "/healthz does not say the brokers are down"
    tail -n +"$log0" "$RL_WORK/a.log" | grep -q 'level=warn msg="kafka error"' || rl_fail "outage not logged"
    rl_bg produce-outage timeout 120 "$RELEARN" produce --brokers "$bs" --topic events \
        -X message.timeout.ms=100000 "$RL_WORK/batch-$seedn.svm"
    outage=$RL_LAST_PID
    sleep 3
    alive a "broker down"
    rl_broker_ctl b "broker-up -1"
    wait $outage || rl_fail "produce across the outage failed"
    total=$((total + batch))
    rl_wait_metric a brokers_down 0 30
    rl_wait_for 15 healthz_is a 200 || rl_fail "/healthz is $(healthz_code a) after the brokers came back"
    caught_up "round $round: brokers down and back"

    # -- leaders move while events flow.
    rl_bg produce-leaders timeout 120 "$RELEARN" produce --brokers "$bs" --topic events --rate 500 \
        "$RL_WORK/batch-$seedn.svm"
    mover=$RL_LAST_PID
    for p in 0 1 2 3; do
        rl_broker_ctl b "leader events $p $(((p + round) % 3 + 1))"
        sleep 0.3
    done
    wait $mover || rl_fail "produce while leaders moved failed"
    total=$((total + batch))
    caught_up "round $round: leaders moved"

    # -- fetch errors (retriable: NOT_LEADER, then a timeout), and the connection dropped.
    log0=$(wc -l <"$RL_WORK/a.log")
    rl_broker_ctl b "error fetch 10 NOT_LEADER_FOR_PARTITION"
    rl_broker_ctl b "error fetch 5 REQUEST_TIMED_OUT"
    produce $batch
    rl_broker_ctl b "error fetch 3 _TRANSPORT"
    produce $batch
    caught_up "round $round: fetch errors"
    tail -n +"$log0" "$RL_WORK/a.log" | grep -q 'msg="consumer error".*Fetch from broker [0-9]* failed' ||
        rl_fail "fetch errors not logged"
    tail -n +"$log0" "$RL_WORK/a.log" | grep -q 'msg="kafka error" code=_TRANSPORT' ||
        rl_fail "dropped connection not logged"
    rl_broker_ctl b "clear-errors fetch"

    # -- produce errors hit relearnd's own producer (snapshots) and the test's producer alike.
    rl_broker_ctl b "error produce 5 NOT_LEADER_FOR_PARTITION"
    rl_broker_ctl b "error produce 3 REQUEST_TIMED_OUT"
    produce $batch
    caught_up "round $round: produce errors"
    rl_broker_ctl b "clear-errors produce"

    # -- offset commits refused: counted and logged, offsets committed again by a later
    # checkpoint.
    failed0=$(rl_metric a 'commits_total{result="failed"}')
    log0=$(wc -l <"$RL_WORK/a.log")
    rl_broker_ctl b "error commit 4 OFFSET_METADATA_TOO_LARGE"
    produce $batch
    caught_up "round $round: commit errors"
    rl_wait_for 20 sh -c "[ \$(curl -s --max-time 5 http://127.0.0.1:$(cat "$RL_WORK/a.port")/metrics | awk '\$1 == \"relearnd_commits_total{result=\\\"failed\\\"}\" { print \$2 }') -gt $failed0 ]" ||
        rl_fail "refused commits not counted"
    tail -n +"$log0" "$RL_WORK/a.log" | grep -q 'msg="offset commit failed' || rl_fail "refused commits not logged"
    rl_broker_ctl b "clear-errors commit"

    # -- 300 ms added to every round trip.
    rl_broker_ctl b "latency -1 300"
    produce $batch
    caught_up "round $round: 300 ms latency"
    rl_broker_ctl b "latency -1 0"
done

# Committed offsets, from the broker: every partition's end, written by a.
rl_kcat b -C -q -t events -o beginning -e -f '%p\n' | sort | uniq -c | awk '{ print "events", $2, $1 }' >"$RL_WORK/ends.txt"
rl_wait_for 20 sh -c "\"$COMMITTED\" \"$bs\" g events 4 | awk '{ print \$1, \$2, \$3 }' | cmp -s - \"$RL_WORK/ends.txt\"" ||
    rl_fail "committed offsets $("$COMMITTED" "$bs" g events 4 | tr '\n' ';') != partition ends $(tr '\n' ';' <"$RL_WORK/ends.txt")"
"$COMMITTED" "$bs" g events 4 | awk '$4 !~ /^a:[0-9]+$/ { exit 1 }' || rl_fail "a commit not written by a"
grep -q 'msg="offset jump' "$RL_WORK/a.log" && rl_fail "an offset jump was logged"
rl_daemon_stop a
rl_log "ok: $rounds round(s) of faults, $total events"
