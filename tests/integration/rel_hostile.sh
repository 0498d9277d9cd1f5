# rel_hostile.sh - hostile input on the wire (issue 6): raw payloads written by rel_hostile_gen
# are sent to the input topic with kcat (one file = one message, zstd on the wire) between two
# runs of good events: 2 million features (20 MB), 100,000 features, a 1.5 MB name, a field
# repeated 100,000 times, 100,000 nested groups, truncated and endless varints, an empty
# message, NaN/Inf labels, weights and values, duplicate features, non-UTF-8 names, a nameless
# feature, a newer format version, a label outside the domain. relearnd must:
#   - learn exactly the good events and the hostile-but-valid ones (repeated label, unknown
#     fields, duplicate features, non-UTF-8 names: wire/event_codec.h accepts them);
#   - refuse every other one with its reason, counted per reason in /metrics, logged with its
#     offset, and dead-lettered with a relearn-reason header (an oversized one without its
#     bytes, which the dead-letter topic would refuse too, but with relearn-size);
#   - keep consuming the good events after them; stay within bounded memory (peak RSS) and
#     time; never write a raw non-UTF-8 name into its log (the log stays valid UTF-8).
# RL_LONG=1 sends the hostile set 5 times.
. "$RL_TESTS/integration/lib.sh"
rl_init rel_hostile
. "$RL_TESTS/integration/daemon_lib.sh"

GEN="$RL_BUILD/tests/rel_hostile_gen"
[ -x "$GEN" ] || rl_fail "no $GEN"
reps=1
[ "${RL_LONG:-0}" = 1 ] && reps=5
mkdir -p "$RL_WORK/hostile"
"$GEN" "$RL_WORK/hostile" || rl_fail "rel_hostile_gen failed"
man="$RL_WORK/hostile/manifest"

rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
rl_gen_stream 100 1 >"$RL_WORK/good1.svm"
rl_gen_stream 200 2 >"$RL_WORK/good2.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/good1.svm" 2>>"$RL_WORK/produce.log" || rl_fail "produce"
r=0
while [ $r -lt $reps ]; do
    while read -r name outcome reason; do
        f="$RL_WORK/hostile/$name"
        if [ -s "$f" ]; then
            rl_kcat b -P -t events -z zstd -X message.max.bytes=100000000 "$f" || rl_fail "kcat -P $name failed"
        else
            # kcat skips empty files and lines: a keyed message with a NULL value instead.
            printf 'k:\n' | rl_kcat b -P -t events -K: -Z || rl_fail "kcat -P of an empty message failed"
        fi
    done <"$man"
    r=$((r + 1))
done
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/good2.svm" 2>>"$RL_WORK/produce.log" || rl_fail "produce"
nh=$(wc -l <"$man" | tr -d ' ')
rl_assert_eq "messages on the topic" $((300 + reps * nh)) "$(rl_kcat_count b events)"

learned_hostile=$(grep -c ' learned$' "$man")
dead=$(grep -c ' dead ' "$man")
expect_learned=$((300 + reps * learned_hostile))

rl_daemon_config a b "[checkpoint]" "every_events = 1000" "every_seconds = 1"
t0=$(date +%s)
rl_daemon_start a
rl_wait_metric a model_events $expect_learned 120
t1=$(date +%s)
rl_wait_metric a 'events_total{outcome="dead_lettered"}' $((reps * dead)) 10
# Per reason.
for reason in $(awk '$2 == "dead" { print $3 }' "$man" | sort -u); do
    want=$((reps * $(awk -v r="$reason" '$2 == "dead" && $3 == r' "$man" | wc -l)))
    rl_assert_eq "bad_events_total{reason=\"$reason\"}" $want "$(rl_metric a "bad_events_total{reason=\"$reason\"}")"
done
# Each refusal logged with its offset and reason (the log allows 10 such lines a second, then
# counts the suppressed ones: check the first 10 refusals, from offset 100 on).
i=0
logged=0
while read -r name outcome reason; do
    off=$((100 + i))
    if [ "$outcome" = dead ] && [ $logged -lt 10 ]; then
        logged=$((logged + 1))
        grep -q "msg=\"bad event dead-lettered\".*offset=$off reason=$reason" "$RL_WORK/a.log" ||
            rl_fail "$name (offset $off): no log line with reason $reason"
    fi
    i=$((i + 1))
done <"$man"
pid=$(rl_daemon_pid a)
hwm_kb=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
fds=$(ls "/proc/$pid/fd" | wc -l)
# Dead letters: every refused event delivered to the dead-letter topic, with its reason.
rl_wait_metric a 'dead_letter_total{result="delivered"}' $((reps * dead)) 30
dl_ok=$(rl_metric a 'dead_letter_total{result="delivered"}')
dl_failed=$(rl_metric a 'dead_letter_total{result="failed"}')
rl_assert_eq "dead letters that failed" 0 "$dl_failed"
rl_daemon_stop a

rl_kcat b -C -q -t relearn-dead-letter -o beginning -e -f '%h\n' >"$RL_WORK/dlq-headers.txt" ||
    rl_fail "kcat could not read the dead-letter topic"
rl_assert_eq "dead letters on the topic" $((reps * dead)) "$(grep -c 'relearn-reason=' "$RL_WORK/dlq-headers.txt")"
for reason in $(awk '$2 == "dead" { print $3 }' "$man" | sort -u); do
    want=$((reps * $(awk -v r="$reason" '$2 == "dead" && $3 == r' "$man" | wc -l)))
    rl_assert_eq "dead letters with relearn-reason=$reason" $want \
        "$(grep -c "relearn-reason=$reason," "$RL_WORK/dlq-headers.txt")"
done
# The oversized ones travel without their bytes, with their size: 19746007 and 1500015 bytes.
for sz in $(stat -c %s "$RL_WORK/hostile/millions_of_features" "$RL_WORK/hostile/oversized_name"); do
    grep 'relearn-reason=oversized,' "$RL_WORK/dlq-headers.txt" | grep -q "relearn-size=$sz" ||
        rl_fail "no oversized dead letter with relearn-size=$sz"
done
# Bounded: peak RSS and time.
rl_log "hostile set x$reps: $((t1 - t0)) s to learn $expect_learned events past $((reps * dead)) refusals; peak RSS ${hwm_kb} kB; $fds fds; dead letters delivered $dl_ok, failed $dl_failed"
[ "$hwm_kb" -lt 600000 ] || rl_fail "peak RSS ${hwm_kb} kB: not bounded"
[ $((t1 - t0)) -lt 60 ] || rl_fail "took $((t1 - t0)) s"
# The log never carries raw non-UTF-8 bytes.
iconv -f UTF-8 -t UTF-8 "$RL_WORK/a.log" >/dev/null 2>&1 || rl_fail "relearnd's log is not valid UTF-8 (a raw name was printed)"
rl_log "ok"
