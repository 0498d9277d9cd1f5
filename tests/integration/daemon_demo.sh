# daemon_demo.sh - `relearn demo` (what `make demo` runs), shortened: it starts its broker and
# relearnd, streams, learns every event once, stops relearnd with exit 0, inspects the final
# checkpoint, and leaves no child process and no temporary directory behind.
. "$RL_TESTS/integration/lib.sh"
rl_init daemon_demo
[ -x "$RELEARND" ] || rl_fail "no relearnd binary at $RELEARND"

before=$(ls -d /tmp/relearn-demo.* 2>/dev/null | wc -l)
timeout 120 "$RELEARN" demo --events 4000 --rate 2000 >"$RL_WORK/out.txt" 2>"$RL_WORK/err.log"
st=$?
[ $st -eq 0 ] || rl_fail "relearn demo exited with $st: $(tail -5 "$RL_WORK/err.log")"
grep -q 'events learned         4000, each exactly once' "$RL_WORK/out.txt" ||
    rl_fail "summary lacks the learned count: $(cat "$RL_WORK/out.txt")"
grep -q 'relearnd exit status   0 after SIGTERM' "$RL_WORK/out.txt" || rl_fail "relearnd exit status"
grep -q 'events seen:  *4000' "$RL_WORK/out.txt" || rl_fail "inspect of the final checkpoint missing"
after=$(ls -d /tmp/relearn-demo.* 2>/dev/null | wc -l)
rl_assert_eq "temporary directories left" "$before" "$after"
# Its children are gone: no process still runs with the demo's bootstrap file.
pgrep -f "relearn-demo\.[A-Za-z0-9]*/bootstrap" >/dev/null && rl_fail "a demo child is still running"
rl_log "ok"
