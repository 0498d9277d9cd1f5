# daemon_ckptdir_gone.sh - the checkpoint directory deleted under a running relearnd (issue 17,
# item 7). Before, relearnd re-created the path silently while its lock stayed on the deleted
# directory, so a second relearnd could start on the same path and both wrote there. Now it
# notices (the path's st_dev/st_ino no longer those of the locked directory), logs, alerts
# (detector "checkpoint_dir"), stops checkpointing there - the path is not re-created - and
# /healthz answers 503 with the reason. Its final checkpoint cannot be written: exit status 1.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_ckptdir_gone
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
rl_gen_stream 300 51 >"$RL_WORK/s1.svm"
rl_gen_stream 300 52 >"$RL_WORK/s2.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s1.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 300 60
rl_wait_for 20 grep -q 'msg="checkpoint written".* events=300 ' "$RL_WORK/a.log" ||
    rl_fail "no checkpoint at 300 events"
rm -rf "$RL_WORK/ckpt-a"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s2.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_wait_metric a model_events 600 60
rl_wait_for 20 grep -q 'level=error msg="checkpoint directory removed or replaced; checkpoints stop"' \
    "$RL_WORK/a.log" || rl_fail "the removed directory was not noticed"
sleep 3 # checkpoints are due every second: none may re-create the path
[ ! -e "$RL_WORK/ckpt-a" ] || rl_fail "relearnd re-created the checkpoint directory: $(ls -la "$RL_WORK/ckpt-a")"
health=$(curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$(cat "$RL_WORK/a.port")/healthz")
case "$health" in
*"checkpoint directory"*"not checkpointing there"*" 503") ;;
*) rl_fail "/healthz does not say so: '$health'" ;;
esac
kill -TERM "$(rl_daemon_pid a)"
wait "$(rl_daemon_pid a)"
rl_assert_eq "exit status without a checkpoint directory" 1 $?
[ ! -e "$RL_WORK/ckpt-a" ] || rl_fail "the final checkpoint re-created the directory"
rl_kcat b -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/alerts.jsonl" ||
    rl_fail "kcat could not read the alerts topic"
grep -q '"detector":"checkpoint_dir"' "$RL_WORK/alerts.jsonl" || rl_fail "no checkpoint_dir alert"
rl_log "ok"
