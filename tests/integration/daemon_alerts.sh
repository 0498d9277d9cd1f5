# daemon_alerts.sh - the drift alerts relearnd sends ops, checked as an operator would: a noisy
# stream with a concept flip, DDM at a hair trigger and response challenger, so warnings and
# drifts come far faster than alert_min_gap lets through. rl_alert_check reads every record on
# the alerts topic (fields of proto/alert.proto, partition/offset, model_version, time,
# responses that fit the level, no repeats, challenger starts paired with their ends), and the
# records must account for every warning and drift the model counted: emitted, reported as
# suppressed by a later alert (relearnd_alerts_suppressed_total), or still pending
# (relearnd_alerts_suppressed_pending). The same holds across a clean restart (a kill -9:
# daemon_alerts_crash.sh).
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_alerts
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/alerts_lib.sh"

# metric NAME: one value from a's /metrics ("0" when absent, so a missing series fails below).
m() {
    v=$(rl_metric a "$1")
    echo "${v:-missing}"
}

# snapshot_counts FILE: the counters the records are checked against, as shell assignments. The
# warnings and drifts are the model's lifetime counts (gauges restored from the checkpoint), not
# the process counters relearnd_drift*_total, which start from 0 at every start.
snapshot_counts() {
    {
        echo "warnings=$(m model_drift_warnings)"
        echo "drifts=$(m model_drifts)"
        echo "delivered=$(m 'alerts_total{result="delivered"}')"
        echo "supp_w=$(m 'alerts_suppressed_total{level="warning"}')"
        echo "supp_d=$(m 'alerts_suppressed_total{level="drift"}')"
        echo "pend_w=$(m 'alerts_suppressed_pending{source="error",level="warning"}')"
        echo "pend_d=$(m 'alerts_suppressed_pending{source="error",level="drift"}')"
        echo "fpend_w=$(m 'alerts_suppressed_pending{source="feature",level="warning"}')"
    } >"$1"
    grep -q missing "$1" && rl_fail "a metric is missing from /metrics: $(tr '\n' ' ' <"$1")"
    return 0
}

# logged_equals_delivered BEFORE: the alert lines in a.log, less BEFORE from earlier runs,
# equal relearnd_alerts_total{result="delivered"} (every alert produced has been delivered).
logged_equals_delivered() {
    [ $(($(grep -c 'msg="alert"' "$RL_WORK/a.log") - $1)) = "$(rl_metric a 'alerts_total{result="delivered"}')" ]
}

# run_once TOTAL [BEFORE]: waits until the model has TOTAL events and every alert is delivered,
# then keeps a copy of /metrics in $RL_WORK/metrics.txt.
run_once() {
    rl_wait_metric a model_events "$1" 60
    rl_wait_for 20 logged_equals_delivered "${2:-0}" ||
        rl_fail "alerts logged and alerts delivered differ"
    curl -s --max-time 5 "http://127.0.0.1:$(cat "$RL_WORK/a.port")/metrics" >"$RL_WORK/metrics.txt"
}

rl_broker_start b --partitions 1 --topics events
noisy_stream 6000 11 3000 >"$RL_WORK/s1.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s1.svm" \
    2>"$RL_WORK/produce.log" || rl_fail "produce failed"
rl_daemon_config a b "[drift]" "detector = ddm" "warning = 0.5" "drift = 1" \
    "response = challenger" "alert_min_gap = 100"
rl_daemon_start a
run_once 6000
snapshot_counts "$RL_WORK/c1"
rl_daemon_stop a
. "$RL_WORK/c1"
[ "$warnings" -ge 100 ] && [ "$drifts" -ge 20 ] ||
    rl_fail "the stream is not noisy enough to test the rate limit ($warnings warnings, $drifts drifts)"
[ "$((supp_w + pend_w))" -gt 0 ] && [ "$((supp_d + pend_d))" -gt 0 ] ||
    rl_fail "nothing suppressed: supp_w=$supp_w pend_w=$pend_w supp_d=$supp_d pend_d=$pend_d"
