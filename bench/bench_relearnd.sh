#!/bin/sh
# bench_relearnd.sh - relearnd end to end against a bare librdkafka consumer and `relearn eval`,
# on the same events, same topic, same run.
#
#   sh bench/bench_relearnd.sh [BUILD_DIR]        (default: build)
# Environment:
#   SHAPES      event shapes (default "sea3 named10 named40 named200 indexed40"):
#               sea3 = the 3-feature SEA-style event (libsvm); namedK = flights-like events with
#               K named features (VW text: carrier/origin/dest categorical, hour, distance...,
#               bench/gen_events.c); indexedK = K indexed features (libsvm)
#   PARTS       partition counts (default "16 1")
#   CONFIGS     model configs (default "default sgd"): default = relearnd's defaults (only the
#               required keys set); NAME = the shipped example deploy/NAME.ini as is
#   REPS        repetitions, interleaved (default 3)
#   EVENTS      events per case (default: per shape and partition count, sized to fit the
#               broker's retention, see below)
#   COMPRESSION producer compression (default lz4)
#   QUEUE_MIB   the consumer queue bound the RSS goal counts (default 16: relearnd's default
#               queued.max.messages.kbytes; set it when a config sets its own)
#
# Per shape and partition count the events are generated once, produced once (keyed by line),
# and then, REPS times, for every config:
#   consumer: bench_consumer - a bare librdkafka consumer (subscribe in a fresh group, the
#             rebalance callback assigns, rd_kafka_consumer_poll loop touching each payload),
#             time from its first assignment to the N-th message;
#   relearnd: the config with brokers/topic/group/instance/checkpoint dir/metrics port
#             overridden; time from its first "partition assigned" log line to model_events = N
#             (bench_watch polls /metrics in-process every 10 ms, or 50 ms for N >= 200,000); its CPU share (cores, all
#             threads) and the consume loop's (the main thread's) while an assigned partition
#             had lag; RSS at 25/50/75/100% and peak (VmHWM) against the
#             learner state (checkpoint payload) + the consumer queue bound
#             (queued.max.messages.kbytes: QUEUE_MIB, default 16, relearnd's default);
#   eval:     `relearn eval` of the same file with the config's [model] and [drift] settings,
#             wall and CPU time.
# The ratios are relearnd / consumer and relearnd / eval of events/s (wall) within one rep.
# "relearnd CPU ev/s" counts relearnd's CPU in the lag window (all threads); "eval CPU ev/s"
# eval's user + system time: on a loaded machine these say more than the wall-clock rates.
#
# The broker: `relearn broker` (librdkafka's mock cluster) keeps at most 5 MiB (compressed) per
# partition and drops older message sets, so the default event counts per case are sized to
# fit; a case that does not fit fails loudly (the consumer finds fewer than N messages).
# bench_broker_start / bench_broker_stop are the only places that know which broker runs.
# RL_BROKER=kafka runs every case against Apache Kafka instead (scripts/kafka.sh: one KRaft
# node on loopback, heap 512m, full JIT; no 5 MiB limit, the same default event counts), the
# bare consumer on the same topic in the same run as before.
set -eu
B=$(cd "${1:-build}" && pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
SHAPES=${SHAPES:-"sea3 named10 named40 named200 indexed40"}
PARTS=${PARTS:-"16 1"}
CONFIGS=${CONFIGS:-"default sgd"}
REPS=${REPS:-3}
COMPRESSION=${COMPRESSION:-lz4}
export OPENBLAS_NUM_THREADS=1
if [ "${RL_BROKER:-mock}" = kafka ]; then
    RL_KAFKA_JVM_OPTS=${RL_KAFKA_JVM_OPTS:--XX:+UseSerialGC}
    export RL_KAFKA_JVM_OPTS
fi
RL_BUILD=$B RL_TESTS=$S/tests
export RL_BUILD RL_TESTS
. "$S/tests/integration/lib.sh"
rl_init bench_relearnd
. "$S/tests/integration/daemon_lib.sh"
GEN=$B/bench/gen_events
CONSUMER=$B/bench/bench_consumer
WATCH=$B/bench/bench_watch
for x in "$GEN" "$CONSUMER" "$WATCH" /usr/bin/time; do
    [ -x "$x" ] || rl_fail "$x missing (cmake --build $B --target relearn relearnd gen_events bench_consumer bench_watch)"
done

# bench_broker_start PARTITIONS: a broker with topic "events" of PARTITIONS partitions; sets BS
# (bootstrap servers). bench_broker_stop: stops it.
bench_broker_start() {
    rl_broker_start b --partitions "$1" --topics events
    BS=$(rl_bootstrap b)
}
bench_broker_stop() {
    rl_broker_stop b
}

# events_for SHAPE PARTS: the default event count, ~80% of what fits in 5 MiB of lz4 per
# partition (measured: one partition keeps ~260k sea3, ~91k named10, ~20k named40, ~3.7k
# named200, ~12.6k indexed40 events).
events_for() {
    [ -n "${EVENTS:-}" ] && { echo "$EVENTS"; return; }
    case "$1:$2" in
    sea3:1) echo 200000 ;;
    sea3:*) echo 1000000 ;;
    named10:1) echo 80000 ;;
    named10:*) echo 1000000 ;;
    named40:1) echo 16000 ;;
    named40:*) echo 300000 ;;
    named200:1) echo 3000 ;;
    named200:*) echo 50000 ;;
    indexed*:1) echo 10000 ;;
    indexed*:*) echo 150000 ;;
    *) rl_fail "unknown shape $1" ;;
    esac
}

