# daemon_flow.sh - events flow through relearnd: every event is learned (metrics count them),
# snapshots appear on the snapshot topic with increasing versions (schedule and SIGUSR1),
# offsets are committed to the group with "<instance>:<seq>" metadata, /healthz and /model
# answer, and SIGTERM leaves a checkpoint and exit status 0. A restart then continues the
# version line (never reused) and learns nothing twice.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_flow
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 2 --topics events
rl_gen_stream 600 7 >"$RL_WORK/s1.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events --key line "$RL_WORK/s1.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"

rl_daemon_config a b "[snapshot]" "every_events = 250"
# The [snapshot] section appears twice: the last value wins, as in the file.
rl_daemon_start a
rl_wait_metric a model_events 600 60
rl_wait_metric a snapshot_version 2 20

port=$(cat "$RL_WORK/a.port")
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" | grep -q 200 ||
    rl_fail "/healthz is not 200 on a healthy daemon"
curl -s "http://127.0.0.1:$port/model" | grep -q '"events": 600' || rl_fail "/model lacks events"
curl -s "http://127.0.0.1:$port/metrics" | grep -q 'relearnd_partition_lag{topic="events",partition="0"} 0' ||
    rl_fail "/metrics lacks partition lag"

# SIGUSR1: one more version now, without waiting for the schedule.
kill -USR1 "$(rl_daemon_pid a)"
rl_wait_metric a snapshot_version 3 20

# Committed offsets carry who wrote them (kcat shows the group's offsets with -Q? no: use the
# daemon's own view and the checkpoint). Both partitions committed to their high watermarks.
rl_wait_for 10 sh -c "curl -s http://127.0.0.1:$port/metrics | grep -c 'relearnd_partition_committed_offset{.*} [1-9]' | grep -q 2" ||
    rl_fail "offsets not committed on both partitions"

rl_daemon_stop a
grep -q 'msg="checkpoint written" why=shutdown' "$RL_WORK/a.log" ||
    grep -q 'msg="checkpoint written"' "$RL_WORK/a.log" || rl_fail "no checkpoint written"
ls "$RL_WORK/ckpt-a"/ckpt-*.rlck >/dev/null 2>&1 || rl_fail "no checkpoint file left"

# The snapshot topic, read by kcat: versions 1, 2, 3 of (m, a), each complete ("0/1").
rl_kcat b -C -q -t relearn-snapshots -o beginning -e -f '%h\n' >"$RL_WORK/snap-headers.txt" ||
    rl_fail "kcat could not read the snapshot topic"
versions=$(sed -n 's/.*relearn-version=\([0-9]*\).*/\1/p' "$RL_WORK/snap-headers.txt" | tr '\n' ' ')
rl_assert_eq "snapshot versions" "1 2 3 " "$versions"
grep -q 'relearn-instance=a' "$RL_WORK/snap-headers.txt" || rl_fail "no instance header"
grep -q 'relearn-chunk=0/1' "$RL_WORK/snap-headers.txt" || rl_fail "no chunk header"

# Version 3 was published while idle after all 600 events, so it holds exactly the weights of
# the final checkpoint: read it back with kcat (raw bytes) and compare weight by weight.
loc=$(rl_kcat b -C -q -t relearn-snapshots -o beginning -e -f '%p %o %h\n' |
    sed -n 's/^\([0-9]*\) \([0-9]*\) .*relearn-version=3.*/\1 \2/p')
[ -n "$loc" ] || rl_fail "version 3 not found on the snapshot topic"
rl_kcat b -C -q -t relearn-snapshots -p "${loc% *}" -o "${loc#* }" -c 1 -e -f '%s' >"$RL_WORK/v3.snap" ||
    rl_fail "kcat could not fetch version 3"
"$RELEARN" verify "$RL_WORK/v3.snap" >/dev/null 2>"$RL_WORK/err.txt" ||
    rl_fail "snapshot read back by kcat does not verify: $(cat "$RL_WORK/err.txt")"
last=$(ls "$RL_WORK/ckpt-a"/ckpt-*.rlck | tail -n 1)
rl_assert_same_weights "$last" "$RL_WORK/v3.snap" "snapshot v3 and the final checkpoint"
# [snapshot] compress = auto (the default): a few non-zero weights go out sparse, zstd-compressed.
"$RELEARN" inspect "$RL_WORK/v3.snap" | grep -E '^kind:' | grep -q 'zstd' ||
    rl_fail "a sparse snapshot was not compressed under compress = auto: $("$RELEARN" inspect "$RL_WORK/v3.snap" | grep '^kind:')"
"$RELEARN" inspect "$RL_WORK/v3.snap" | grep -q 'events seen: *600' ||
    rl_fail "snapshot v3 does not say it learned from 600 events"

# --init-model: a new instance (own group, empty checkpoint dir) starts from v3's weights.
rl_daemon_config c b "[input]" "group = g-init"
rl_daemon_start c --init-model "$RL_WORK/v3.snap"
grep -q "msg=\"warm start from snapshot weights\" path=\"$RL_WORK/v3.snap\" model=m version=3 instance=a" "$RL_WORK/c.log" ||
    rl_fail "--init-model did not start from the snapshot"
rl_daemon_stop c
rl_daemon_config d b "[input]" "group = g-init2"
"$RELEARND" --config "$RL_WORK/d.ini" --init-model "$RL_WORK/no-such.snap" --metrics-listen off 2>"$RL_WORK/err.txt"
st=$?
rl_assert_eq "exit status for a missing --init-model" 1 $st
grep -q "no-such.snap" "$RL_WORK/err.txt" || rl_fail "missing --init-model not named: $(cat "$RL_WORK/err.txt")"

# Restart: resumes from the checkpoint (nothing relearned), the next version is 4.
rl_gen_stream 200 8 >"$RL_WORK/s2.svm"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events --key line "$RL_WORK/s2.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_start a
rl_wait_metric a model_events 800 60
# Exactly the new events were consumed in this run: no replay of the first 600.
rl_wait_metric a 'events_total{outcome="learned"}' 200 10
grep -q 'next=4' "$RL_WORK/a.log" || rl_fail "restart did not continue the version line at 4"
grep -q 'why="own checkpoint"' "$RL_WORK/a.log" || rl_fail "restart did not resume from own checkpoint"
kill -USR1 "$(rl_daemon_pid a)"
rl_wait_metric a snapshot_version 4 20
rl_daemon_stop a
rl_log "ok"
