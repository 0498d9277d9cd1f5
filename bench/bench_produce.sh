#!/bin/sh
# bench_produce.sh - `relearn produce` throughput into `relearn broker` against kcat -P sending
# the same file's lines as raw messages, in the same run, against the same broker and topic.
#
#   sh bench/bench_produce.sh [BUILD_DIR]        (default: build)
# Environment: LINES (default 1000000), FEATS per line (10), PARTITIONS (16), REPS (3),
# CODEC (lz4, used by both).
#
# relearn produce parses every line (input/reader.h), encodes an Event protobuf and waits for
# every delivery report (idempotent producer); kcat -P -l only splits lines and sends the bytes,
# so it is the floor of what any producer through librdkafka costs here. Timings are wall
# seconds from start until the tool exits (all delivery reports in), the minimum over REPS
# interleaved runs. The broker runs on the same 2 cores; its ~5 MiB-per-partition retention
# silently drops old batches, which does not slow producers (PARTITIONS x 5 MiB bounds its
# memory).
set -eu
B=$(cd "${1:-build}" && pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
LINES=${LINES:-1000000}
FEATS=${FEATS:-10}
PARTITIONS=${PARTITIONS:-16}
REPS=${REPS:-3}
CODEC=${CODEC:-lz4}
G=$B/bench/gen_eval_libsvm
[ -x "$G" ] || { echo "bench_produce: $G missing (cmake --build $B --target gen_eval_libsvm relearn)" >&2; exit 1; }
RL_BUILD=$B RL_TESTS=$S/tests
export RL_BUILD RL_TESTS
. "$S/tests/integration/lib.sh"
rl_init bench_produce
rl_broker_start b --partitions "$PARTITIONS" --topics bench
bs=$(rl_bootstrap b)
F=$RL_WORK/in.svm
"$G" "$LINES" "$FEATS" 1000000 1 >"$F"
cat "$F" >/dev/null
echo "## $LINES lines x $FEATS features ($(wc -c <"$F") bytes), $PARTITIONS partitions, $CODEC"

now() { date +%s.%N; }
best_r=""
best_k=""
i=0
while [ $i -lt "$REPS" ]; do
    t0=$(now)
    "$RELEARN" produce --brokers "$bs" --topic bench --compression "$CODEC" "$F" 2>"$RL_WORK/p.log" ||
        { cat "$RL_WORK/p.log" >&2; exit 1; }
    t1=$(now)
    grep -q "delivered=$LINES failed=0" "$RL_WORK/p.log" || { cat "$RL_WORK/p.log" >&2; exit 1; }
    timeout 600 "$RL_KCAT" -P -b "$bs" -t bench -z "$CODEC" -l "$F" ||
        { echo "kcat -P failed" >&2; exit 1; }
    t2=$(now)
    r=$(echo "$t1 - $t0" | bc)
    k=$(echo "$t2 - $t1" | bc)
    echo "run $i: relearn produce ${r}s, kcat -P ${k}s"
    if [ -z "$best_r" ] || [ "$(echo "$r < $best_r" | bc)" = 1 ]; then best_r=$r; fi
    if [ -z "$best_k" ] || [ "$(echo "$k < $best_k" | bc)" = 1 ]; then best_k=$k; fi
    i=$((i + 1))
done
echo "relearn produce: $(echo "$LINES / $best_r" | bc) events/s (best ${best_r}s)"
echo "kcat -P:         $(echo "$LINES / $best_k" | bc) lines/s (best ${best_k}s)"
echo "ratio relearn/kcat: $(echo "scale=2; $best_k / $best_r" | bc)"
rl_broker_stop b
