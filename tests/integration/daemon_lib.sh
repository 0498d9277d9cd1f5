# daemon_lib.sh - helpers for relearnd integration tests, on top of lib.sh (source lib.sh first).
#
#   rl_daemon_config NAME BROKER [extra ini lines...]   writes $RL_WORK/NAME.ini
#   rl_daemon_start NAME [relearnd args...]             starts relearnd with $RL_WORK/NAME.ini,
#                                                       log in $RL_WORK/NAME.log, waits for the
#                                                       metrics port
#   rl_metric NAME METRIC                               one value from NAME's /metrics
#   rl_wait_metric NAME METRIC VALUE SECONDS            waits until METRIC == VALUE
#   rl_daemon_stop NAME                                 SIGTERM; fails unless exit status 0
#   rl_daemon_wait NAME                                 waits for exit after a signal, same check
#   rl_assert_same_weights A B WHAT                     no weight differs between two model files
#
# Every relearnd binds its metrics endpoint to 127.0.0.1:0 and logs the port it got.

[ -x "$RELEARND" ] || rl_fail "no relearnd binary at $RELEARND"
command -v curl >/dev/null 2>&1 || rl_skip "curl is not installed"

# rl_daemon_config NAME BROKER [extra lines]: a small, fast config for tests.
rl_daemon_config() {
    _d_name=$1
    _d_broker=$2
    shift 2
    {
        echo "[model]"
        echo "name = m"
        echo "learner = sgd"
        echo "bits = 12"
        echo "[input]"
        echo "brokers = $(rl_bootstrap "$_d_broker")"
        echo "topics = events"
        echo "group = g"
        echo "instance_id = $_d_name"
        echo "batch_size = 100"
        echo "[checkpoint]"
        echo "dir = $RL_WORK/ckpt-$_d_name"
        echo "every_events = 100"
        echo "every_seconds = 1"
        echo "[snapshot]"
        echo "every_events = 0"
        echo "every_seconds = 0"
        echo "[metrics]"
        echo "listen = 127.0.0.1:0"
        echo "[kafka]"
        echo "session.timeout.ms = 6000"
        echo "heartbeat.interval.ms = 500"
        echo "topic.metadata.refresh.interval.ms = 1000"
        for _d_line in "$@"; do
            echo "$_d_line"
        done
    } | rl_ini_last_wins >"$RL_WORK/$_d_name.ini"
}

