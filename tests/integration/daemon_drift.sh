# daemon_drift.sh - an abrupt concept flip in the stream raises a drift alert: JSON with the
# fields of proto/alert.proto on the alerts topic (read by kcat) and a log line.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_drift
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
rl_gen_stream 6000 5 3000 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
# Snapshots every 500 events with a zero-tolerance gate: after the flip the candidates' recent
# loss is worse than the last published one's, so the gate must hold some back.
rl_daemon_config a b "[drift]" "detector = ddm" "response = reset" \
    "[snapshot]" "every_events = 500" "gate_tolerance = 0"
rl_daemon_start a
rl_wait_metric a model_events 6000 60
drifts=$(rl_metric a drifts_total)
[ "${drifts:-0}" -ge 1 ] || rl_fail "no drift detected (drifts_total=$drifts)"
rl_wait_for 20 sh -c "[ \$(curl -s http://127.0.0.1:\$(cat $RL_WORK/a.port)/metrics | awk '\$1==\"relearnd_alerts_total{result=\\\"delivered\\\"}\"{print \$2}') -ge 1 ]" ||
    rl_fail "no alert delivered"
held=$(rl_metric a 'snapshots_total{result="held_back"}')
[ "${held:-0}" -ge 1 ] || rl_fail "held-back snapshots not counted"
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
# The promotion gate: held-back candidates are counted, logged and alerted ("gate", STABLE).
grep -q 'msg="snapshot held back by the promotion gate"' "$RL_WORK/a.log" ||
    rl_fail "no snapshot held back after the flip"
# (relearnd writes the JSON keys sorted.)
grep -q '"detail":"[^"]*","detector":"gate",.*"level":"STABLE".*"response":"held_back".*"source":"daemon"' "$RL_WORK/alerts.txt" ||
    rl_fail "no gate alert on the alerts topic"

# The gate's reference survives a restart: instance g (own broker, no detector) learns 2000
# events of one concept and publishes (SIGUSR1) at a low recent loss; it stops, the concept
# flips, and after the restart its first candidate (500 flipped events in, recent loss far
# worse) must be held back against the loss restored from the checkpoint, not published
# because nothing was known.
rl_broker_start c --partitions 1 --topics events
rl_gen_stream 2600 9 2001 >"$RL_WORK/g.svm"
head -n 2000 "$RL_WORK/g.svm" >"$RL_WORK/g1.svm"
tail -n 600 "$RL_WORK/g.svm" >"$RL_WORK/g2.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap c)" --topic events "$RL_WORK/g1.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
# Run 1 publishes only on request (no schedule), so the published version is exactly 1.
rl_daemon_config g c "[snapshot]" "gate_tolerance = 0.05"
rl_daemon_start g
rl_wait_metric g model_events 2000 60
kill -USR1 "$(rl_daemon_pid g)"
rl_wait_metric g snapshot_version 1 20
rl_daemon_stop g
rl_daemon_config g c "[snapshot]" "every_events = 500" "gate_tolerance = 0.05"
"$RELEARN" produce --brokers "$(rl_bootstrap c)" --topic events "$RL_WORK/g2.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
rl_daemon_start g
grep -q 'msg="promotion gate reference restored"' "$RL_WORK/g.log" ||
    rl_fail "the gate's reference loss was not restored from the checkpoint"
rl_wait_metric g model_events 2600 60
rl_wait_metric g 'snapshots_total{result="held_back"}' 1 10
rl_assert_eq "snapshots published after the restart" 0 \
    "$(rl_metric g 'snapshots_total{result="published"}')"
rl_assert_eq "snapshot version after the restart" 1 "$(rl_metric g snapshot_version)"
rl_daemon_stop g
rl_log "ok (drift at offset $off; gate held after restart)"