gen_shape() { # SHAPE N FILE
    case "$1" in
    sea3) "$GEN" --n "$2" --sea >"$3" ;;
    named*) "$GEN" --n "$2" --named "${1#named}" >"$3" ;;
    indexed*) "$GEN" --n "$2" --indexed "${1#indexed}" >"$3" ;;
    esac
}

config_file() { # CONFIG -> path of its ini
    if [ "$1" = default ]; then
        printf '[model]\nname = bench\n[input]\nbrokers = x:1\ntopics = x\n[checkpoint]\ndir = /nonexistent\n' \
            >"$RL_WORK/default.ini"
        echo "$RL_WORK/default.ini"
    else
        [ -f "$S/deploy/$1.ini" ] || rl_fail "no deploy/$1.ini"
        echo "$S/deploy/$1.ini"
    fi
}

# eval_args INI: relearn eval options equal to the ini's [model] and [drift] sections.
eval_args() {
    awk -F' *= *' '
        /^\[/ { sec = $0; next }
        /^[ \t]*[;#]/ || NF < 2 { next }
        { k = $1; v = $2; sub(/[ \t;].*$/, "", v) }
        sec == "[model]" && k == "hash_seed" { printf " --seed %s", v; next }
        sec == "[model]" && k != "name" && k != "dense_dim" { gsub(/_/, "-", k); printf " --%s %s", k, v; next }
        sec == "[drift]" && k == "detector" { printf " --drift %s", v; next }
        sec == "[drift]" && k == "response" { printf " --drift-response %s", v; next }
        sec == "[drift]" { printf " --drift-param %s=%s", k, v }
    ' "$1"
}

iso_to_ms() { date -u -d "$1" +%s%3N; }

printf '| shape | partitions | config | events | rep | consumer ev/s | relearnd ev/s | eval ev/s | relearnd/consumer | relearnd/eval | relearnd cores (all threads) | loop cores | loop waiting for a CPU | relearnd CPU ev/s | eval CPU ev/s | peak RSS MiB | state MiB | RSS goal MiB |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for shape in $SHAPES; do
    for parts in $PARTS; do
        nev=$(events_for "$shape" "$parts")
        case "$shape" in named*) ext=vw ;; *) ext=svm ;; esac
        in=$RL_WORK/in.$ext
        gen_shape "$shape" "$nev" "$in"
        bench_broker_start "$parts"
        "$RELEARN" produce --brokers "$BS" --topic events --key line --compression "$COMPRESSION" \
            "$in" 2>"$RL_WORK/produce.log" || rl_fail "produce failed: $(tail -n 3 "$RL_WORK/produce.log")"
        cat "$in" >/dev/null # in the page cache for eval
        r=1
        while [ "$r" -le "$REPS" ]; do
            for cfg in $CONFIGS; do
                ini=$(config_file "$cfg")
                tag=$shape-$parts-$cfg-$r
                # bare consumer
                out=$(timeout 300 "$CONSUMER" "$BS" events "c-$tag" "$nev") ||
                    rl_fail "$tag: bare consumer failed (the broker keeps ~5 MiB per partition: lower EVENTS?)"
                cw=$(echo "$out" | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p')
                # relearnd
                name=d-$tag
                cp "$ini" "$RL_WORK/$name.ini"
                rl_daemon_start "$name" --brokers "$BS" --topic events --group "g-$tag" \
                    --instance-id "$name" --checkpoint-dir "$RL_WORK/ckpt-$name" \
                    --metrics-listen 127.0.0.1:0
                pid=$(rl_daemon_pid "$name")
                # Each /metrics scrape costs relearnd's HTTP thread CPU (10% of relearnd's samples
                # at 10 ms on 16 partitions): sample finely only the short runs.
                iv=10
                [ "$nev" -ge 200000 ] && iv=50
                w=$("$WATCH" "$pid" "$(cat "$RL_WORK/$name.port")" "$nev" "$iv") ||
                    rl_fail "$tag: relearnd did not learn $nev events"
                rl_daemon_stop "$name"
                t_as=$(sed -n 's/^ts=\([^ ]*\) .*msg="partition assigned".*/\1/p' "$RL_WORK/$name.log" | head -n 1)
                end_ms=$(echo "$w" | sed -n 's/.*end_ms=\([0-9]*\).*/\1/p')
                rw=$(echo "$(($end_ms - $(iso_to_ms "$t_as")))" | awk '{ printf "%.3f", $1 / 1000 }')
                busy=$(echo "$w" | sed -n 's/.* busy=\([0-9.]*\).*/\1/p')
                loop=$(echo "$w" | sed -n 's/.* loop=\([0-9.]*\).*/\1/p')
                runq=$(echo "$w" | sed -n 's/.* loop_runq=\([0-9.]*\).*/\1/p')
                rcpu=$(echo "$w" | sed -n 's/.* cpu_s=\([0-9.]*\).*/\1/p')
                hwm=$(echo "$w" | sed -n 's/.* hwm_mib=\([0-9]*\).*/\1/p')
                ck=$(ls "$RL_WORK/ckpt-$name"/ckpt-*.rlck | tail -n 1)
                state=$("$RELEARN" inspect "$ck" | sed -n 's/^kind:.*payload \([0-9]*\) bytes.*/\1/p')
                # relearn eval, same events and model config
                t0=$(date +%s.%N)
                # shellcheck disable=SC2046
                /usr/bin/time -f '%e %U %S' -o "$RL_WORK/eval.time" "$RELEARN" eval --progress 0 \
                    $(eval_args "$ini") "$in" >"$RL_WORK/eval.out" 2>"$RL_WORK/eval.err" ||
                    rl_fail "$tag: eval failed: $(tail -n 3 "$RL_WORK/eval.err")"
                t1=$(date +%s.%N)
                read -r _ eu es <"$RL_WORK/eval.time"
                ew=$(echo "$t1 - $t0" | bc -l)
                awk -v n="$nev" -v shape="$shape" -v parts="$parts" -v cfg="$cfg" -v r="$r" \
                    -v cw="$cw" -v rw="$rw" -v ew="$ew" -v ec="$(echo "$eu + $es" | bc -l)" \
                    -v busy="$busy" -v loop="$loop" -v runq="$runq" -v rcpu="$rcpu" -v hwm="$hwm" -v state="$state" -v qmib="${QUEUE_MIB:-16}" 'BEGIN {
                        c = n / cw; d = n / rw; e = n / ew; st = state / 1048576;
                        printf "| %s | %d | %s | %d | %d | %.0f | %.0f | %.0f | %.2f | %.2f | %s | %s | %s | %.0f | %.0f | %d | %.0f | %.0f |\n",
                            shape, parts, cfg, n, r, c, d, e, d / c, d / e, busy, loop, runq, n / rcpu, n / ec, hwm, st, 1.5 * st + qmib }'
                rm -rf "$RL_WORK/ckpt-$name"
            done
            r=$((r + 1))
        done
        bench_broker_stop
    done
done