[ "$fpend_w" = 0 ] || rl_fail "feature alerts pending without a watched feature: $fpend_w"
run1_supp_w=$supp_w
run1_supp_d=$supp_d
run1_delivered=$delivered

rl_kcat b -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/alerts1.jsonl" ||
    rl_fail "kcat could not read the alerts topic"
out=$("$CHECK" --model m --response challenger --max-position 6000 <"$RL_WORK/alerts1.jsonl") ||
    rl_fail "alert records (run 1) fail the check"
eval "$(echo "$out" | tr ' ' '\n' | sed 's/^/r_/')"
rl_log "run 1: $warnings warnings, $drifts drifts -> $out; pending w=$pend_w d=$pend_d"
rl_assert_eq "records on the topic vs delivered" "$run1_delivered" "$(wc -l <"$RL_WORK/alerts1.jsonl" | tr -d ' ')"
rl_assert_eq "warnings accounted for (run 1)" "$warnings" "$((r_warning + r_suppressed_warning + pend_w))"
rl_assert_eq "drifts accounted for (run 1)" "$drifts" "$((r_drift + r_suppressed_drift + pend_d))"
rl_assert_eq "suppressed warnings: records vs counter" "$supp_w" "$r_suppressed_warning"
rl_assert_eq "suppressed drifts: records vs counter" "$supp_d" "$r_suppressed_drift"
# flood bound: at most one alert per level per alert_min_gap events, plus one forced end per
# announced challenger (itself a warning alert)
[ "$((r_warning + r_drift + r_stable))" -le $((3 * 6000 / 100 + 3)) ] ||
    rl_fail "too many alerts for the gap: $out"

# A clean restart: the model, its counters and its limiter come back from the checkpoint; the
# new records continue the old ones (no repeat, no position going back) and everything still
# adds up (relearnd_alerts_suppressed_total counts from process start: add run 1's).
noisy_stream 3000 12 1 >"$RL_WORK/s2.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s2.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
logged1=$(grep -c 'msg="alert"' "$RL_WORK/a.log")
rl_daemon_start a
run_once 9000 "$logged1"
snapshot_counts "$RL_WORK/c2"
rl_daemon_stop a
. "$RL_WORK/c2"
rl_kcat b -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/alerts2.jsonl" ||
    rl_fail "kcat could not read the alerts topic"
out=$("$CHECK" --model m --response challenger --max-position 9000 <"$RL_WORK/alerts2.jsonl") ||
    rl_fail "alert records (both runs) fail the check"
eval "$(echo "$out" | tr ' ' '\n' | sed 's/^/r_/')"
rl_log "after the restart: $warnings warnings, $drifts drifts -> $out; pending w=$pend_w d=$pend_d"
rl_assert_eq "records on the topic vs delivered (both runs)" "$((run1_delivered + delivered))" \
    "$(wc -l <"$RL_WORK/alerts2.jsonl" | tr -d ' ')"
rl_assert_eq "warnings accounted for (both runs)" "$warnings" \
    "$((r_warning + r_suppressed_warning + pend_w))"
rl_assert_eq "drifts accounted for (both runs)" "$drifts" "$((r_drift + r_suppressed_drift + pend_d))"
rl_assert_eq "suppressed warnings (both runs)" "$((run1_supp_w + supp_w))" "$r_suppressed_warning"
rl_assert_eq "suppressed drifts (both runs)" "$((run1_supp_d + supp_d))" "$r_suppressed_drift"
# the series ops alert on are declared once each, with HELP and TYPE
for name in alerts_suppressed_total alerts_suppressed_pending feature_drifts_total \
    feature_drift_warnings_total drifts_total drift_warnings_total alerts_total model_drifts \
    model_drift_warnings model_feature_drifts model_feature_drift_warnings; do
    rl_assert_eq "HELP and TYPE of relearnd_$name" 2 \
        "$(grep -c "^# [A-Z]* relearnd_$name " "$RL_WORK/metrics.txt")"
done

rl_log "ok"
