# daemon_metrics.sh - relearnd's /metrics follows Prometheus's conventions, checked on a live
# scrape: `promtool check metrics` (Prometheus's own linter) finds nothing; relearnd_info names
# the instance instance_id (Prometheus owns `instance`); no pre-computed rate; times are
# *_timestamp_seconds; durations are histograms; the drift state is one series per state; the
# standard process_* metrics are there; and after a kill -9 the model's counts restored from the
# checkpoint are gauges while the process counters start again from zero (a counter reset that
# rate() understands), never a counter that falls within one process.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_metrics
. "$RL_TESTS/integration/daemon_lib.sh"
command -v promtool >/dev/null 2>&1 || rl_skip "promtool is not installed (Debian package prometheus)"

rl_broker_start b --partitions 1 --topics events
rl_gen_stream 6000 5 3000 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_config a b "[drift]" "detector = ddm" "response = reset" \
    "[snapshot]" "every_events = 1000" "[checkpoint]" "every_events = 4000" "every_seconds = 0"
rl_daemon_start a
rl_wait_metric a model_events 6000 60
rl_wait_for 20 sh -c "[ \"\$(curl -s http://127.0.0.1:$(cat "$RL_WORK/a.port")/metrics |
    awk '\$1==\"relearnd_snapshots_total{result=\\\"published\\\"}\"{print \$2}')\" -ge 1 ]" ||
    rl_fail "no snapshot published"
scrape() { curl -s --max-time 5 "http://127.0.0.1:$(cat "$RL_WORK/a.port")/metrics" >"$RL_WORK/$1.txt"; }
scrape m1
promtool check metrics <"$RL_WORK/m1.txt" >"$RL_WORK/promtool.txt" 2>&1 ||
    rl_fail "promtool check metrics: $(head -5 "$RL_WORK/promtool.txt")"
[ -s "$RL_WORK/promtool.txt" ] && rl_fail "promtool check metrics found problems: $(head -5 "$RL_WORK/promtool.txt")"

has() { grep -q "$1" "$RL_WORK/m1.txt" || rl_fail "no line matching '$1' in /metrics"; }
hasnt() { grep -q "$1" "$RL_WORK/m1.txt" && rl_fail "a line matches '$1' in /metrics: $(grep -m1 "$1" "$RL_WORK/m1.txt")"; return 0; }
has '^relearnd_info{model="m",instance_id="a",learner="sgd",detector="ddm"} 1$'
hasnt 'instance="'
hasnt '_per_second'
hasnt '^relearnd_[a-z_]*_age_seconds '
has '^relearnd_checkpoint_last_success_timestamp_seconds [0-9]'
has '^relearnd_snapshot_last_publish_timestamp_seconds [0-9]'
has '^# TYPE relearnd_checkpoint_duration_seconds histogram$'
has '^relearnd_checkpoint_duration_seconds_bucket{le="+Inf"} [1-9]'
has '^# TYPE relearnd_snapshot_publish_latency_seconds histogram$'
has '^relearnd_snapshot_publish_latency_seconds_count [1-9]'
has '^relearnd_accuracy_ratio 0\.'
for m in process_cpu_seconds_total process_resident_memory_bytes process_virtual_memory_bytes \
    process_open_fds process_max_fds process_start_time_seconds; do
    has "^$m [0-9]"
done
# A timestamp is now-ish (seconds, not milliseconds) and the process started before it.
now=$(date +%s)
ts=$(rl_metric a checkpoint_last_success_timestamp_seconds)
start=$(awk '$1=="process_start_time_seconds"{print $2}' "$RL_WORK/m1.txt")
awk -v t="$ts" -v s="$start" -v n="$now" 'BEGIN { exit !(s <= t + 1 && t <= n + 1 && n - s < 600) }' ||
    rl_fail "timestamps out of order: start $start, checkpoint $ts, now $now"
# One series per state, exactly one of them 1.
rl_assert_eq "drift_state series" 3 "$(grep -c '^relearnd_drift_state{state="\(stable\|warning\|drift\)"} [01]$' "$RL_WORK/m1.txt")"
rl_assert_eq "drift_state series at 1" 1 "$(grep -c '^relearnd_drift_state{.*} 1$' "$RL_WORK/m1.txt")"
# A fresh model: what this process saw is the model's whole life.
drifts=$(rl_metric a drifts_total)
[ "${drifts:-0}" -ge 1 ] || rl_fail "no drift counted (drifts_total=$drifts)"
rl_assert_eq "drifts_total of a fresh model's process" "$(rl_metric a model_drifts)" "$drifts"

# kill -9 with the last checkpoint at 4000 of 6000 events: the model comes back with the counts
# it had at 4000 and replays the rest. The model gauges go back and return; the new process's
# counters start from 0 with a new process_start_time_seconds.
model_before=$(rl_metric a model_drifts)
rl_daemon_kill9 a
sleep 1
rl_daemon_start a
scrape m2
start2=$(awk '$1=="process_start_time_seconds"{print $2}' "$RL_WORK/m2.txt")
awk -v a="$start" -v b="$start2" 'BEGIN { exit !(b > a) }' ||
    rl_fail "process_start_time_seconds did not move on restart ($start -> $start2)"
rl_wait_metric a model_events 6000 60
rl_assert_eq "model_drifts after the replay" "$model_before" "$(rl_metric a model_drifts)"
d2=$(rl_metric a drifts_total)
[ "$d2" -le "$model_before" ] || rl_fail "second process counted $d2 drifts, more than the model's $model_before"
scrape m3
promtool check metrics <"$RL_WORK/m3.txt" >"$RL_WORK/promtool3.txt" 2>&1 && [ ! -s "$RL_WORK/promtool3.txt" ] ||
    rl_fail "promtool check metrics after the restart: $(head -5 "$RL_WORK/promtool3.txt")"
rl_daemon_stop a
rl_log "ok: promtool-clean scrape; $drifts drifts in the first process, $d2 in the second"
