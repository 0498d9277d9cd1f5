# daemon_health.sh - /healthz and the events counter follow what the consumer does: while events
# flow relearnd_events_total rises between two scrapes and /healthz is 200; when the log grows but
# nothing can be consumed (every fetch refused by the broker) for longer than stuck_after,
# /healthz is 503 and says "consumer stuck" with the partition and its lag; once fetches work
# again it recovers to 200.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_health
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
rl_daemon_config a b "[input]" "stuck_after = 2"
rl_daemon_start a
port=$(cat "$RL_WORK/a.port")

# A second relearnd asked to listen on the same port stops with one log line saying why (not
# libmicrohttpd's raw "Failed to bind to port 0").
rl_daemon_config busy b "[input]" "group = g-busy"
timeout 60 "$RELEARND" --config "$RL_WORK/busy.ini" --metrics-listen "127.0.0.1:$port" \
    >/dev/null 2>"$RL_WORK/busy.err"
rl_assert_eq "exit status with the metrics port taken" 1 $?
grep -q "msg=\"start-up failed\" error=\"\[metrics\] listen: cannot listen on 127.0.0.1:$port: Address already in use\"" \
    "$RL_WORK/busy.err" || rl_fail "port-taken message: $(tail -n 2 "$RL_WORK/busy.err")"
grep -q "^Failed to bind" "$RL_WORK/busy.err" && rl_fail "raw libmicrohttpd line on stderr"

# Events keep arriving for a while (small batches); the counter must rise while they do
# (Prometheus's rate() over it is the events per second; relearnd exports no rate of its own).
(
    i=0
    while [ $i -lt 12 ]; do
        rl_gen_stream 50 $((100 + i)) >"$RL_WORK/flow-$i.svm"
        "$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/flow-$i.svm" \
            2>>"$RL_WORK/produce.log" || exit 1
        sleep 0.5
        i=$((i + 1))
    done
) &
flow=$!
rl_track $flow
learned() { rl_metric a 'events_total{outcome="learned"}'; }
first=$(learned)
rising() {
    r=$(learned)
    [ -n "$r" ] && [ "$r" -gt "${first:-0}" ]
}
rl_wait_for 15 rising || rl_fail "events_total stayed '$(learned)' (first '$first') while events flowed"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
rl_assert_eq "/healthz while events flow" 200 "$code"
wait $flow || rl_fail "producing the flow failed: $(tail -3 "$RL_WORK/produce.log")"
rl_wait_metric a model_events 600 30

# Every fetch refused from now on; new events make a lag nothing consumes.
rl_broker_ctl b "error fetch 100000 NOT_LEADER_FOR_PARTITION"
rl_gen_stream 100 7 >"$RL_WORK/more.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/more.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
stuck() {
    curl -s -o "$RL_WORK/healthz.txt" -w '%{http_code}' "http://127.0.0.1:$port/healthz" |
        grep -q 503 && grep -q 'consumer stuck: events/0 lag 100' "$RL_WORK/healthz.txt"
}
rl_wait_for 20 stuck || rl_fail "/healthz not stuck: $(curl -s -w ' %{http_code}' "http://127.0.0.1:$port/healthz")"
rl_assert_eq "model events while stuck" 600 "$(rl_metric a model_events)"

# Fetches work again: consumed, healthy.
rl_broker_ctl b "clear-errors fetch"
rl_wait_metric a model_events 700 30
healthy() {
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" | grep -q 200
}
rl_wait_for 10 healthy || rl_fail "/healthz did not recover: $(curl -s "http://127.0.0.1:$port/healthz")"
rl_daemon_stop a
rl_log "ok"
