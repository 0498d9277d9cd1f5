# daemon_chunks.sh - a snapshot larger than [snapshot] chunk_bytes travels as numbered chunks
# through a real broker: kcat sees every chunk of each version with "i/n" headers, and
# `relearn snapshots --get` reassembles a version that verifies and holds exactly the weights of
# the daemon's final checkpoint. The second version is published after a restart, so chunking
# also holds for a warm-started daemon.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_chunks
. "$RL_TESTS/integration/daemon_lib.sh"

GEN="$RL_BUILD/bench/gen_eval_libsvm"
[ -x "$GEN" ] || rl_fail "no stream generator at $GEN"

rl_broker_start b --partitions 2 --topics events
bs=$(rl_bootstrap b)
# 40 features a line over indices 1..16384, hashed into 2^12 slots: after 3000 lines ~98% of
# the weights are set, so the snapshot goes out dense (~16 KiB, uncompressed under the default
# compress = auto) and needs 5 chunks of 4 KiB.
"$GEN" 3000 40 16384 5 >"$RL_WORK/s1.svm"
"$RELEARN" produce --brokers "$bs" --topic events --key line "$RL_WORK/s1.svm" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed: $(tail -3 "$RL_WORK/produce.log")"

rl_daemon_config a b "[model]" "bits = 12" "[snapshot]" "chunk_bytes = 4096" "gate_tolerance = inf"
rl_daemon_start a
rl_wait_metric a model_events 3000 60
kill -USR1 "$(rl_daemon_pid a)"
rl_wait_metric a snapshot_version 1 20
rl_daemon_stop a

# Every chunk of version 1, as kcat reads it: "i/n" with n > 1 and i = 0..n-1, each once.
rl_kcat b -C -q -t relearn-snapshots -o beginning -e -f '%h\n' >"$RL_WORK/h1.txt" ||
    rl_fail "kcat could not read the snapshot topic"
sed -n 's/.*relearn-version=1\(,.*\)*$/&/p' "$RL_WORK/h1.txt" |
    sed -n 's/.*relearn-chunk=\([0-9]*\)\/\([0-9]*\).*/\1 \2/p' | sort -n >"$RL_WORK/chunks1.txt"
n=$(awk 'NR == 1 { print $2 }' "$RL_WORK/chunks1.txt")
[ -n "$n" ] && [ "$n" -gt 1 ] || rl_fail "version 1 was not chunked: $(head -3 "$RL_WORK/h1.txt")"
rl_assert_eq "chunks of version 1" "$n" "$(wc -l <"$RL_WORK/chunks1.txt" | tr -d ' ')"
awk -v n="$n" '$1 != NR - 1 || $2 != n { exit 1 }' "$RL_WORK/chunks1.txt" ||
    rl_fail "chunk headers of version 1 are not 0..$((n - 1))/$n: $(tr '\n' ' ' <"$RL_WORK/chunks1.txt")"
rl_log "version 1 travelled as $n chunks"

timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic relearn-snapshots --get 1 -o "$RL_WORK/v1.snap" \
    2>"$RL_WORK/get.log" || rl_fail "snapshots --get 1 failed: $(cat "$RL_WORK/get.log")"
size=$(wc -c <"$RL_WORK/v1.snap")
[ "$size" -gt 4096 ] || rl_fail "reassembled snapshot is only $size bytes"
"$RELEARN" verify "$RL_WORK/v1.snap" >/dev/null 2>"$RL_WORK/err.txt" ||
    rl_fail "reassembled snapshot does not verify: $(cat "$RL_WORK/err.txt")"
last=$(ls "$RL_WORK/ckpt-a"/ckpt-*.rlck | tail -n 1)
rl_assert_same_weights "$last" "$RL_WORK/v1.snap" "reassembled v1 and the final checkpoint"
# [snapshot] compress = auto (the default): dense rows go out uncompressed.
"$RELEARN" inspect "$RL_WORK/v1.snap" | grep -E '^kind:' | grep -q 'zstd' &&
    rl_fail "a dense snapshot was zstd-compressed under compress = auto: $("$RELEARN" inspect "$RL_WORK/v1.snap" | grep '^kind:')"

# The checkpoint keeps the promotion gate's reference: the recent loss v1 was published with.
"$RELEARN" inspect "$last" | grep -Eq '^published loss: +[0-9.e+-]+ ' ||
    rl_fail "inspect does not show the published loss: $("$RELEARN" inspect "$last" | head -12)"
"$RELEARN" inspect --json "$last" | grep -Eq '"published_recent_loss": [0-9]' ||
    rl_fail "inspect --json lacks published_recent_loss"
# Restart from the checkpoint, learn more, publish version 2: chunked as well, reassembles.
"$GEN" 500 40 16384 6 >"$RL_WORK/s2.svm"
"$RELEARN" produce --brokers "$bs" --topic events --key line "$RL_WORK/s2.svm" 2>>"$RL_WORK/produce.log" ||
    rl_fail "produce failed"
rl_daemon_start a
rl_wait_metric a model_events 3500 60
kill -USR1 "$(rl_daemon_pid a)"
rl_wait_metric a snapshot_version 2 20
rl_daemon_stop a
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic relearn-snapshots --get 2 -o "$RL_WORK/v2.snap" \
    2>"$RL_WORK/get2.log" || rl_fail "snapshots --get 2 failed: $(cat "$RL_WORK/get2.log")"
"$RELEARN" inspect "$RL_WORK/v2.snap" | grep -q 'events seen: *3500' ||
    rl_fail "reassembled v2 does not say it learned from 3500 events"
last=$(ls "$RL_WORK/ckpt-a"/ckpt-*.rlck | tail -n 1)
rl_assert_same_weights "$last" "$RL_WORK/v2.snap" "reassembled v2 and the final checkpoint"
rl_log "ok"
