# daemon_giantckpt.sh - a giant file in the checkpoint directory must not make start-up (or
# relearn verify / inspect) read it into memory (issue 17, item 4). Three sparse files named as
# the newest checkpoints: 4 GiB of zeros (over [checkpoint] max_file_size, 2 GiB by default:
# refused from its size), 1.5 GiB behind a plausible RLCK header (header and size agree: the
# checksum is checked in a streamed pass and fails), 1 GiB of zeros (no magic). relearnd skips
# all three, loads the real checkpoint under them, and its peak RSS (VmHWM from /proc - a memory
# bound, not a timing) stays under 300 MiB; before, start-up peaked at 4.19 GB. The CLI's peak
# (getrusage of the child) likewise.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_giantckpt
. "$RL_TESTS/integration/daemon_lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || rl_skip "no /usr/bin/python3"
limit_kb=307200

rl_broker_start b --partitions 1 --topics events
rl_gen_stream 500 41 >"$RL_WORK/s.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s.svm" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed"
rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 500 60
rl_daemon_stop a
dir="$RL_WORK/ckpt-a"
truncate -s 4G "$dir/ckpt-00000000000000000099.rlck" || rl_skip "no sparse files here"
truncate -s 1G "$dir/ckpt-00000000000000000097.rlck"
# RLCK, version 1, flags 0, payload = raw = file - 24 - 8 (little-endian), then zeros.
"$PY" - "$dir/ckpt-00000000000000000098.rlck" <<'PYEOF'
import struct, sys
size = 1536 << 20
with open(sys.argv[1], "wb") as f:
    f.write(b"RLCK" + struct.pack("<HHQQ", 1, 0, size - 32, size - 32))
    f.truncate(size)
PYEOF

rl_daemon_start a
rl_wait_for 60 grep -q 'msg="warm start from checkpoint"' "$RL_WORK/a.log" ||
    rl_fail "no warm start from the real checkpoint"
rl_wait_metric a model_events 500 30
hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$(rl_daemon_pid a)/status")
rl_log "relearnd VmHWM ${hwm} kB with 6.5 GiB of giant files in its directory"
[ "$hwm" -lt $limit_kb ] || rl_fail "relearnd peaked at $hwm kB (bound $limit_kb kB)"
for n in 99 98 97; do
    grep -q "msg=\"checkpoint file skipped\" path=\"$dir/ckpt-000000000000000000$n.rlck\"" \
        "$RL_WORK/a.log" || rl_fail "ckpt ...$n not reported as skipped"
done
grep -q 'ckpt-00000000000000000099.rlck: 4294967296 bytes, over the bound' "$RL_WORK/a.log" ||
    rl_fail "the 4 GiB file not refused by its size"
grep -q 'ckpt-00000000000000000098.rlck: checksum mismatch' "$RL_WORK/a.log" ||
    rl_fail "the 1.5 GiB file not refused by its streamed checksum"
grep -q 'ckpt-00000000000000000097.rlck: not a relearn file' "$RL_WORK/a.log" ||
    rl_fail "the 1 GiB file not refused by its magic"
rl_daemon_stop a

# The CLI: verify and inspect refuse each one, within the same memory bound.
peak() { # peak RSS (kB) of the command, which must fail
    "$PY" -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode != 0 else -1)' "$@"
}
for n in 99 98 97; do
    for cmd in verify inspect; do
        kb=$(peak "$RELEARN" $cmd "$dir/ckpt-000000000000000000$n.rlck")
        [ "$kb" -ge 0 ] || rl_fail "relearn $cmd accepted the giant file ...$n"
        [ "$kb" -lt $limit_kb ] || rl_fail "relearn $cmd ...$n peaked at $kb kB"
    done
done
rl_log "ok"
