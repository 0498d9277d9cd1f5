# cli_nonregular.sh - files that are not files (issue 17, item 5). `relearn verify|inspect|diff`
# on a FIFO waited forever (open blocks until a writer comes); `relearnd --config /dev/zero` (or
# /dev/urandom) read without end at 100 % CPU. Each must now refuse at once, naming the path;
# every command runs under a timeout, and a timeout (exit 124) is the failure this test exists
# to catch.
. "$RL_TESTS/integration/lib.sh"
rl_init cli_nonregular
mkfifo "$RL_WORK/fifo" || rl_skip "mkfifo failed"
refuses() { # WHAT EXPECTED_STATUS CMD...: exits EXPECTED_STATUS within 10 s, says why
    what=$1
    want=$2
    shift 2
    timeout 10 "$@" >"$RL_WORK/out" 2>"$RL_WORK/err"
    st=$?
    [ $st -ne 124 ] || rl_fail "$what: still waiting after 10 s"
    rl_assert_eq "$what: exit status" "$want" "$st"
    grep -q 'not a regular file' "$RL_WORK/err" "$RL_WORK/out" ||
        rl_fail "$what: no reason given: $(cat "$RL_WORK/err")"
}
refuses "relearn verify FIFO" 1 "$RELEARN" verify "$RL_WORK/fifo"
refuses "relearn inspect FIFO" 1 "$RELEARN" inspect "$RL_WORK/fifo"
refuses "relearn diff FIFO" 1 "$RELEARN" diff "$RL_WORK/fifo" "$RL_WORK/fifo"
if [ -x "$RELEARND" ]; then
    for f in /dev/zero /dev/urandom "$RL_WORK/fifo"; do
        refuses "relearnd --config $f" 2 "$RELEARND" --config "$f" --check-config
    done
    # A regular file, but no config: more than 1 MiB is refused from its size.
    head -c 2000000 /dev/zero | tr '\0' '#' >"$RL_WORK/big.ini"
    timeout 10 "$RELEARND" --config "$RL_WORK/big.ini" --check-config 2>"$RL_WORK/err"
    rl_assert_eq "relearnd --config (2 MB)" 2 $?
    grep -q 'bytes (allowed: at most 1048576)' "$RL_WORK/err" ||
        rl_fail "2 MB config: $(cat "$RL_WORK/err")"
fi
rl_log "ok"
