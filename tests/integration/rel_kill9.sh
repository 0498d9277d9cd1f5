# rel_kill9.sh - crash consistency (issue 6): relearnd is killed with SIGKILL at seeded random
# moments while events stream in (during start-up, consume, checkpoint writes, snapshot
# publishes), restarted each time. At the end, read from the final checkpoint:
#   - 1 partition: events applied = events produced, the offset = the high watermark, and the
#     whole model state (learner, detector, rest) is bitwise identical to an uninterrupted run;
#     snapshot versions on the topic are 1, 2, ..., K: strictly increasing, none reused or
#     skipped across all the restarts.
#   - 4 partitions: each partition's events go to features no other partition uses, and the
#     learner (SGD, constant rate, no bias) updates a coordinate only from its own features, so
#     the final weights equal an uninterrupted run's bitwise iff every partition applied exactly
#     its events, in order, once; plus per-partition offsets = high watermarks, total = produced.
# To make kills land inside checkpoint writes and snapshot publishes, relearnd runs under the
# faultfs shim with every fsync of its checkpoint dir slowed by 60 ms, and (1 partition) every
# produce request is answered 50 ms late with snapshots every 25 events; the log counts the kills
# that landed in either. Short by default (8 + 6 kills); RL_LONG=1: 24 + 24 kills over longer
# streams. RL_SEED picks
# the kill moments (default 6); the seed is logged so a failure can be replayed.
. "$RL_TESTS/integration/lib.sh"
rl_init rel_kill9
. "$RL_TESTS/integration/daemon_lib.sh"

DUMP="$RL_BUILD/tests/rel_ckpt_dump"
[ -x "$DUMP" ] || rl_fail "no $DUMP (build the rel_ckpt_dump target)"
seed=${RL_SEED:-6}
if [ "${RL_LONG:-0}" = 1 ]; then
    n1=20000 kills1=24 n4=5000 kills4=24 rate=150
else
    n1=2400 kills1=8 n4=500 kills4=6 rate=60
fi
rl_log "seed=$seed n1=$n1 kills1=$kills1 n4=$n4/partition kills4=$kills4 rate=$rate/s"

# kill_delays N SEED: N delays in seconds, uniform in [0.05, 2.5): some land in start-up (group
# join, snapshot-version probe), most during consumption.
kill_delays() {
    awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.2f\n", 0.05 + rand() * 2.45 }'
}

# dump_field FILE KEY: the value of "KEY=..." in a rel_ckpt_dump output.
dump_field() {
    sed -n "s/^$2=\([^ ]*\).*/\1/p" "$1"
}

# learning NAME: this run of NAME has learned at least one event.
learning() {
    v=$(rl_metric "$1" 'events_total{outcome="learned"}')
    [ -n "$v" ] && [ "$v" -ge 1 ]
}

# slow_start NAME: relearnd under the faultfs shim, every fsync in its checkpoint dir slowed
# down, so that some of the kills land inside a checkpoint write.
SHIM="$RL_BUILD/tests/librl_faultfs.so"
[ -f "$SHIM" ] || rl_fail "no $SHIM (build the rl_faultfs target)"
echo "fsync DELAY 60" >"$RL_WORK/faultfs.ctl"
in_write=0
in_publish=0
slow_start() {
    asan0=${ASAN_OPTIONS-}
    # An ASan build of relearnd accepts a preloaded library only with this.
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    export LD_PRELOAD="$SHIM" RL_FAULTFS_DIR="$RL_WORK/ckpt-$1" RL_FAULTFS_CTL="$RL_WORK/faultfs.ctl"
    rl_daemon_start "$1"
    unset LD_PRELOAD RL_FAULTFS_DIR RL_FAULTFS_CTL ASAN_OPTIONS
    [ -n "$asan0" ] && export ASAN_OPTIONS="$asan0"
}

