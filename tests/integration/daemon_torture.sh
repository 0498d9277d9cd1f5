# daemon_torture.sh - crash consistency under kill -9 (issue 6). A producer streams events into
# one partition at a steady rate while relearnd is killed with SIGKILL at random moments (while
# consuming, checkpointing, publishing) and restarted, KILLS times (5; RL_LONG=1: 25). Then:
#   - the model has learned from exactly the events produced (none lost, none twice);
#   - its final weights are bitwise identical to an uninterrupted run over the same events
#     (relearn diff reports no changed weight);
#   - the snapshot versions on the topic, as a reader sees them, go 1, 2, 3, ... with no gap
#     and no repeat across all the restarts.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_torture
. "$RL_TESTS/integration/daemon_lib.sh"

kills=5
[ -n "${RL_LONG:-}" ] && kills=25
rate=200
rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)
rl_daemon_config t b "[input]" "batch_size = 20" \
    "[checkpoint]" "every_events = 50" "every_seconds = 0.05" \
    "[snapshot]" "every_events = 300" "gate_tolerance = inf" \
    "[drift]" "detector = ddm" "response = boost"

# The stream: enough lines for the whole torture at the given rate.
total=$(( (kills * 15 + 10) * rate ))
rl_gen_stream $total 77 $((total / 2)) >"$RL_WORK/s.svm"
rl_bg producer "$RELEARN" produce --brokers "$bs" --topic events --rate $rate "$RL_WORK/s.svm"
producer_pid=$RL_LAST_PID

k=1
while [ $k -le $kills ]; do
    before=$(grep -c 'msg="partition assigned"' "$RL_WORK/t.log" 2>/dev/null)
    before=${before:-0}
    rl_daemon_start t
    # A killed member stays in the group until its session times out (6 s), so each restart
    # waits for a rebalance; the kill lands at a random moment after the partition is assigned,
    # while events stream in (checkpoints every 50 events, snapshots every 300).
    rl_wait_for 40 sh -c "[ \$(grep -c 'msg=\"partition assigned\"' $RL_WORK/t.log) -gt $before ]" ||
        rl_fail "kill $k: no partition assignment within 40 s"
    sleep "$(awk -v s=$k 'BEGIN { srand(s * 104729); printf "%.2f", rand() * 3 }')"
    got=$(rl_metric t model_events)
    rl_daemon_kill9 t
    rl_log "kill $k/$kills at model_events=${got:-?}"
    k=$((k + 1))
done
wait $producer_pid || rl_fail "the producer failed"
rl_daemon_start t
rl_wait_metric t model_events $total 120
sleep 2
rl_assert_eq "events learned after $kills kills" $total "$(rl_metric t model_events)"
kill -USR1 "$(rl_daemon_pid t)"
sleep 1
rl_daemon_stop t

# The same events, no interruption.
rl_daemon_config r b "[input]" "group = g-ref" "[checkpoint]" "every_events = 1000000" \
    "[drift]" "detector = ddm" "response = boost"
rl_daemon_start r
rl_wait_metric r model_events $total 120
rl_daemon_stop r
ct=$(ls "$RL_WORK/ckpt-t"/ckpt-*.rlck | tail -n 1)
cr=$(ls "$RL_WORK/ckpt-r"/ckpt-*.rlck | tail -n 1)
"$RELEARN" diff "$cr" "$ct" --json >"$RL_WORK/diff.json" 2>"$RL_WORK/err.txt" ||
    rl_fail "relearn diff failed: $(cat "$RL_WORK/err.txt")"
grep -q '"changed": 0,' "$RL_WORK/diff.json" ||
    rl_fail "weights after $kills kills differ from the uninterrupted run: $(head -8 "$RL_WORK/diff.json")"
grep -q '"l2_norm_difference": 0.0,' "$RL_WORK/diff.json" || rl_fail "L2 difference not 0"

# Versions as a reader sees them (one partition, in log order), for instance t.
rl_kcat b -C -q -t relearn-snapshots -o beginning -e -f '%h\n' |
    sed -n 's/.*relearn-version=\([0-9]*\),relearn-instance=t,relearn-chunk=0\/1.*/\1/p' >"$RL_WORK/versions.txt"
n=$(wc -l <"$RL_WORK/versions.txt" | tr -d ' ')
[ "$n" -ge 2 ] || rl_fail "only $n snapshot versions published"
seq 1 "$n" | cmp -s - "$RL_WORK/versions.txt" ||
    rl_fail "snapshot versions not 1..$n in order: $(tr '\n' ' ' <"$RL_WORK/versions.txt")"
rl_log "ok: $kills kills, $total events, $n snapshot versions, weights identical"
