# kafka_compaction.sh - a compacted topic holds the latest value per key (real Kafka only: the
# mock has no compaction). What model mixing and a changelog will rely on, tried with what
# relearn writes: two relearnd instances (models m and m2) publish six snapshot versions each to
# a compacted snapshot topic, in 0.5 s segments; once the log cleaner has run, the topic holds
# fewer records than were published, each key's records are still in version order and its
# last one is the model's latest version; `relearn snapshots` lists that version and --get
# reassembles and verifies it; a restarted relearnd reads the latest version back from the
# compacted topic and continues the line after it (never reusing a version).
. "$RL_TESTS/integration/lib.sh"
rl_init kafka_compaction
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/kafka_lib.sh"

rl_broker_start b --partitions 1 --topics events
rl_topic_create b snaps 1 cleanup.policy=compact segment.ms=500 min.cleanable.dirty.ratio=0.001 \
    min.compaction.lag.ms=0 delete.retention.ms=0
bs=$(rl_bootstrap b)
rl_gen_stream 200 3 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
for m in m m2; do
    rl_daemon_config "$m" b "[model]" "name = $m" "[input]" "group = g-$m" "[output]" "snapshot_topic = snaps"
    rl_daemon_start "$m"
    rl_wait_metric "$m" model_events 200 60
done
v=1
while [ $v -le 6 ]; do
    for m in m m2; do
        kill -USR1 "$(rl_daemon_pid "$m")"
        rl_wait_metric "$m" snapshot_version $v 30
    done
    sleep 0.7 # the next versions go to a new segment: the closed ones can be cleaned
    v=$((v + 1))
done
rl_daemon_stop m2

# Records as kcat reads them: key and version, in topic order.
records() {
    rl_kcat b -C -q -t snaps -o beginning -e -f '%k %h\n' |
        sed -n 's/^\([^ ]*\) .*relearn-version=\([0-9]*\).*/\1 \2/p' >"$RL_WORK/records.txt"
    wc -l <"$RL_WORK/records.txt" | tr -d ' '
}
compacted() {
    [ "$(records)" -lt 12 ]
}
rl_wait_for 60 compacted || rl_fail "the log cleaner left all $(records) records of 12 published"
rl_log "after compaction: $(records) records of 12 published: $(tr '\n' ';' <"$RL_WORK/records.txt")"
for m in m m2; do
    vs=$(awk -v k="$m" '$1 == k { print $2 }' "$RL_WORK/records.txt" | tr '\n' ' ')
    rl_assert_eq "latest record of key $m" 6 "$(echo "$vs" | awk '{ print $NF }')"
    rl_assert_eq "versions of $m still in order" "$(echo "$vs" | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')" "$vs"
done

# The CLI a reader would use: lists version 6 of each model, fetches one that verifies.
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --json >"$RL_WORK/list.json" ||
    rl_fail "relearn snapshots could not list the compacted topic"
for m in m m2; do
    /usr/bin/python3 -c 'import json, sys
l = json.load(open(sys.argv[1]))
sys.exit(0 if any(e["model"] == sys.argv[2] and e["version"] == 6 and e["complete"] for e in l) else 1)' \
        "$RL_WORK/list.json" "$m" || rl_fail "version 6 of $m not listed: $(tr -d ' \n' <"$RL_WORK/list.json" | head -c 400)"
done
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic snaps --model m --get 6 -o "$RL_WORK/v6.snap" \
    2>"$RL_WORK/get.err" || rl_fail "--get 6 from the compacted topic failed: $(cat "$RL_WORK/get.err")"
"$RELEARN" verify "$RL_WORK/v6.snap" >/dev/null || rl_fail "version 6 read back does not verify"

# relearnd m, restarted, finds version 6 on the compacted topic and goes on with 7.
rl_daemon_stop m
rm -rf "$RL_WORK/ckpt-m" # the topic alone must say where the version line is
rl_daemon_start m
grep -q 'msg="snapshot versions" topic=snaps topic_last=6 checkpoint_last=0 next=7' "$RL_WORK/m.log" ||
    rl_fail "restart did not read the version line from the compacted topic: $(grep 'snapshot versions' "$RL_WORK/m.log" | tail -n 1)"
rl_daemon_stop m
rl_log "ok"
