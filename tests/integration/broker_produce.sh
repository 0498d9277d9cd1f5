# broker_produce.sh - `relearn produce` end to end against `relearn broker`, checked with kcat:
# every good line arrives exactly once, bad lines are reported as file:line and skipped, the
# payloads decode (rl_event_dump) to exactly what `relearn eval`'s reader path builds from the
# same lines, keys and partitioning work, stdin works, --strict stops.
. "$RL_TESTS/integration/lib.sh"
rl_init broker_produce
DUMP="$RL_BUILD/tests/rl_event_dump"
[ -x "$DUMP" ] || rl_fail "no $DUMP"

rl_broker_start b --partitions 1 --topics one,vw,paced,strict
rl_topic_create b four 4
bs=$(rl_bootstrap b)

# 600 libsvm lines (labels +1/-1, sparse indices, one index beyond 2^18 to exercise hashing),
# with two bad lines at known places.
data="$RL_WORK/in.libsvm"
awk 'BEGIN { for (i = 1; i <= 600; i++) {
        printf "%s", (i % 3 == 0) ? "-1" : "+1";
        for (j = 1; j <= 1 + i % 7; j++) printf " %d:%.3f", (i * j) % 50 + 1, (i + j) / 97.0;
        if (i % 100 == 0) printf " 5000000:1";
        printf "\n";
        if (i == 10) print "1 3:abc";
        if (i == 500) print "7:1 8:2";
    } }' >"$data"

"$RELEARN" produce --brokers "$bs" --topic one "$data" 2>"$RL_WORK/produce1.log"
st=$?
cat "$RL_WORK/produce1.log" >&2
rl_assert_eq "produce exit status" 0 $st
grep -q "relearn produce: $data:11: " "$RL_WORK/produce1.log" || rl_fail "bad line 11 not reported as file:line"
grep -q "relearn produce: $data:502: " "$RL_WORK/produce1.log" || rl_fail "bad line 502 not reported as file:line"
grep -q 'msg="produce done".* produced=600 delivered=600 failed=0 bad_lines=2 ' "$RL_WORK/produce1.log" ||
    rl_fail "summary line wrong"
rl_assert_eq "messages in one" 600 "$(rl_kcat_count b one)"

# The payloads decode to what the eval path builds from the same text (same bits and seed).
rl_kcat b -C -q -t one -o beginning -e -f '%R%s' | "$DUMP" --bits 18 --seed 0 >"$RL_WORK/got.txt" ||
    rl_fail "rl_event_dump failed on the topic's payloads"
"$DUMP" --text "$data" --bits 18 --seed 0 >"$RL_WORK/want.txt" || rl_fail "rl_event_dump --text failed"
rl_assert_eq "decoded events" 600 "$(grep -c '^ok ' "$RL_WORK/got.txt")"
diff "$RL_WORK/want.txt" "$RL_WORK/got.txt" >"$RL_WORK/diff.txt" || {
    head -n 5 "$RL_WORK/diff.txt" >&2
    rl_fail "decoded events differ from the text they came from"
}

# Keys by line number over 4 partitions: all arrive, spread over more than one partition, and
# the keys are the line numbers of the good lines.
"$RELEARN" produce --brokers "$bs" --topic four --key line --compression zstd "$data" 2>/dev/null ||
    rl_fail "produce to four failed"
rl_assert_eq "messages in four" 600 "$(rl_kcat_count b four)"
parts=$(rl_kcat b -C -q -t four -o beginning -e -f '%p\n' | sort -u | wc -l | tr -d ' ')
[ "$parts" -gt 1 ] || rl_fail "keyed messages all landed in one partition"
rl_kcat b -C -q -t four -o beginning -e -f '%k\n' | sort -n >"$RL_WORK/keys.txt"
rl_assert_eq "first key" 1 "$(head -n 1 "$RL_WORK/keys.txt")"
rl_assert_eq "last key" 602 "$(tail -n 1 "$RL_WORK/keys.txt")"
grep -qx 11 "$RL_WORK/keys.txt" && rl_fail "bad line 11 was produced"

# --partition pins every message to one partition; --partitioner is passed to librdkafka.
p2() { rl_kcat b -C -q -t four -p 2 -o beginning -e -f '%o\n' | wc -l | tr -d ' '; }
before=$(p2)
"$RELEARN" produce --brokers "$bs" --topic four --partition 2 --limit 50 "$data" 2>/dev/null ||
    rl_fail "produce --partition 2 failed"
rl_assert_eq "messages in four [2] after --partition 2" $((before + 50)) "$(p2)"
rl_assert_eq "messages in four after --partition 2" 650 "$(rl_kcat_count b four)"
"$RELEARN" produce --brokers "$bs" --topic four --partitioner murmur2 --limit 5 "$data" 2>/dev/null ||
    rl_fail "produce --partitioner murmur2 failed"
"$RELEARN" produce --brokers "$bs" --topic four --partitioner nonsense --limit 5 "$data" 2>/dev/null
rl_assert_eq "exit status for a bad --partitioner" 2 $?

# VW from stdin, tags as keys (and Event.key).
printf "1 'u1| a b:2\n0 'u2|ns c\n-1 | d\n" |
    "$RELEARN" produce --brokers "$bs" --topic vw --format vw --key tag - 2>"$RL_WORK/vw.log" ||
    rl_fail "produce from stdin failed: $(cat "$RL_WORK/vw.log")"
# (auto-created with 4 partitions, so order is per partition: compare sorted)
rl_kcat b -C -q -t vw -o beginning -e -f '%k\n' | sort | tr '\n' ',' >"$RL_WORK/vwkeys.txt"
rl_assert_eq "vw keys" ",u1,u2," "$(cat "$RL_WORK/vwkeys.txt")"

# --limit, --progress and --rate: 300 events at 1000/s take at least 0.3 s, with 3 progress lines.
t0=$(date +%s%N)
"$RELEARN" produce --brokers "$bs" --topic paced --limit 300 --progress 100 --rate 1000 "$data" \
    2>"$RL_WORK/paced.log" || rl_fail "paced produce failed"
t1=$(date +%s%N)
rl_assert_eq "progress lines" 3 "$(grep -c 'msg="produce progress"' "$RL_WORK/paced.log")"
grep -q 'produced=300 delivered=300 failed=0' "$RL_WORK/paced.log" || rl_fail "--limit 300 not honoured"
[ $(((t1 - t0) / 1000000)) -ge 290 ] || rl_fail "--rate 1000 sent 300 events in $(((t1 - t0) / 1000000)) ms"

# --strict stops at the first bad line with exit status 1.
"$RELEARN" produce --brokers "$bs" --topic strict --strict "$data" 2>/dev/null
rl_assert_eq "exit status under --strict" 1 $?

# Usage errors exit 2 and say why.
"$RELEARN" produce --topic x "$data" 2>"$RL_WORK/usage.log"
rl_assert_eq "exit status without --brokers" 2 $?
grep -q -- "--brokers" "$RL_WORK/usage.log" || rl_fail "usage error does not name --brokers"
"$RELEARN" produce --brokers "$bs" --topic x "$RL_WORK/missing.libsvm" 2>/dev/null
rl_assert_eq "exit status for a missing file" 2 $?

rl_broker_stop b
rl_log ok
