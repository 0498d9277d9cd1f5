# daemon_offsetreset.sh - the broker no longer holds the offset relearnd's checkpoint resumes
# from (retention moved the log start past it): relearnd follows auto.offset.reset (earliest),
# visibly - an error line naming topic, partition, the expected and the actual offset, and
# relearnd_offset_resets_total - and keeps going.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_offsetreset
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
rl_gen_stream 100 1 >"$RL_WORK/s1.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s1.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 100 60
rl_daemon_stop a

# While it is down, about 8 MB more than the mock broker keeps per partition (~5 MiB): the
# oldest batches, and with them offset 100, are dropped.
awk 'BEGIN { srand(9); for (i = 0; i < 4000; i++) { printf "%d", i % 2;
    for (f = 1; f <= 200; f++) printf " %d:%.6f", f, rand(); printf "\n" } }' >"$RL_WORK/big.svm"
"$RELEARN" produce --brokers "$bs" --topic events --compression none "$RL_WORK/big.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
lo=$(rl_kcat b -Q -t events:0:-2 2>/dev/null | awk '{ print $NF }')
rl_log "log start is now ${lo:-unknown}"

rl_daemon_start a
rl_wait_for 60 sh -c "[ \"\$(curl -s http://127.0.0.1:\$(cat $RL_WORK/a.port)/metrics | awk '\$1==\"relearnd_offset_resets_total\"{print \$2}')\" -ge 1 ]" ||
    rl_fail "no offset reset counted"
grep -q 'level=error msg="offset jump forward: events lost" topic=events partition=0 expected=100 got=' "$RL_WORK/a.log" ||
    grep -q 'level=error msg="offset out of range" topic=events partition=0' "$RL_WORK/a.log" ||
    rl_fail "offset reset not logged with topic, partition and offsets"
kill -0 "$(rl_daemon_pid a)" || rl_fail "relearnd died on an offset reset"
rl_daemon_stop a

# A new group, nothing committed: auto.offset.reset (earliest) starts at the log start, and the
# events before it - removed before this group read them - are reported lost, with the count.
if [ -n "$lo" ] && [ "$lo" -gt 0 ]; then
    rl_daemon_config n b
    sed -i 's/^group = g$/group = fresh/' "$RL_WORK/n.ini"
    rl_daemon_start n
    rl_wait_for 60 grep -q 'msg="offset jump forward: events lost" topic=events partition=0 expected=0 got='"$lo"' lost='"$lo"' when=first_assignment' "$RL_WORK/n.log" ||
        rl_fail "events lost before the first assignment not reported: $(grep 'partition assigned\|offset jump' "$RL_WORK/n.log")"
    grep -q 'msg="partition assigned" topic=events partition=0 start=auto.offset.reset ' "$RL_WORK/n.log" ||
        rl_fail "assignment not logged with a readable start: $(grep 'partition assigned' "$RL_WORK/n.log")"
    # /metrics is refreshed a moment after the log line is written.
    rl_wait_metric n 'offset_lost_events_total{topic="events",partition="0"}' "$lo" 10
    rl_daemon_stop n
else
    rl_fail "the log start did not move (lo=$lo): the test cannot check a loss"
fi
rl_log "ok"
