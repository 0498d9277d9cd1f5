# daemon_drift.sh - an abrupt concept flip in the stream raises a drift alert: JSON with the
# fields of proto/alert.proto on the alerts topic (read by kcat) and a log line.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_drift
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
rl_gen_stream 6000 5 3000 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
# Snapshots every 500 events with a zero-tolerance gate. After the flip the learner is reset
# and learns the new concept; the published version (the old concept) is judged on the same
# events, where it is far worse, so no candidate is held back and publishing goes on.
rl_daemon_config a b "[drift]" "detector = ddm" "response = reset" \
    "[snapshot]" "every_events = 500" "gate_tolerance = 0"
rl_daemon_start a
rl_wait_metric a model_events 6000 60
drifts=$(rl_metric a drifts_total)
[ "${drifts:-0}" -ge 1 ] || rl_fail "no drift detected (drifts_total=$drifts)"
rl_wait_for 20 sh -c "[ \$(curl -s http://127.0.0.1:\$(cat $RL_WORK/a.port)/metrics | awk '\$1==\"relearnd_alerts_total{result=\\\"delivered\\\"}\"{print \$2}') -ge 1 ]" ||
    rl_fail "no alert delivered"
# (A tick that finds the previous version still in flight waits for it, so fewer than 12 ticks
# fall due when the events arrive faster than a publish; the harder stream below paces them.)
rl_wait_for 20 sh -c "[ \$(curl -s http://127.0.0.1:\$(cat $RL_WORK/a.port)/metrics | awk '\$1==\"relearnd_snapshot_version\"{print \$2}') -ge 2 ]" ||
    rl_fail "publishing stalled: snapshot_version $(rl_metric a snapshot_version)"
rl_assert_eq "candidates held back across the flip" 0 "$(rl_metric a 'snapshots_total{result="held_back"}')"
rl_daemon_stop a

rl_kcat b -C -q -t relearn-alerts -o beginning -e -f '%k %s\n' >"$RL_WORK/alerts.txt" ||
    rl_fail "kcat could not read the alerts topic"
grep -q '^m {.*"level":"DRIFT"' "$RL_WORK/alerts.txt" || rl_fail "no DRIFT alert keyed by model: $(head -3 "$RL_WORK/alerts.txt")"
line=$(grep '"level":"DRIFT"' "$RL_WORK/alerts.txt" | head -n 1)
for f in '"format_version":1' '"model":"m"' '"instance_id":"a"' '"detector":"ddm"' \
    '"source":"error"' '"topic":"events"' '"partition":0' '"offset":' '"position":' \
    '"response":"reset"' '"time_ms":' '"statistic":'; do
    echo "$line" | grep -q "$f" || rl_fail "alert lacks $f: $line"
done
# The drift was after the flip at event 3000 (offset 2999), not before.
off=$(echo "$line" | sed 's/.*"offset":\([0-9]*\).*/\1/')
[ "$off" -ge 2999 ] || rl_fail "drift alert at offset $off, before the flip"
grep -q 'msg="alert" json=.*"level":"DRIFT"' "$RL_WORK/a.log" || rl_fail "alert not in the log"
# A stream that gets harder (label noise 0, 0.1, 0.2, 0.3 in four stretches of 500 events)
# never stalls publishing: the candidate and the published version are scored on the same,
# harder events. (The gate before compared the candidate's recent loss with the loss the
# published version had when it was published, on easier events, and held these back.)
# gate_decided NAME N: N candidates were published or held back.
gate_decided() {
    [ $(($(rl_metric "$1" 'snapshots_total{result="published"}') + \
        $(rl_metric "$1" 'snapshots_total{result="held_back"}'))) -ge "$2" ]
}
rl_broker_start n --partitions 1 --topics events
rl_daemon_config h n "[snapshot]" "every_events = 500"
rl_daemon_start h
# One stretch at a time, each learned and decided on before the next arrives.
for k in 0 1 2 3; do
    rl_gen_stream 2000 11 0 "0.$k" | sed -n "$((k * 500 + 1)),$((k * 500 + 500))p" >"$RL_WORK/harder$k.svm"
    "$RELEARN" produce --brokers "$(rl_bootstrap n)" --topic events "$RL_WORK/harder$k.svm" \
        2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
    rl_wait_metric h model_events $((k * 500 + 500)) 60
    rl_wait_for 20 gate_decided h $((k + 1)) ||
        rl_fail "no gate decision after stretch $k"
