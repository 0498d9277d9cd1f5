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
grep -q 'level=error msg="offset jump: position reset by auto.offset.reset" topic=events partition=0 expected=100 got=' "$RL_WORK/a.log" ||
    grep -q 'level=error msg="offset out of range" topic=events partition=0' "$RL_WORK/a.log" ||
    rl_fail "offset reset not logged with topic, partition and offsets"
kill -0 "$(rl_daemon_pid a)" || rl_fail "relearnd died on an offset reset"
rl_daemon_stop a
rl_log "ok"
