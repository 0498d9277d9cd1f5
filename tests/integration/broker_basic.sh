# broker_basic.sh - `relearn broker` starts, publishes its bootstrap address atomically, serves
# the topics and partitions asked for (as kcat sees them), applies and acknowledges control
# commands, refuses bad ones without dying, and exits 0 on SIGTERM removing its bootstrap file.
. "$RL_TESTS/integration/lib.sh"
rl_init broker_basic

rl_broker_start b --brokers 2 --partitions 3 --topics events,snapshots

bs=$(rl_bootstrap b)
# One line, two brokers, never a port we chose.
rl_assert_eq "bootstrap lines" 1 "$(wc -l <"$RL_WORK/broker-b.bootstrap" | tr -d ' ')"
echo "$bs" | grep -Eq '^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$' || rl_fail "bootstrap '$bs'"
rl_assert_eq "stdout bootstrap" "$bs" "$(head -n 1 "$RL_WORK/broker-b.out")"

rl_kcat b -L >"$RL_WORK/meta.txt" || rl_fail "kcat -L failed"
grep -q ' 2 brokers:' "$RL_WORK/meta.txt" || rl_fail "kcat -L does not show 2 brokers"
for t in events snapshots; do
    grep -q "topic \"$t\" with 3 partitions" "$RL_WORK/meta.txt" ||
        rl_fail "topic $t with 3 partitions missing from kcat -L"
done

# Round trip through kcat alone (the independent client), on every partition.
for p in 0 1 2; do
    printf 'a%s\nb%s\n' $p $p | rl_kcat b -P -t events -p $p || rl_fail "kcat -P partition $p"
done
rl_assert_eq "messages in events" 6 "$(rl_kcat_count b events)"

# Control: a topic created at run time shows up; bad commands are refused, broker stays up.
rl_broker_ctl b "create-topic late 5"
rl_kcat b -L -t late | grep -q 'topic "late" with 5 partitions' || rl_fail "create-topic late"
ctl="$RL_WORK/broker-b.ctl"
echo "broker-down notanumber" >>"$ctl"
echo "frobnicate 1 2" >>"$ctl"
rl_wait_for 10 grep -q 'seq=3 .*result=error' "$RL_WORK/broker-b.log" || rl_fail "no refusal for seq 3"
kill -0 "$(rl_broker_pid b)" || rl_fail "broker died on a bad control command"
rl_broker_ctl b "latency -1 5"
rl_broker_ctl b "leader events 0 2"
rl_kcat b -L -t events | grep -q 'partition 0, leader 2' || rl_fail "leader move not visible"

rl_broker_stop b
[ ! -e "$RL_WORK/broker-b.bootstrap" ] || rl_fail "bootstrap file left behind after exit"

# The control channel can also be a FIFO (writers come and go; the broker keeps reading).
fifo="$RL_WORK/ctl.fifo"
mkfifo "$fifo" || rl_fail "mkfifo"
"$RELEARN" broker --topics f --bootstrap-file "$RL_WORK/f.bootstrap" --control "$fifo" \
    >/dev/null 2>"$RL_WORK/fifo.log" &
fpid=$!
rl_track $fpid
rl_wait_for 10 test -s "$RL_WORK/f.bootstrap" || rl_fail "FIFO broker wrote no bootstrap file"
echo "create-topic viafifo 2" >"$fifo"
rl_wait_for 10 grep -q 'seq=1 cmd="create-topic viafifo 2" result=ok' "$RL_WORK/fifo.log" ||
    rl_fail "FIFO command 1 not acknowledged"
printf 'latency -1 1\nbroker-up 1\n' >"$fifo"
rl_wait_for 10 grep -q 'seq=3 cmd="broker-up 1" result=ok' "$RL_WORK/fifo.log" ||
    rl_fail "FIFO commands from a second writer not acknowledged"
timeout 30 "$RL_KCAT" -b "$(cat "$RL_WORK/f.bootstrap")" -L -t viafifo |
    grep -q 'topic "viafifo" with 2 partitions' || rl_fail "topic created through the FIFO missing"
kill -INT $fpid
wait $fpid
rl_assert_eq "exit status after SIGINT" 0 $?

# Usage errors exit 2.
"$RELEARN" broker --partitions 0 2>/dev/null
rl_assert_eq "exit status for --partitions 0" 2 $?
rl_log "ok"
