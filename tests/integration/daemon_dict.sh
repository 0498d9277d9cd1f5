# daemon_dict.sh - relearnd keeps the feature names behind its hashed slots (model/dict.h):
# events with named features (VW text through `relearn produce`) leave those names in every
# checkpoint and snapshot, so `relearn inspect` shows names, not slot numbers; a restart
# restores them from the checkpoint and keeps counting, so names learned before it survive.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_dict
. "$RL_TESTS/integration/daemon_lib.sh"

rl_broker_start b --partitions 2 --topics events
# Run 1: namespaces user and ad; run 2: only the namespace page, so names of run 1 can only be
# in the final checkpoint if the restart restored them.
awk 'BEGIN { for (i = 0; i < 300; i++)
    printf "%d |user age:%d income:%d |ad clicked_%d\n", i % 2, 20 + i % 50, i % 7, i % 3 }' \
    >"$RL_WORK/s1.vw"
awk 'BEGIN { for (i = 0; i < 100; i++) printf "%d |page scroll:%d\n", i % 2, i % 9 }' \
    >"$RL_WORK/s2.vw"
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s1.vw" \
    2>"$RL_WORK/produce.log" || rl_fail "produce failed: $(cat "$RL_WORK/produce.log")"

rl_daemon_config a b
rl_daemon_start a
rl_wait_metric a model_events 300 60
kill -USR1 "$(rl_daemon_pid a)"
rl_wait_metric a snapshot_version 1 20
rl_daemon_stop a

has_names() { # FILE what NAME...
    _f=$1
    _what=$2
    shift 2
    "$RELEARN" inspect --json --top 50 "$_f" >"$RL_WORK/inspect.json" 2>"$RL_WORK/err.txt" ||
        rl_fail "$_what: relearn inspect failed: $(cat "$RL_WORK/err.txt")"
    for _n in "$@"; do
        grep -q "\"$_n\"" "$RL_WORK/inspect.json" ||
            rl_fail "$_what: name $_n missing: $(head -c 1500 "$RL_WORK/inspect.json")"
    done
}
names1='user^age user^income ad^clicked_0 ad^clicked_1 ad^clicked_2'
last=$(ls "$RL_WORK/ckpt-a"/ckpt-*.rlck | tail -n 1)
# shellcheck disable=SC2086
has_names "$last" "checkpoint after run 1" $names1
"$RELEARN" inspect "$last" >"$RL_WORK/inspect.txt" 2>&1
grep -q '5 feature names known' "$RL_WORK/inspect.txt" ||
    rl_fail "checkpoint after run 1: not 5 names: $(grep -i 'names' "$RL_WORK/inspect.txt")"

# The snapshot on the topic carries them too.
rl_kcat b -C -q -t relearn-snapshots -o beginning -c 1 -e -f '%s' >"$RL_WORK/v1.snap" ||
    rl_fail "kcat could not read the snapshot topic"
# shellcheck disable=SC2086
has_names "$RL_WORK/v1.snap" "snapshot v1" $names1

# Run 2: warm start, new names only; the final checkpoint knows both runs' names.
"$RELEARN" produce --brokers "$(rl_bootstrap b)" --topic events "$RL_WORK/s2.vw" \
    2>>"$RL_WORK/produce.log" || rl_fail "produce failed: $(cat "$RL_WORK/produce.log")"
rl_daemon_start a
rl_wait_metric a model_events 400 60
rl_daemon_stop a
last=$(ls "$RL_WORK/ckpt-a"/ckpt-*.rlck | tail -n 1)
# shellcheck disable=SC2086
has_names "$last" "checkpoint after the restart" $names1 'page^scroll'
"$RELEARN" inspect "$last" >"$RL_WORK/inspect.txt" 2>&1
grep -q '6 feature names known' "$RL_WORK/inspect.txt" ||
    rl_fail "checkpoint after the restart: not 6 names: $(grep -i 'names' "$RL_WORK/inspect.txt")"
rl_log "ok"