done
rl_assert_eq "candidates held back on a harder stream" 0 \
    "$(rl_metric h 'snapshots_total{result="held_back"}')"
rl_wait_metric h snapshot_version 4 20
rl_daemon_stop h

# A candidate that really is worse is held back, also right after a restart: instance g (own
# broker, no detector) learns 2000 events of one concept and publishes v1 (SIGUSR1); it stops.
# Then 900 events with flipped labels arrive, and 300 of the first concept again. After the
# restart the first candidate (at 3200 events) has learned the flipped labels; on the last 300
# events, which both models score, it is worse than v1 - whose scoring function comes back from
# the checkpoint directory - so it is held back, with by how much and over how many events.
rl_broker_start c --partitions 1 --topics events
rl_gen_stream 3200 9 2001 >"$RL_WORK/flipped.svm"
rl_gen_stream 3200 9 >"$RL_WORK/clean.svm"
head -n 2000 "$RL_WORK/clean.svm" >"$RL_WORK/g1.svm"
{ sed -n '2001,2900p' "$RL_WORK/flipped.svm"; sed -n '2901,3200p' "$RL_WORK/clean.svm"; } >"$RL_WORK/g2.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap c)" --topic events "$RL_WORK/g1.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
# Run 1 publishes only on request (no schedule), so the published version is exactly 1.
rl_daemon_config g c
rl_daemon_start g
rl_wait_metric g model_events 2000 60
kill -USR1 "$(rl_daemon_pid g)"
rl_wait_metric g snapshot_version 1 20
rl_wait_metric g gate_reference_version 1 10
rl_daemon_stop g
[ -s "$RL_WORK/ckpt-g/reference-00000000000000000001.rlsn" ] ||
    rl_fail "the published version's scoring function was not kept for restarts"
rl_daemon_config g c "[snapshot]" "every_events = 1200" "gate_window = 300" "gate_loss_cap = 1"
"$RELEARN" produce --brokers "$(rl_bootstrap c)" --topic events "$RL_WORK/g2.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
rl_daemon_start g
rl_wait_for 20 grep -q 'msg="promotion gate reference restored" version=1 ' "$RL_WORK/g.log" ||
    rl_fail "the gate's reference was not restored: $(grep 'promotion gate' "$RL_WORK/g.log")"
rl_wait_metric g model_events 3200 60
rl_wait_metric g 'snapshots_total{result="held_back"}' 1 10
rl_assert_eq "snapshots published after the restart" 0 \
    "$(rl_metric g 'snapshots_total{result="published"}')"
rl_assert_eq "snapshot version after the restart" 1 "$(rl_metric g snapshot_version)"
rl_assert_eq "paired events behind the hold-back" 300 "$(rl_metric g gate_paired_events)"
line=$(grep 'msg="snapshot held back by the promotion gate"' "$RL_WORK/g.log" | head -n 1)
echo "$line" | grep -q 'paired_events=300 reference_version=1 ' ||
    rl_fail "hold-back does not say over how many events, against which version: $line"
diff=$(echo "$line" | sed 's/.*loss_difference=\([^ ]*\).*/\1/')
lb=$(echo "$line" | sed 's/.*lower_bound=\([^ ]*\).*/\1/')
awk -v d="$diff" -v l="$lb" 'BEGIN { exit !(l > 0 && d > l) }' ||
    rl_fail "hold-back without a positive bound: difference $diff, bound $lb"
rl_daemon_stop g
# (relearnd writes the JSON keys sorted.)
rl_kcat c -C -q -t relearn-alerts -o beginning -e -f '%k %s\n' >"$RL_WORK/g-alerts.txt" ||
    rl_fail "kcat could not read the alerts topic"
grep -q '"detail":"[^"]*","detector":"gate",.*"level":"STABLE".*"response":"held_back".*"source":"daemon"' "$RL_WORK/g-alerts.txt" ||
    rl_fail "no gate alert on the alerts topic: $(cat "$RL_WORK/g-alerts.txt")"
rl_log "ok (drift at offset $off; no hold-back on harder data; a worse candidate held after restart)"
