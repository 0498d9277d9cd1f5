# kafka_lib.sh - checks shared by the real-Kafka-only tests (source lib.sh and daemon_lib.sh
# first; RL_BROKER=kafka).
#
#   rl_stream_to NAME BROKER TOTAL SEED RATE    produce TOTAL events at RATE/s in the
#                                               background (outlives outages); sets RL_PROD_PID
#   rl_wait_learned NAME N                      until relearnd NAME's model has N events
#   rl_rolled_back NAME                         events rolled back by NAME's hand-over roll-backs
#   rl_check_once NAME BROKER TOPIC TOTAL       every event learned once (below)
[ "$RL_BROKER" = kafka ] || rl_fail "a real-Kafka test: run it with RL_BROKER=kafka"
RL_DUMP="$RL_BUILD/tests/rel_ckpt_dump"
RL_COMMITTED="$RL_BUILD/tests/rel_committed"
[ -x "$RL_DUMP" ] && [ -x "$RL_COMMITTED" ] || rl_fail "build rel_ckpt_dump and rel_committed first"

rl_stream_to() {
    rl_gen_stream "$3" "$4" >"$RL_WORK/stream-$1.svm"
    # Idempotent (no duplicates, order kept); its messages wait out a broker outage.
    rl_bg "produce-$1" timeout 300 "$RELEARN" produce --brokers "$(rl_bootstrap "$2")" \
        --topic events --key line --rate "$5" -X message.timeout.ms=200000 "$RL_WORK/stream-$1.svm"
    RL_PROD_PID=$RL_LAST_PID
}

rl_model_at_least() {
    _v=$(rl_metric "$1" model_events)
    [ -n "$_v" ] && [ "$_v" -ge "$2" ]
}

rl_wait_learned() {
    rl_wait_for 120 rl_model_at_least "$1" "$2" || rl_fail "relearnd $1 did not learn $2 events"
}

# When the coordinator refuses a commit (a broker outage outlasting the group session, a
# rebalance), relearnd rolls its model back to the last committed checkpoint and reads those
# events again (README, "Exactly once"); the log line says how many.
rl_rolled_back() {
    sed -n 's/.*msg="hand-over commit refused.*events_before=\([0-9]*\) events_after=\([0-9]*\).*/\1 \2/p' \
        "$RL_WORK/$1.log" | awk '{ s += $1 - $2 } END { print s + 0 }'
}

# rl_check_once NAME BROKER TOPIC TOTAL: relearnd NAME (running, sole member of group g) learned
# each of TOTAL events exactly once: its model counts TOTAL and stays there; the events it
# learned this run minus those it rolled back are TOTAL; no offset reset. Then NAME is stopped
# and, independently of relearnd: kcat and python3-kafka count TOTAL events on TOPIC; the final
# checkpoint (rel_ckpt_dump) holds TOTAL events and every partition's high watermark; the
# group's committed offsets, asked of the broker, are the high watermarks.
rl_check_once() {
    _c_n=$1 _c_b=$2 _c_t=$3 _c_total=$4
    rl_wait_metric "$_c_n" model_events "$_c_total" 120
    sleep 3 # a replay would push the count past the total
    rl_assert_eq "$_c_n: events in the model" "$_c_total" "$(rl_metric "$_c_n" model_events)"
    _c_undone=$(rl_rolled_back "$_c_n")
    rl_assert_eq "$_c_n: events learned this run minus those rolled back" "$_c_total" \
        $(($(rl_metric "$_c_n" 'events_total{outcome="learned"}') - _c_undone))
    rl_assert_eq "$_c_n: offset resets" 0 "$(rl_metric "$_c_n" offset_resets_total)"
    rl_log "$_c_n: roll-backs $(rl_metric "$_c_n" handover_rollbacks_total) ($_c_undone events read again)"
    rl_daemon_stop "$_c_n"
    rl_assert_eq "events on $_c_t (kcat)" "$_c_total" "$(rl_kcat_count "$_c_b" "$_c_t")"
    rl_topics "$_c_b" offsets "$_c_t" >"$RL_WORK/offsets.txt"
    rl_assert_eq "events on $_c_t (python3-kafka)" "$_c_total" \
        "$(awk '{ s += $3 - $2 } END { print s }' "$RL_WORK/offsets.txt")"
    "$RL_DUMP" "$RL_WORK/ckpt-$_c_n" >"$RL_WORK/$_c_n.dump" || rl_fail "cannot read $_c_n's checkpoint"
    rl_assert_eq "$_c_n: checkpointed events" "$_c_total" "$(sed -n 's/^events=//p' "$RL_WORK/$_c_n.dump")"
    rl_assert_eq "$_c_n: checkpointed offsets = high watermarks" \
        "$(awk -v t="$_c_t" '{ print "offset", t, $1, $3 }' "$RL_WORK/offsets.txt")" \
        "$(grep "^offset $_c_t " "$RL_WORK/$_c_n.dump" | sort -k3n)"
    "$RL_COMMITTED" "$(rl_bootstrap "$_c_b")" g "$_c_t" "$(wc -l <"$RL_WORK/offsets.txt")" \
        >"$RL_WORK/committed.txt" 2>"$RL_WORK/committed.err" || rl_fail "rel_committed: $(cat "$RL_WORK/committed.err")"
    rl_assert_eq "the group's committed offsets (asked of the broker)" \
        "$(awk -v t="$_c_t" '{ print t, $1, $3 }' "$RL_WORK/offsets.txt")" \
        "$(awk '{ print $1, $2, $3 }' "$RL_WORK/committed.txt" | sort -k2n)"
}

# rl_check_versions BROKER INSTANCE: the snapshot versions INSTANCE published, as kcat reads the
# topic, are 1..K in topic order (none lost, duplicated or reused), and python3-kafka reads the
# same; prints K.
rl_check_versions() {
    rl_kcat "$1" -C -q -t relearn-snapshots -o beginning -e -f '%h\n' >"$RL_WORK/snap-headers.txt" ||
        rl_fail "kcat could not read the snapshot topic"
    grep "relearn-instance=$2" "$RL_WORK/snap-headers.txt" | grep 'relearn-chunk=0/' |
        sed -n 's/.*relearn-version=\([0-9]*\).*/\1/p' >"$RL_WORK/versions.txt"
    _v_n=$(wc -l <"$RL_WORK/versions.txt" | tr -d ' ')
    [ "$_v_n" -ge 2 ] || rl_fail "only $_v_n snapshot versions published: too few to judge"
    rl_assert_eq "snapshot versions on the topic (1..K, none lost, duplicated or reused)" \
        "$(seq 1 "$_v_n" | tr '\n' ' ')" "$(tr '\n' ' ' <"$RL_WORK/versions.txt")"
    # The same records through python3-kafka, a client that shares no code with librdkafka.
    rl_topics "$1" headers relearn-snapshots >"$RL_WORK/snap-headers-py.txt"
    rl_assert_eq "snapshot versions read by python3-kafka vs kcat" "$(tr '\n' ' ' <"$RL_WORK/versions.txt")" \
        "$(sort -k1n -k2n "$RL_WORK/snap-headers-py.txt" | grep "relearn-instance=$2" | grep 'relearn-chunk=0/' |
            sed -n 's/.*relearn-version=\([0-9]*\).*/\1/p' | tr '\n' ' ')"
    echo "$_v_n"
}
