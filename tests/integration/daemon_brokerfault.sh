# daemon_brokerfault.sh - the broker goes down under relearnd and comes back: relearnd keeps
# running, reports the trouble in its log, /metrics and /healthz (503 "all brokers down"), and
# catches up afterwards with every event learned exactly once.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_brokerfault
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 2 --topics events
bs=$(rl_bootstrap b)
produce() {
    rl_gen_stream 500 "$1" >"$RL_WORK/s$1.svm"
    "$RELEARN" produce --brokers "$bs" --topic events --key line "$RL_WORK/s$1.svm" \
        2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
}
healthz() {
    curl -s "http://127.0.0.1:$(cat "$RL_WORK/a.port")/healthz"
}
healthz_says() {
    healthz | grep -q "$1"
}

produce 1
rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 500 60

rl_broker_ctl b "broker-down 1"
rl_wait_metric a brokers_down 1 30
rl_wait_for 10 healthz_says 'all brokers down' || rl_fail "/healthz says '$(healthz)' with the broker down"
kill -0 "$(rl_daemon_pid a)" || rl_fail "relearnd died with the broker down"
grep -q 'msg="kafka error" code=_ALL_BROKERS_DOWN' "$RL_WORK/a.log" || rl_fail "broker down not logged"
sleep 3
kill -0 "$(rl_daemon_pid a)" || rl_fail "relearnd died with the broker down"

rl_broker_ctl b "broker-up 1"
rl_wait_metric a brokers_down 0 30
produce 2
rl_wait_metric a model_events 1000 60
rl_wait_for 10 healthz_says '^ok' || rl_fail "/healthz says '$(healthz)' after recovery"
sleep 2
rl_assert_eq "events learned across the outage" 1000 "$(rl_metric a model_events)"
rl_daemon_stop a
rl_log "ok"
