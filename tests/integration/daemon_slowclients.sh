# daemon_slowclients.sh - slow HTTP clients must not take /metrics and /healthz down (issue 17,
# item 3). 50 clients on loopback each send a request line and then one header line every 2 s,
# never finishing, for 20 s; meanwhile a probe from another address (127.0.0.2, as the kubelet
# or Prometheus would come from theirs) asks /healthz and /metrics every half second, and every
# answer must come within 2 s. Before, 32 slow clients held all of libmicrohttpd's slots (its
# timeout restarts with every line) and every probe failed. Also: no slow connection outlives the
# whole-request deadline by more than the watchdog's tick, and the metrics count what was cut.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_slowclients
. "$RL_TESTS/integration/daemon_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || rl_skip "no /usr/bin/python3"
rl_broker_start b --partitions 1 --topics events
rl_daemon_config a b
rl_daemon_start a
port=$(cat "$RL_WORK/a.port")
curl -s --max-time 2 --interface 127.0.0.2 -o /dev/null "http://127.0.0.1:$port/healthz" ||
    rl_skip "cannot connect from 127.0.0.2 on this machine's loopback"

rl_bg slow timeout 60 "$PY" "$RL_TESTS/integration/slow_clients.py" "$port" 50 2 20
slow=$RL_LAST_PID
sleep 3 # the slow clients are connected
ok=0
bad=0
i=0
while [ $i -lt 30 ]; do
    for path in healthz metrics; do
        code=$(curl -s --max-time 2 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' \
            "http://127.0.0.1:$port/$path")
        if [ "$code" = 200 ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
    done
    sleep 0.5
    i=$((i + 1))
done
wait $slow
summary=$(cat "$RL_WORK/slow.log")
rl_log "probes ok=$ok failed=$bad; slow clients: $summary"
rl_assert_eq "probes that failed under 50 slow clients" 0 "$bad"
life=$(echo "$summary" | sed -n 's/.*max_lifetime_s=\([0-9.]*\).*/\1/p')
awk -v l="$life" 'BEGIN { exit !(l != "" && l <= 8) }' ||
    rl_fail "a trickling connection stayed open ${life}s (request timeout 5 s)"
timed_out=$(rl_metric a http_timed_out_total)
[ "${timed_out:-0}" -ge 1 ] || rl_fail "no connection counted as timed out"
rl_daemon_stop a
rl_log "ok"
