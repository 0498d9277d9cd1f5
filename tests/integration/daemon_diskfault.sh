# daemon_diskfault.sh - the checkpoint disk fills up (ENOSPC through an LD_PRELOAD shim): the
# last good checkpoint stays intact, the failure is logged, counted and alerted, writes are
# retried with backoff, /healthz answers 503, and no offset is committed past what a durable
# checkpoint holds. When the disk frees up, relearnd recovers by itself; when it is killed while
# the disk is full, the restart resumes from the last good checkpoint and learns every event
# exactly once.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_diskfault
. "$RL_TESTS/integration/daemon_lib.sh"

shim="$RL_BUILD/tests/librl_daemon_faultfs.so"
[ -f "$shim" ] || rl_fail "no fault shim at $shim"
rl_broker_start b --partitions 2 --topics events
bs=$(rl_bootstrap b)
produce() {
    rl_gen_stream 500 "$1" >"$RL_WORK/s$1.svm"
    "$RELEARN" produce --brokers "$bs" --topic events --key line "$RL_WORK/s$1.svm" \
        2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
}
committed_sum() {
    curl -s "http://127.0.0.1:$(cat "$RL_WORK/a.port")/metrics" |
        awk '/^relearnd_partition_committed_offset\{/ { if ($2 > 0) s += $2 } END { print s + 0 }'
}
committed_is() {
    [ "$(committed_sum)" = "$1" ]
}
healthz() {
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$(cat "$RL_WORK/a.port")/healthz"
}
healthz_is() {
    [ "$(healthz)" = "$1" ]
}

rl_daemon_config a b "[checkpoint]" "retry_max = 0.5"
ck="$RL_WORK/ckpt-a"
export RL_FAULT_DIR="$ck" RL_FAULT_TRIGGER="$RL_WORK/disk-full"

produce 1
LD_PRELOAD="$shim" rl_daemon_start a
rl_wait_metric a model_events 500 60
rl_wait_for 15 committed_is 500 || rl_fail "first 500 events not committed ($(committed_sum))"
ls "$ck" >"$RL_WORK/good-files.txt"

# Disk full.
touch "$RL_WORK/disk-full"
produce 2
rl_wait_metric a model_events 1000 30
rl_wait_for 15 sh -c "[ \$(curl -s http://127.0.0.1:\$(cat $RL_WORK/a.port)/metrics | awk '\$1==\"relearnd_checkpoint_failures_in_a_row\"{print \$2}') -ge 2 ]" ||
    rl_fail "checkpoint failures not counted or not retried"
rl_wait_for 10 healthz_is 503 || rl_fail "/healthz is $(healthz) while checkpoints fail"
curl -s "http://127.0.0.1:$(cat "$RL_WORK/a.port")/healthz" | grep -q 'checkpoints failing' ||
    rl_fail "/healthz does not say why"
rl_assert_eq "committed while the disk is full" 500 "$(committed_sum)"
grep -q 'msg="checkpoint failed; offsets not committed".*No space left on device' "$RL_WORK/a.log" ||
    rl_fail "checkpoint failure not logged with its reason"
ls "$ck" | cmp -s - "$RL_WORK/good-files.txt" || rl_fail "checkpoint files changed while the disk was full"
# `relearn inspect` verifies the whole file (frame, checksum, structure) before reporting.
"$RELEARN" inspect "$ck/$(tail -n 1 "$RL_WORK/good-files.txt")" >/dev/null 2>"$RL_WORK/err.txt" ||
    rl_fail "the last good checkpoint does not verify: $(cat "$RL_WORK/err.txt")"

# Disk back: recovery without a restart.
rm -f "$RL_WORK/disk-full"
rl_wait_metric a checkpoint_failures_in_a_row 0 15
rl_wait_for 10 healthz_is 200 || rl_fail "/healthz stays $(healthz) after recovery"
rl_wait_for 10 committed_is 1000 || rl_fail "offsets not committed after recovery ($(committed_sum))"

# Disk full again, then a crash: the restart resumes from the last good checkpoint.
touch "$RL_WORK/disk-full"
produce 3
rl_wait_metric a model_events 1500 30
rl_wait_for 15 sh -c "[ \$(curl -s http://127.0.0.1:\$(cat $RL_WORK/a.port)/metrics | awk '\$1==\"relearnd_checkpoint_failures_in_a_row\"{print \$2}') -ge 1 ]" ||
    rl_fail "second checkpoint failure not counted"
rl_assert_eq "committed while the disk is full again" 1000 "$(committed_sum)"
rl_daemon_kill9 a
rm -f "$RL_WORK/disk-full"
rl_daemon_start a
rl_wait_metric a model_events 1500 60
sleep 2
rl_assert_eq "events learned once across the fault and the crash" 1500 "$(rl_metric a model_events)"
rl_daemon_stop a

rl_kcat b -C -q -t relearn-alerts -o beginning -e -f '%s\n' | grep -q '"detector":"checkpoint"' ||
    rl_fail "no checkpoint alert on the alerts topic"
rl_log "ok"
