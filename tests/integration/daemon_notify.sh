# daemon_notify.sh - relearnd speaks systemd's notification protocol (deploy/relearnd.service is
# Type=notify with WatchdogSec): a unix datagram listener stands in for systemd as NOTIFY_SOCKET,
# with WATCHDOG_USEC set as systemd sets it. relearnd sends a STATUS= while it waits for the
# group, READY=1 after the first assignment, WATCHDOG=1 from the consume loop at half the
# interval (also while idle), STATUS= lines with its figures, and STOPPING=1 on SIGTERM, before
# the final checkpoint; its exit status stays 0. Without NOTIFY_SOCKET nothing changes (every
# other daemon test). The unit's settings are checked by docs_deploy (systemd-analyze verify).
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_notify
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 1 --topics events
rl_gen_stream 500 3 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_config a b
sock="$RL_WORK/notify.sock"
rl_bg listener /usr/bin/python3 "$RL_TESTS/integration/notify_listen.py" "$sock" "$RL_WORK/notify.txt" 120
rl_wait_for 10 test -S "$sock" || rl_fail "the notify listener did not bind $sock"
# WATCHDOG_USEC=2 s: pings are due every second, the batch timeout is shorter, so an idle loop
# must still ping.
NOTIFY_SOCKET="$sock" WATCHDOG_USEC=2000000 rl_daemon_start a
rl_wait_metric a model_events 500 60
sleep 12 # idle: watchdog pings and one figures STATUS= line must still come
rl_daemon_stop a
sleep 0.5
n=$(tr '\n' ';' <"$RL_WORK/notify.txt")
rl_log "notifications: $(wc -l <"$RL_WORK/notify.txt") lines, first: $(head -n 3 "$RL_WORK/notify.txt" | tr '\n' ';')"
line_of() { grep -n -m1 "$1" "$RL_WORK/notify.txt" | cut -d: -f1; }
waiting=$(line_of "STATUS=waiting for the consumer group's first assignment")
ready=$(line_of 'READY=1 | STATUS=learning: partitions assigned')
stopping=$(line_of 'STOPPING=1 | STATUS=stopping: final checkpoint and commit')
[ -n "$waiting" ] && [ -n "$ready" ] && [ -n "$stopping" ] ||
    rl_fail "missing notifications (waiting=$waiting ready=$ready stopping=$stopping): $n"
[ "$waiting" -lt "$ready" ] && [ "$ready" -lt "$stopping" ] ||
    rl_fail "notifications out of order (waiting $waiting, ready $ready, stopping $stopping)"
rl_assert_eq "READY=1 sent" 1 "$(grep -c 'READY=1' "$RL_WORK/notify.txt")"
grep -q 'STATUS=learning: 500 events in the model, checkpoint [0-9]*, snapshot version 0' "$RL_WORK/notify.txt" ||
    rl_fail "no STATUS= line with the figures: $n"
# Watchdog: pings while running, none further apart than the interval (2 s; 1 s expected).
awk '/WATCHDOG=1/ { if (last && $1 - last > gap) gap = $1 - last; last = $1; k++ }
     END { print k + 0, gap + 0 }' "$RL_WORK/notify.txt" >"$RL_WORK/wd.txt"
read pings gap <"$RL_WORK/wd.txt"
[ "$pings" -ge 8 ] || rl_fail "only $pings WATCHDOG=1 pings in over 12 s"
awk -v g="$gap" 'BEGIN { exit !(g < 2.0) }' || rl_fail "watchdog pings $gap s apart: over WATCHDOG_USEC"

rl_log "ok: $pings watchdog pings, largest gap $gap s"
