#!/bin/sh
# bench_relearnd.sh - relearnd end to end against a bare librdkafka consumer, same topic, same run.
#
#   sh bench/bench_relearnd.sh [BUILD_DIR]        (default: build)
# Environment: EVENTS (default 1000000), PARTITIONS (16), REPS (2).
#
# EVENTS SEA-style events (3 features) are produced once to `relearn broker` (lz4). Then, REPS
# times, interleaved:
#   baseline: kcat -C (librdkafka, no group, all partitions from the beginning, exit at the end),
#             wall time until it exits;
#   relearnd: decode -> predict -> score -> update -> checkpoint (every 100000 events / 5 s)
#             -> commit, snapshots every 2 s; wall time from its first partition assignment to
#             the model having learned every event (scraped from /metrics every 0.1 s), so the
#             one-off consumer-group join (3 s in the mock coordinator) is not counted.
# Also reported from the relearnd runs: RSS at 25/50/75/100% of the stream and peak (VmHWM),
# snapshot publish latency (schedule tick to delivery report) and checkpoint pause (write +
# fsync + rename, the loop is stopped meanwhile), both from relearnd's own log lines.
set -eu
B=$(cd "${1:-build}" && pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
EVENTS=${EVENTS:-1000000}
PARTITIONS=${PARTITIONS:-16}
REPS=${REPS:-2}
RL_BUILD=$B RL_TESTS=$S/tests
export RL_BUILD RL_TESTS
. "$S/tests/integration/lib.sh"
rl_init bench_relearnd
. "$S/tests/integration/daemon_lib.sh"
[ -n "$RL_KCAT" ] || rl_fail "kcat is required for the baseline"

rl_broker_start b --partitions "$PARTITIONS" --topics events
bs=$(rl_bootstrap b)
rl_gen_stream "$EVENTS" 1 "$((EVENTS / 2))" >"$RL_WORK/in.svm"
"$RELEARN" produce --brokers "$bs" --topic events --key line --compression lz4 "$RL_WORK/in.svm" \
    2>"$RL_WORK/produce.log" || rl_fail "produce failed"
rm -f "$RL_WORK/in.svm"
echo "## $EVENTS events, $PARTITIONS partitions, lz4"

now() { date +%s.%N; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

best_k=""
best_r=""
r=1
while [ "$r" -le "$REPS" ]; do
    # Baseline: a bare librdkafka consumer.
    t0=$(now)
    n=$(timeout 300 "$RL_KCAT" -b "$bs" -C -t events -o beginning -e -q -f '%o\n' | wc -l)
    t1=$(now)
    [ "$n" -eq "$EVENTS" ] || rl_fail "kcat read $n of $EVENTS"
    k=$(echo "$t1 - $t0" | bc -l)

    # relearnd, fresh group and checkpoint dir each time.
    name=r$r
    rl_daemon_config "$name" b "[model]" "bits = 18" "[input]" "group = bench-$r" "batch_size = 1000" \
        "[checkpoint]" "every_events = ${CKPT_EVERY:-100000}" "every_seconds = 5" \
        "[snapshot]" "every_seconds = 2" "[drift]" "detector = ddm" "response = boost"
    rl_daemon_start "$name"
    pid=$(rl_daemon_pid "$name")
    rl_wait_for 60 grep -q 'msg="partition assigned"' "$RL_WORK/$name.log" ||
        rl_fail "relearnd never got its partitions"
    t0=$(now)
    q1=$((EVENTS / 4))
    rss=""
    mark=$q1
    while :; do
        got=$(rl_metric "$name" model_events)
        got=${got:-0}
        while [ "$got" -ge "$mark" ] && [ "$mark" -le "$EVENTS" ]; do
            rss="$rss $(($(rss_kb "$pid") / 1024))"
            mark=$((mark + q1))
        done
        [ "$got" -ge "$EVENTS" ] && break
        sleep 0.1
    done
    t1=$(now)
    rt=$(echo "$t1 - $t0" | bc -l)
    peak=$(($(hwm_kb "$pid") / 1024))
    rl_daemon_stop "$name"
    lat=$(sed -n 's/.*msg="snapshot published".* latency_ms=\([0-9.]*\).*/\1/p' "$RL_WORK/$name.log" |
        sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "median %.1f ms, max %.1f ms over %d", a[int((NR + 1) / 2)], a[NR], NR }')
    ck=$(sed -n 's/.*msg="checkpoint written".* dur_ms=\([0-9.]*\).*/\1/p' "$RL_WORK/$name.log" |
        sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "median %.1f ms, max %.1f ms over %d", a[int((NR + 1) / 2)], a[NR], NR }')
    printf 'rep %d: kcat %.2f s (%.0f ev/s) | relearnd %.2f s (%.0f ev/s) ratio %.2f | RSS MiB at 25/50/75/100%%:%s, peak %s | snapshot latency %s | checkpoint pause %s\n' \
        "$r" "$k" "$(echo "$EVENTS / $k" | bc -l)" "$rt" "$(echo "$EVENTS / $rt" | bc -l)" \
        "$(echo "$k / $rt" | bc -l)" "$rss" "$peak" "$lat" "$ck"
    if [ -z "$best_k" ] || [ "$(echo "$k < $best_k" | bc -l)" -eq 1 ]; then best_k=$k; fi
    if [ -z "$best_r" ] || [ "$(echo "$rt < $best_r" | bc -l)" -eq 1 ]; then best_r=$rt; fi
    r=$((r + 1))
done
printf 'best: kcat %.2f s (%.0f ev/s), relearnd %.2f s (%.0f ev/s), relearnd / kcat throughput %.2f\n' \
    "$best_k" "$(echo "$EVENTS / $best_k" | bc -l)" "$best_r" "$(echo "$EVENTS / $best_r" | bc -l)" \
    "$(echo "$best_k / $best_r" | bc -l)"
