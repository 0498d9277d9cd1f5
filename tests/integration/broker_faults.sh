# broker_faults.sh - fault injection through `relearn broker --control`, seen by real clients:
# with every broker down a produce with a short message.timeout.ms fails (exit 1, failures
# counted); brought back up, produce recovers; a broker outage in the middle of a produce, a
# burst of produce request errors and added latency are all ridden out by the idempotent
# producer with every event delivered exactly once (kcat counts); SIGTERM exits 0.
. "$RL_TESTS/integration/lib.sh"
rl_init broker_faults

rl_broker_start b --partitions 2 --topics t
bs=$(rl_bootstrap b)
data="$RL_WORK/in.libsvm"
awk 'BEGIN { for (i = 1; i <= 200; i++) printf "%d %d:1 %d:0.5\n", i % 2, i % 13 + 1, i % 29 + 20 }' >"$data"

# 1. Everything down: delivery fails within the timeout, the failures are counted, exit 1.
rl_broker_ctl b "broker-down -1"
timeout 60 "$RELEARN" produce --brokers "$bs" --topic t -X message.timeout.ms=2000 \
    "$data" 2>"$RL_WORK/down.log"
st=$?
rl_assert_eq "exit status with the broker down" 1 $st
grep -q 'msg="produce done".* delivered=0 failed=200 ' "$RL_WORK/down.log" ||
    rl_fail "failures not counted: $(grep 'produce done' "$RL_WORK/down.log")"
grep -q 'delivery to t \[-\{0,1\}[0-9]*\] failed' "$RL_WORK/down.log" || rl_fail "no delivery failure reported"

# 2. Back up: the same produce succeeds.
rl_broker_ctl b "broker-up -1"
timeout 60 "$RELEARN" produce --brokers "$bs" --topic t "$data" 2>"$RL_WORK/up.log" ||
    rl_fail "produce after broker-up failed: $(tail -n 3 "$RL_WORK/up.log")"
rl_assert_eq "messages after recovery" 200 "$(rl_kcat_count b t)"

# 3. An outage in the middle of a rate-limited produce: it waits and delivers all, once.
rl_bg mid timeout 90 "$RELEARN" produce --brokers "$bs" --topic t --rate 100 \
    -X message.timeout.ms=60000 "$data"
mid=$RL_LAST_PID
sleep 0.5
rl_broker_ctl b "broker-down -1"
sleep 2
rl_broker_ctl b "broker-up -1"
wait $mid
rl_assert_eq "exit status of the produce across an outage" 0 $?
rl_assert_eq "messages after the outage" 400 "$(rl_kcat_count b t)"

# 4. Produce request errors (retriable) and latency: retried, nothing lost or doubled.
rl_broker_ctl b "error produce 5 NOT_LEADER_FOR_PARTITION"
rl_broker_ctl b "error produce 3 REQUEST_TIMED_OUT"
rl_broker_ctl b "latency -1 100"
timeout 60 "$RELEARN" produce --brokers "$bs" --topic t "$data" 2>"$RL_WORK/err.log" ||
    rl_fail "produce with request errors failed: $(tail -n 3 "$RL_WORK/err.log")"
rl_assert_eq "messages after request errors" 600 "$(rl_kcat_count b t)"

# 5. A non-retriable error fails the affected messages and the exit status says so.
rl_broker_ctl b "latency -1 0"
rl_broker_ctl b "error produce 50 INVALID_RECORD"
timeout 60 "$RELEARN" produce --brokers "$bs" --topic t --limit 5 "$data" 2>"$RL_WORK/fatal.log"
rl_assert_eq "exit status with non-retriable errors" 1 $?
rl_broker_ctl b "clear-errors produce"

rl_broker_stop b
rl_log ok