# rl_ini_last_wins: an INI text on stdin with each [section] key once, at its first place, with
# the value of its last line: the extra lines given to rl_daemon_config override its defaults
# (relearnd refuses a key set twice).
rl_ini_last_wins() {
    awk '
        { line[NR] = $0 }
        /^\[.*\]$/ { sec = $0; next }
        /^[^;#].*=/ { k = $0; sub(/[ \t]*=.*/, "", k); id[NR] = sec SUBSEP k; last[sec SUBSEP k] = $0 }
        END {
            for (i = 1; i <= NR; i++) {
                if (!(i in id)) { print line[i]; continue }
                if (done[id[i]]++) continue
                print last[id[i]]
            }
        }'
}

# rl_daemon_start NAME [args]: appends to NAME.log so restarts keep the history.
rl_daemon_start() {
    _d_name=$1
    shift
    echo "---- start $*" >>"$RL_WORK/$_d_name.log"
    _d_start_line=$(wc -l <"$RL_WORK/$_d_name.log")
    "$RELEARND" --config "$RL_WORK/$_d_name.ini" "$@" >>"$RL_WORK/$_d_name.log" 2>&1 &
    _d_pid=$!
    rl_track $_d_pid
    echo $_d_pid >"$RL_WORK/$_d_name.pid"
    _d_i=0
    while [ $_d_i -lt 300 ]; do
        _d_port=$(tail -n +"$_d_start_line" "$RL_WORK/$_d_name.log" |
            sed -n 's/.*msg="metrics endpoint listening".* port=\([0-9]*\).*/\1/p' | tail -n 1)
        if [ -n "$_d_port" ]; then
            echo "$_d_port" >"$RL_WORK/$_d_name.port"
            rl_log "relearnd $_d_name up (pid $_d_pid, metrics port $_d_port)"
            return 0
        fi
        kill -0 $_d_pid 2>/dev/null || rl_fail "relearnd $_d_name exited during start-up"
        sleep 0.1
        _d_i=$((_d_i + 1))
    done
    rl_fail "relearnd $_d_name did not start within 30 s"
}

rl_daemon_pid() {
    cat "$RL_WORK/$1.pid"
}

# rl_metric NAME METRIC: the value of an unlabeled metric, or of METRIC{labels} written out.
rl_metric() {
    curl -s --max-time 5 "http://127.0.0.1:$(cat "$RL_WORK/$1.port")/metrics" |
        awk -v m="relearnd_$2" '$1 == m { print $2; exit }'
}

rl_metric_is() {
    [ "$(rl_metric "$1" "$2")" = "$3" ]
}

rl_wait_metric() {
    rl_wait_for "$4" rl_metric_is "$1" "$2" "$3" ||
        rl_fail "relearnd $1: $2 is '$(rl_metric "$1" "$2")', expected '$3' within $4 s"
}

# rl_daemon_stop NAME: SIGTERM, wait (30 s), require exit status 0.
rl_daemon_stop() {
    _d_pid=$(rl_daemon_pid "$1")
    kill -TERM "$_d_pid" 2>/dev/null || rl_fail "relearnd $1 (pid $_d_pid) is not running"
    rl_daemon_wait "$1"
}

# rl_daemon_wait NAME: waits (30 s) for NAME to exit after a signal; requires exit status 0.
rl_daemon_wait() {
    _d_pid=$(rl_daemon_pid "$1")
    _d_i=0
    while kill -0 "$_d_pid" 2>/dev/null && [ $_d_i -lt 300 ]; do
        sleep 0.1
        _d_i=$((_d_i + 1))
    done
    kill -0 "$_d_pid" 2>/dev/null && rl_fail "relearnd $1 did not exit within 30 s of SIGTERM"
    wait "$_d_pid"
    _d_st=$?
    [ $_d_st -eq 0 ] || rl_fail "relearnd $1 exited with status $_d_st after SIGTERM"
}

# rl_daemon_kill9 NAME: the crash case.
rl_daemon_kill9() {
    _d_pid=$(rl_daemon_pid "$1")
    kill -KILL "$_d_pid" 2>/dev/null
    wait "$_d_pid" 2>/dev/null
    return 0
}

# rl_assert_same_weights A B WHAT: `relearn diff` finds no changed weight between model files
# A and B (checkpoints or snapshots); WHAT names the pair in the failure.
rl_assert_same_weights() {
    "$RELEARN" diff "$1" "$2" --json >"$RL_WORK/same-weights.json" 2>"$RL_WORK/same-weights.err" ||
        rl_fail "relearn diff ($3) failed: $(cat "$RL_WORK/same-weights.err")"
    grep -q '"changed": 0,' "$RL_WORK/same-weights.json" ||
        rl_fail "$3 differ: $(head -8 "$RL_WORK/same-weights.json")"
}

# rl_gen_stream N SEED [FLIP_AT [NOISE]]: N libsvm lines of a 2-feature linearly separable
# stream (label = x1 > x2); from line FLIP_AT on the concept flips (label = x1 <= x2), an abrupt
# drift; with NOISE, each label is flipped again with that probability.
rl_gen_stream() {
    awk -v n="$1" -v seed="$2" -v flip="${3:-0}" -v noise="${4:-0}" 'BEGIN {
        srand(seed);
        for (i = 1; i <= n; i++) {
            a = rand(); b = rand();
            y = (a > b) ? 1 : 0;
            if (flip > 0 && i >= flip) y = 1 - y;
            if (noise > 0 && rand() < noise) y = 1 - y;
            printf "%d 1:%.6f 2:%.6f 3:1\n", y, a, b;
        }
    }'
}
