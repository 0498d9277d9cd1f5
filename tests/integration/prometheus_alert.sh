# prometheus_alert.sh - a real Prometheus (Debian's package: loopback, a temporary storage
# directory, 1 s scrape and evaluation intervals) scrapes relearnd with deploy/prometheus's
# rules loaded: relearnd's target is up, and after a stream with an abrupt concept flip is
# produced, the RelearndDrift alert fires (Prometheus's /api/v1/alerts says firing).
. "$RL_TESTS/integration/lib.sh"
rl_init prometheus_alert
. "$RL_TESTS/integration/daemon_lib.sh"
command -v prometheus >/dev/null 2>&1 || rl_skip "prometheus is not installed (Debian package prometheus)"
rules="$(cd "$RL_TESTS/.." && pwd)/deploy/prometheus/relearnd-rules.yml"

rl_broker_start b --partitions 1 --topics events
rl_daemon_config a b "[drift]" "detector = ddm" "response = reset"
rl_daemon_start a
port=$(cat "$RL_WORK/a.port")
cat >"$RL_WORK/prometheus.yml" <<CFG
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: relearnd
    static_configs:
      - targets: ["127.0.0.1:$port"]
CFG
rl_bg prometheus prometheus --config.file="$RL_WORK/prometheus.yml" \
    --storage.tsdb.path="$RL_WORK/tsdb" --storage.tsdb.retention.time=1h \
    --web.listen-address=127.0.0.1:0
prom_port() {
    sed -n 's/.*msg="Listening on" address=127.0.0.1:\([0-9]*\).*/\1/p' "$RL_WORK/prometheus.log" | head -n 1
}
rl_wait_for 30 sh -c "[ -n \"\$(sed -n 's/.*msg=\"Listening on\" address=127.0.0.1:\([0-9]*\).*/\1/p' '$RL_WORK/prometheus.log')\" ]" ||
    rl_fail "prometheus did not start listening"
pp=$(prom_port)
api() { curl -s --max-time 5 "http://127.0.0.1:$pp/api/v1/$1"; }
target_up() { api 'query?query=up%7Bjob%3D%22relearnd%22%7D' | grep -q '"value":\[[0-9.]*,"1"\]'; }
rl_wait_for 30 target_up || rl_fail "relearnd's target never up in Prometheus: $(api targets | head -c 600)"
# The counter's 0 must be in the database before the drift: increase() needs the rise.
drifts_seen() { api 'query?query=relearnd_drifts_total' | grep -q "\"value\":\[[0-9.]*,\"$1\"\]"; }
rl_wait_for 30 drifts_seen 0 || rl_fail "relearnd_drifts_total 0 not scraped: $(api 'query?query=relearnd_drifts_total')"
api alerts | grep -q '"alertname":"RelearndDrift"' && rl_fail "RelearndDrift active before any drift: $(api alerts)"

rl_gen_stream 6000 5 3000 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_wait_metric a model_events 6000 60
[ "$(rl_metric a drifts_total)" -ge 1 ] || rl_fail "relearnd saw no drift in the flipped stream"
firing() { api alerts | grep -q '"labels":{"alertname":"RelearndDrift",[^}]*},"annotations":{[^}]*},"state":"firing"'; }
rl_wait_for 30 firing || rl_fail "RelearndDrift not firing: $(api alerts | head -c 800)"
api alerts >"$RL_WORK/alerts.json"
rl_log "ok: RelearndDrift firing in Prometheus: $(head -c 300 "$RL_WORK/alerts.json")"
rl_daemon_stop a
