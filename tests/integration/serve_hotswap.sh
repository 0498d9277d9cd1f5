#!/bin/sh
# serve_hotswap: a bounded load generator (bench_serve_load, 2 keep-alive connections) predicts
# continuously through `relearn serve` while 50 versions are published to the topic it
# follows: zero errors, and every answer is byte for byte the answer of the version it names
# (computed in-process by librelearn from that version's file).
set -eu
. "$RL_TESTS/integration/lib.sh"
rl_init serve_hotswap
. "$RL_TESTS/integration/serve_lib.sh"
N=50
RL_SERVE_MODEL=m
LOAD="$RL_BUILD/bench/bench_serve_load"
[ -x "$LOAD" ] || rl_skip "bench_serve_load not built"

rl_probes 20 4242 >"$RL_WORK/probes.txt"
rl_probes_json <"$RL_WORK/probes.txt" >"$RL_WORK/body.json"
mkdir -p "$RL_WORK/expect"
for v in $(seq 1 $N); do
    mkdir -p "$RL_WORK/v$v"
    "$RL_BUILD/tests/rl_snapshot_gen" --model m --instance i1 --version "$v" --max-msg 900000 \
        --dir "$RL_WORK/v$v" >/dev/null
    rl_expected_body "$RL_WORK/v$v/whole" "$v" <"$RL_WORK/probes.txt" >"$RL_WORK/expect/$v"
done
distinct=$(cat "$RL_WORK"/expect/* | sed 's/"model_version".*//' | sort -u | wc -l)
[ "$distinct" -ge $((N / 2)) ] || rl_fail "only $distinct distinct answers over $N versions"

rl_broker_start b --partitions 1 --topics snaps
rl_kcat b -P -t snaps -k m "$RL_WORK/v1/whole"
rl_serve_start serve --brokers "$(rl_bootstrap b)" --topic snaps --model m --threads 2
rl_wait_for 20 sh -c "[ \"\$(curl -s --max-time 5 $RL_SERVE_URL/v1/models/m | grep -o '\"version\": [0-9]*')\" = '\"version\": 1' ]" ||
    rl_fail "version 1 not served"
ADDR=${RL_SERVE_URL#http://}
"$LOAD" --addr "$ADDR" --path /v1/models/m:predict --body "$RL_WORK/body.json" --connections 2 \
    --seconds 240 --stop-file "$RL_WORK/stop" --expect "$RL_WORK/expect" >"$RL_WORK/load.out" 2>&1 &
LOAD_PID=$!
rl_track $LOAD_PID
sleep 0.3
for v in $(seq 2 $N); do
    rl_kcat b -P -t snaps -k m "$RL_WORK/v$v/whole"
    rl_wait_for 20 sh -c "curl -s --max-time 5 $RL_SERVE_URL/v1/models/m | grep -q '\"version\": $v,'" ||
        rl_fail "version $v not swapped in: $(rl_serve_get /v1/models/m)"
    sleep 0.05
done
sleep 0.3
touch "$RL_WORK/stop"
wait $LOAD_PID || rl_fail "load: $(cat "$RL_WORK/load.out")"
rl_log "$(cat "$RL_WORK/load.out")"
grep -q ' errors=0 mismatches=0 ' "$RL_WORK/load.out" || rl_fail "load: $(cat "$RL_WORK/load.out")"
seen=$(sed -n 's/.*versions_seen=\([0-9]*\).*/\1/p' "$RL_WORK/load.out")
[ "$seen" -ge $((N - 5)) ] || rl_fail "answers named only $seen of $N versions"
rl_serve_get /metrics | grep -q "^relearn_serve_model_version $N\$" || rl_fail "metrics: not version $N"
rl_log "ok"
