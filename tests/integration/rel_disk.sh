# rel_disk.sh - disk faults under a running relearnd (issue 6), injected by the faultfs
# LD_PRELOAD shim (tests/shim/faultfs.c) into its checkpoint directory, switched on and off at
# run time: ENOSPC on write, EIO on fsync, EIO on rename, EACCES on create (an unwritable
# directory: chmod cannot show it, the tests run as root). (The directory removed or replaced is
# not a passing fault: daemon_ckptdir_gone.) For each:
#   - the failure is counted (checkpoints_total{result="failed"}, failures_in_a_row), logged,
#     alerted on the alerts topic, and /healthz answers 503 while it lasts;
#   - writes are retried with exponential backoff (the logged retry_in_s doubles, and the
#     attempts are spaced at least that far apart);
#   - the last good checkpoint stays byte-for-byte intact and is what a reader loads; no temp
#     file is left behind;
#   - the group's committed offset (asked of the broker, not of relearnd) never passes the
#     offset the newest durable checkpoint holds;
#   - when the fault clears, checkpoints and commits catch up.
# Then a kill -9 in the middle of a fault: the restart replays from the last good checkpoint and
# every event is applied exactly once. A missing directory (at start, or removed while running)
# is created with mode 0700 by the next checkpoint.
# RL_LONG=1 repeats the fault cycle three times.
. "$RL_TESTS/integration/lib.sh"
rl_init rel_disk
. "$RL_TESTS/integration/daemon_lib.sh"

DUMP="$RL_BUILD/tests/rel_ckpt_dump"
COMMITTED="$RL_BUILD/tests/rel_committed"
SHIM="$RL_BUILD/tests/librl_faultfs.so"
for f in "$DUMP" "$COMMITTED" "$SHIM"; do
    [ -f "$f" ] || rl_fail "missing $f (build the reliability targets)"
done
cycles=1
[ "${RL_LONG:-0}" = 1 ] && cycles=3

rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
dir="$RL_WORK/ckpt-a"
ctl="$RL_WORK/faultfs.ctl"
flog="$RL_WORK/faultfs.log"
: >"$ctl"
[ -e "$dir" ] && rl_fail "$dir exists before the test"

total=0
seedn=1
# produce N: N more events on the topic.
produce() {
    seedn=$((seedn + 1))
    rl_gen_stream "$1" $seedn >"$RL_WORK/batch.svm"
    "$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/batch.svm" 2>>"$RL_WORK/produce.log" ||
        rl_fail "produce failed"
    total=$((total + $1))
}

# committed: the group's committed offset of events[0] and its metadata, from the broker.
committed() {
    "$COMMITTED" "$bs" g events 1 2>>"$RL_WORK/committed.err" | awk '{ print $3, $4 }'
}
committed_is() {
    [ "$(committed | cut -d' ' -f1)" = "$1" ]
}

start_a() {
    asan0=${ASAN_OPTIONS-}
    # An ASan build of relearnd accepts a preloaded library only with this.
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
    export LD_PRELOAD="$SHIM" RL_FAULTFS_DIR="$dir" RL_FAULTFS_CTL="$ctl" RL_FAULTFS_LOG="$flog"
    rl_daemon_start a
    unset LD_PRELOAD RL_FAULTFS_DIR RL_FAULTFS_CTL RL_FAULTFS_LOG ASAN_OPTIONS
    [ -n "$asan0" ] && export ASAN_OPTIONS="$asan0"
}

failed_at_least() {
    v=$(rl_metric a 'checkpoints_total{result="failed"}')
    [ -n "$v" ] && [ "$v" -ge "$1" ]
}

healthz_code() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$(cat "$RL_WORK/a.port")/healthz"
}

rl_daemon_config a b "[checkpoint]" "every_events = 50" "every_seconds = 0.3" "retry_max = 4" \
    "keep = 2"
start_a
mode=$(stat -c %a "$dir")
rl_assert_eq "mode of the checkpoint dir relearnd created" 700 "$mode"
produce 300
rl_wait_metric a model_events $total 60
rl_wait_for 20 committed_is $total || rl_fail "offset $total never committed (got '$(committed)')"

