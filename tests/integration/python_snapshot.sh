# python_snapshot.sh - the Python reader (python/relearn_snapshot.py, written from
# docs/FORMAT.md) on a snapshot relearnd publishes: the default learner (sgd, normalized, so
# with clip scales) learns a VW stream with namespaces and categories, publishes a version cut
# into chunks, kcat fetches every message of the snapshot topic, Python reassembles them (the
# same bytes `relearn snapshots --get` writes) and scores 400 probe events - the stream's
# features, values far beyond their training range (up to 1e18), unseen names - and every
# output equals the C predictor's (rl_snapshot_score) bit for bit.
. "$RL_TESTS/integration/lib.sh"
rl_init python_snapshot
. "$RL_TESTS/integration/daemon_lib.sh"

PY=/usr/bin/python3
HELP="$RL_TESTS/integration/python_snapshot.py"
SCORE="$RL_BUILD/tests/rl_snapshot_score"
[ -x "$SCORE" ] || rl_fail "no rl_snapshot_score at $SCORE"
$PY -c 'import google.protobuf, xxhash, zstandard' 2>/dev/null && command -v protoc >/dev/null ||
    rl_skip "needs python3-protobuf, python3-xxhash, python3-zstandard, protoc (scripts/deps.sh --test)"
export RELEARN_PROTO_DIR="$RL_SRC/proto"

rl_broker_start b --partitions 2 --topics events
bs=$(rl_bootstrap b)
$PY "$HELP" stream 3000 11 >"$RL_WORK/s.vw" || rl_fail "stream generator failed"
"$RELEARN" produce --brokers "$bs" --topic events --key line "$RL_WORK/s.vw" 2>"$RL_WORK/produce.log" ||
    rl_fail "produce failed: $(tail -3 "$RL_WORK/produce.log")"

rl_daemon_config a b "[snapshot]" "chunk_bytes = 4096" "gate_tolerance = inf"
rl_daemon_start a
rl_wait_metric a model_events 3000 60
kill -USR1 "$(rl_daemon_pid a)"
rl_wait_metric a snapshot_version 1 20
rl_daemon_stop a

rl_kcat b -C -q -t relearn-snapshots -o beginning -e -f '%S\n%s\n' >"$RL_WORK/dump.bin" ||
    rl_fail "kcat could not read the snapshot topic"
$PY "$HELP" fetch "$RL_WORK/dump.bin" "$RL_WORK/py.rlsn" >"$RL_WORK/fetch.log" 2>&1 ||
    rl_fail "python could not reassemble the published snapshot: $(tail -5 "$RL_WORK/fetch.log")"
rl_log "$(cat "$RL_WORK/fetch.log")"
grep -q ' chunks): m version 1, format 2,' "$RL_WORK/fetch.log" ||
    rl_fail "expected version 1 of m in format 2 (clip scales): $(cat "$RL_WORK/fetch.log")"
grep -q '(0 chunks)' "$RL_WORK/fetch.log" && rl_fail "the snapshot was not chunked"
timeout 60 "$RELEARN" snapshots --brokers "$bs" --topic relearn-snapshots --get 1 -o "$RL_WORK/c.rlsn" \
    2>"$RL_WORK/get.log" || rl_fail "snapshots --get 1 failed: $(cat "$RL_WORK/get.log")"
cmp -s "$RL_WORK/py.rlsn" "$RL_WORK/c.rlsn" ||
    rl_fail "python's reassembly differs from relearn snapshots --get"

$PY "$HELP" probes "$RL_WORK/probes.json" || rl_fail "probe generator failed"
"$SCORE" "$RL_WORK/c.rlsn" "$RL_WORK/probes.json" >"$RL_WORK/c.json" 2>"$RL_WORK/score.log" ||
    rl_fail "rl_snapshot_score failed: $(cat "$RL_WORK/score.log")"
$PY "$HELP" check "$RL_WORK/py.rlsn" "$RL_WORK/c.json" >"$RL_WORK/check.log" 2>&1 ||
    rl_fail "python and C predictions differ: $(tail -8 "$RL_WORK/check.log")"
rl_log "$(tail -1 "$RL_WORK/check.log")"
rl_log "ok"