# torture NAME N KILLS SEED: start/kill -9 NAME KILLS times at the seeded moments, then run it
# to the end (model_events = N) and stop it cleanly.
torture() {
    tname=$1
    tn=$2
    tkills=$3
    k=0
    for d in $(kill_delays "$tkills" "$4"); do
        slow_start "$tname"
        k=$((k + 1))
        if [ $((k % 3)) -eq 1 ]; then
            # During start-up: checkpoint load, version probe, group join.
            sleep "$d"
        else
            # While consuming: once this run has learned something.
            rl_wait_for 30 learning "$tname" || rl_log "kill $k: nothing learned yet in this run"
            sleep "$(echo "$d" | awk '{ printf "%.2f", $1 / 2 }')"
        fi
        before=$(rl_metric "$tname" model_events)
        kpid=$(rl_daemon_pid "$tname")
        rl_daemon_kill9 "$tname"
        # A temp file of the killed process shows a kill inside a checkpoint write.
        tmp=$(ls "$RL_WORK/ckpt-$tname" 2>/dev/null | grep -c "\.tmp\.$kpid\." || true)
        [ "$tmp" -gt 0 ] && in_write=$((in_write + 1))
        rl_log "kill $k/$tkills after ${d}s (model_events=${before:-?}, temp files left=$tmp)"
    done
    rl_daemon_start "$tname"
    # Kills inside a snapshot publish: the version a restart finds on the topic is newer than
    # any the killed process saw delivered (or an earlier restart found).
    in_publish=$((in_publish + $(awk '
        /^---- start/ { seg++; next }
        /msg="snapshot versions"/ && seg > 1 { t = $0; sub(/.*topic_last=/, "", t); sub(/ .*/, "", t); if (t + 0 > known + 0) { n++; known = t + 0 } }
        /msg="snapshot published"/ { v = $0; sub(/.*version=/, "", v); sub(/ .*/, "", v); if (v + 0 > known + 0) known = v + 0 }
        END { print n + 0 }' "$RL_WORK/$tname.log")))
    rl_wait_metric "$tname" model_events "$tn" 180
    # Idle a moment: nothing may arrive after the catch-up (no late replay).
    sleep 2
    rl_assert_eq "$tname: events applied after $k kills" "$tn" "$(rl_metric "$tname" model_events)"
    rl_assert_eq "$tname: offset resets" 0 "$(rl_metric "$tname" offset_resets_total)"
    rl_daemon_stop "$tname"
    if grep -q 'msg="offset jump' "$RL_WORK/$tname.log"; then
        rl_fail "$tname: an offset jump was logged: $(grep 'msg="offset jump' "$RL_WORK/$tname.log" | head -n 1)"
    fi
}

# ---------------------------------------------------------------- 1 partition
rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
# Produce requests (snapshot publishes among them) take 50 ms more, so that some kills land
# inside a publish (snapshots every 25 events); fetches and commits keep their pace. A real
# Kafka (RL_BROKER=kafka) has no such delay to inject: the kills land where they land.
if [ "$RL_BROKER" = mock ]; then
    rl_broker_ctl b "broker-error 1 produce 100000 0 50"
fi
rl_gen_stream $n1 21 900 >"$RL_WORK/s1.svm"
# Produced while relearnd is being killed, so kills land mid-stream.
rl_bg produce1 timeout 300 "$RELEARN" produce --brokers "$bs" --topic events --rate $rate "$RL_WORK/s1.svm"
prod=$RL_LAST_PID

# A killed member holds its partitions until its session times out: keep that short.
fast="[kafka]
session.timeout.ms = 3000
heartbeat.interval.ms = 300"
# 1-partition model: the default SGD (normalized, bias) with a drift detector, so the detector
# and metrics state are part of what must match bitwise.
rl_daemon_config a b "$fast" "[model]" "bits = 14" "[drift]" "detector = ddm" \
    "[input]" "batch_size = 20" \
    "[checkpoint]" "every_events = 37" "every_seconds = 0.2" "keep = 2" \
    "[snapshot]" "every_events = 25" "gate_tolerance = 1000000"
torture a $n1 $kills1 $seed
wait $prod
rl_assert_eq "producer exit status" 0 $?
rl_assert_eq "events on the topic" $n1 "$(rl_kcat_count b events)"

# The uninterrupted reference: same model config, own group and checkpoint dir, no snapshots.
rl_daemon_config r b "[model]" "bits = 14" "[drift]" "detector = ddm" \
    "[input]" "batch_size = 1000" "group = ref" \
    "[checkpoint]" "every_events = 100000" "every_seconds = 0"
rl_daemon_start r
rl_wait_metric r model_events $n1 120
rl_daemon_stop r

"$DUMP" "$RL_WORK/ckpt-a" >"$RL_WORK/a.dump" 2>"$RL_WORK/a.dump.err" || rl_fail "cannot read a's checkpoint: $(cat "$RL_WORK/a.dump.err")"
"$DUMP" "$RL_WORK/ckpt-r" >"$RL_WORK/r.dump" 2>"$RL_WORK/r.dump.err" || rl_fail "cannot read r's checkpoint: $(cat "$RL_WORK/r.dump.err")"
rl_assert_eq "checkpointed events (killed run)" $n1 "$(dump_field "$RL_WORK/a.dump" events)"
rl_assert_eq "checkpointed events (reference)" $n1 "$(dump_field "$RL_WORK/r.dump" events)"
rl_assert_eq "checkpointed offset of events[0]" "offset events 0 $n1" "$(grep '^offset ' "$RL_WORK/a.dump")"
for blob in learner_state detector_state rest_state; do
    rl_assert_eq "$blob: killed run vs uninterrupted run" "$(grep "^$blob=" "$RL_WORK/r.dump")" \
        "$(grep "^$blob=" "$RL_WORK/a.dump")"
done
rl_log "1 partition: final state bitwise equal to the uninterrupted run ($(grep learner_state "$RL_WORK/a.dump"))"
resumed=$(grep -c 'msg="warm start from checkpoint"' "$RL_WORK/a.log")
[ "$resumed" -ge 2 ] || rl_fail "only $resumed warm starts from a checkpoint: the kills did not test recovery"

# Snapshot versions of (m, a) as a reader of the topic sees them, in topic order.
rl_kcat b -C -q -t relearn-snapshots -o beginning -e -f '%h\n' >"$RL_WORK/snap-headers.txt" ||
    rl_fail "kcat could not read the snapshot topic"
grep 'relearn-instance=a' "$RL_WORK/snap-headers.txt" | grep 'relearn-chunk=0/' |
    sed -n 's/.*relearn-version=\([0-9]*\).*/\1/p' >"$RL_WORK/versions.txt"
nv=$(wc -l <"$RL_WORK/versions.txt" | tr -d ' ')
[ "$nv" -ge 3 ] || rl_fail "only $nv snapshot versions published: too few to judge"
expect=$(seq 1 "$nv" | tr '\n' ' ')
got=$(tr '\n' ' ' <"$RL_WORK/versions.txt")
rl_assert_eq "snapshot versions on the topic (strictly increasing, gap-free)" "$expect" "$got"
rl_log "1 partition: $nv snapshot versions, 1..$nv in order"

# ---------------------------------------------------------------- 4 partitions
rl_broker_start b4 --partitions 4 --topics events
bs4=$(rl_bootstrap b4)
pids=""
for p in 0 1 2 3; do
    # Partition p uses features 10p+1..10p+3 only.
    awk -v n=$n4 -v seed=$((31 + p)) -v p=$p 'BEGIN { srand(seed); for (i = 0; i < n; i++) {
        a = rand(); b = rand(); printf "%d %d:%.6f %d:%.6f %d:1\n", (a > b) ? 1 : 0,
        10 * p + 1, a, 10 * p + 2, b, 10 * p + 3 } }' >"$RL_WORK/p$p.svm"
    rl_bg produce4-$p timeout 300 "$RELEARN" produce --brokers "$bs4" --topic events \
        --partition $p --rate $((rate / 4)) "$RL_WORK/p$p.svm"
    pids="$pids $RL_LAST_PID"
done
m4="[model]
learner = sgd
schedule = constant
eta = 0.1
bias = 0
bits = 18"
rl_daemon_config c b4 "$fast" "$m4" \
    "[input]" "batch_size = 20" \
    "[checkpoint]" "every_events = 41" "every_seconds = 0.2" "keep = 2" \
    "[snapshot]" "every_events = 200" "gate_tolerance = 1000000"
torture c $((4 * n4)) $kills4 $((seed + 1000))
for pid in $pids; do
    wait "$pid" || rl_fail "a producer of the 4-partition stream failed"
done
rl_daemon_config r4 b4 "$m4" "[input]" "batch_size = 1000" "group = ref" \
    "[checkpoint]" "every_events = 100000" "every_seconds = 0"
rl_daemon_start r4
rl_wait_metric r4 model_events $((4 * n4)) 120
rl_daemon_stop r4
"$DUMP" "$RL_WORK/ckpt-c" >"$RL_WORK/c.dump" 2>&1 || rl_fail "cannot read c's checkpoint: $(cat "$RL_WORK/c.dump")"
"$DUMP" "$RL_WORK/ckpt-r4" >"$RL_WORK/r4.dump" 2>&1 || rl_fail "cannot read r4's checkpoint: $(cat "$RL_WORK/r4.dump")"
rl_assert_eq "checkpointed events (4 partitions)" $((4 * n4)) "$(dump_field "$RL_WORK/c.dump" events)"
for p in 0 1 2 3; do
    rl_assert_eq "checkpointed offset of events[$p]" "offset events $p $n4" \
        "$(grep "^offset events $p " "$RL_WORK/c.dump")"
done
rl_assert_eq "learner state: killed run vs uninterrupted run (4 partitions)" \
    "$(grep '^learner_state=' "$RL_WORK/r4.dump")" "$(grep '^learner_state=' "$RL_WORK/c.dump")"
rl_log "kills that landed inside a checkpoint write: $in_write, inside a snapshot publish: $in_publish"
rl_log "ok: $kills1 + $kills4 kills, exactly once on 1 and 4 partitions (seed $seed)"