# fault_cycle SPEC WHAT: one fault episode under the running daemon.
fault_cycle() {
    spec=$1
    what=$2
    "$DUMP" "$dir" >"$RL_WORK/good.dump" 2>&1 || rl_fail "no good checkpoint before '$what': $(cat "$RL_WORK/good.dump")"
    good_path=$(sed -n 's/^path=//p' "$RL_WORK/good.dump")
    good_seq=$(sed -n 's/^seq=//p' "$RL_WORK/good.dump")
    good_off=$(sed -n 's/^offset events 0 //p' "$RL_WORK/good.dump")
    good_sum=$(sha256sum "$good_path" | cut -d' ' -f1)
    rl_assert_eq "checkpointed offset before '$what'" $total "$good_off"
    failed0=$(rl_metric a 'checkpoints_total{result="failed"}')
    log0=$(wc -l <"$RL_WORK/a.log")
    inj0=$(cat "$flog" 2>/dev/null | wc -l)

    echo "$spec" >"$ctl"
    produce 200
    rl_wait_metric a model_events $total 60
    # Three failed attempts: the first, then retries after 0.5 s and 1 s of backoff.
    rl_wait_for 30 failed_at_least $((failed0 + 3)) ||
        rl_fail "'$what': checkpoint failures not counted ($(rl_metric a 'checkpoints_total{result="failed"}'))"
    [ "$(rl_metric a checkpoint_failures_in_a_row)" -ge 3 ] || rl_fail "'$what': failures_in_a_row not counted"
    rl_assert_eq "'$what': /healthz while checkpoints fail" 503 "$(healthz_code)"
    curl -s --max-time 5 "http://127.0.0.1:$(cat "$RL_WORK/a.port")/healthz" | grep -q 'checkpoints failing' ||
        rl_fail "'$what': /healthz does not say why"
    # Committed offsets stay at the last durable checkpoint's, written by it.
    rl_assert_eq "'$what': committed offset while checkpoints fail" "$good_off a:$good_seq" "$(committed)"
    {
        rl_assert_eq "'$what': last good checkpoint unchanged" "$good_sum" "$(sha256sum "$good_path" | cut -d' ' -f1)"
        "$DUMP" "$dir" >"$RL_WORK/during.dump" 2>&1 || rl_fail "'$what': the last good checkpoint does not load"
        rl_assert_eq "'$what': checkpoint a reader loads" "seq=$good_seq" "$(grep '^seq=' "$RL_WORK/during.dump")"
        inj=$(cat "$flog" 2>/dev/null | wc -l)
        [ "$inj" -gt "$inj0" ] || rl_fail "'$what': the shim injected nothing"
    }
    # Backoff: the logged delays double (0.5, 1.0, 2.0) and attempts are spaced accordingly.
    tail -n +"$log0" "$RL_WORK/a.log" | grep 'msg="checkpoint failed; offsets not committed"' >"$RL_WORK/fails.txt"
    grep -q 'error=' "$RL_WORK/fails.txt" || rl_fail "'$what': failure logged without its error"
    delays=$(sed -n 's/.*retry_in_s=\([0-9.]*\).*/\1/p' "$RL_WORK/fails.txt" | head -n 3 | tr '\n' ' ')
    rl_assert_eq "'$what': backoff delays" "0.5 1.0 2.0 " "$delays"
    sed -n 's/^ts=[0-9-]*T\([0-9]*\):\([0-9]*\):\([0-9.]*\)Z.*retry_in_s=\([0-9.]*\).*/\1 \2 \3 \4/p' \
        "$RL_WORK/fails.txt" | head -n 3 | awk -v w="$what" '
        { t = $1 * 3600 + $2 * 60 + $3; if (NR > 1 && t - prev < 0.9 * d) { printf "%s: attempt %d came %.2fs after the last, backoff was %s\n", w, NR, t - prev, d; bad = 1 } prev = t; d = $4 }
        END { exit bad }' || rl_fail "retries not spaced by their backoff"

    # Clear the fault: checkpoints recover, the commit catches up.
    : >"$ctl"
    rl_wait_metric a checkpoint_failures_in_a_row 0 30
    rl_wait_for 20 committed_is $total || rl_fail "'$what': commit did not catch up to $total (got '$(committed)')"
    rl_assert_eq "'$what': /healthz after recovery" 200 "$(healthz_code)"
    ls "$dir" | grep -q '\.tmp\.' && rl_fail "'$what': temp files left in $dir: $(ls "$dir")"
    rl_log "'$what': counted, retried with backoff, /healthz 503, last good checkpoint intact, commits held at $good_off, recovered"
}

c=0
while [ $c -lt $cycles ]; do
    fault_cycle "write ENOSPC" "disk full (ENOSPC on write)"
    fault_cycle "fsync EIO" "EIO on fsync"
    fault_cycle "rename EIO" "EIO on rename"
    fault_cycle "open EACCES" "directory unwritable (EACCES on create)"
    # The directory removed or replaced is no passing fault: relearnd stops checkpointing
    # there until restarted (daemon_ckptdir_gone).
    c=$((c + 1))
done
rl_assert_eq "mode of the checkpoint dir relearnd created" 700 "$(stat -c %a "$dir")"

# A crash in the middle of a fault: the restart loads the last good checkpoint and replays.
"$DUMP" "$dir" >"$RL_WORK/good.dump" 2>&1 || rl_fail "no checkpoint before the crash"
good_off=$(sed -n 's/^offset events 0 //p' "$RL_WORK/good.dump")
echo "write ENOSPC" >"$ctl"
produce 250
rl_wait_metric a model_events $total 60
rl_wait_for 30 failed_at_least $(($(rl_metric a 'checkpoints_total{result="failed"}') + 1)) ||
    rl_fail "no failure before the crash"
rl_daemon_kill9 a
committed_is "$good_off" || rl_fail "committed offset passed the checkpoint: $(committed), checkpoint $good_off"
: >"$ctl"
start_a
rl_wait_metric a model_events $total 60
sleep 1
rl_assert_eq "events applied after a crash during a disk fault" $total "$(rl_metric a model_events)"
rl_wait_for 20 committed_is $total || rl_fail "commit after restart (got '$(committed)')"
rl_daemon_stop a
"$DUMP" "$dir" >"$RL_WORK/final.dump" 2>&1 || rl_fail "final checkpoint unreadable"
rl_assert_eq "final checkpoint events" $total "$(sed -n 's/^events=//p' "$RL_WORK/final.dump")"
rl_assert_eq "final checkpoint offset" $total "$(sed -n 's/^offset events 0 //p' "$RL_WORK/final.dump")"

# Alerts: one per episode at least (first failure), detector "checkpoint", on the alerts topic.
rl_kcat b -C -q -t relearn-alerts -o beginning -e -f '%s\n' >"$RL_WORK/alerts.txt" ||
    rl_fail "kcat could not read the alerts topic"
na=$(grep -c '"detector": *"checkpoint"' "$RL_WORK/alerts.txt")
[ "$na" -ge $((4 * cycles + 1)) ] || rl_fail "only $na checkpoint alerts on the alerts topic, expected >= $((4 * cycles + 1))"
rl_log "ok: $((4 * cycles)) fault episodes + a crash during a fault, $na alerts"
