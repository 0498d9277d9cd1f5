# lib.sh - shared helpers for integration tests against a Kafka broker (POSIX sh).
#
# Source it, then call rl_init:
#   . "$RL_TESTS/integration/lib.sh"
#   rl_init my_test               # work dir, binaries, cleanup trap
#   rl_broker_start b --partitions 4 --topics events,snapshots
#   BS=$(rl_bootstrap b)          # "127.0.0.1:port[,...]"
#   rl_kcat b -L
#   rl_broker_ctl b "broker-down 1"   # waits for the broker's ack; fails if refused (mock only)
#   rl_broker_stop b              # SIGTERM, waits, fails unless exit status 0
#
# Two brokers, one test body: RL_BROKER selects what rl_broker_start runs.
#   mock  (default) `relearn broker`, librdkafka's mock cluster in its own process: fast, with
#         fault injection through its control file (rl_broker_ctl); topics are auto-created.
#   kafka Apache Kafka (scripts/kafka.sh: KRaft, loopback, auto-creation off, as production
#         clusters run). rl_broker_start creates the --topics it is given with --partitions
#         partitions, and relearnd's default output topics (rl_output_topics); a test that needs
#         another topic calls rl_topic_create, which works with both. --brokers N starts N nodes.
#         rl_broker_ctl fails: a test that injects faults through it is registered for the mock
#         only (rl_require_mock says so at its top).
# ctest registers a test's kafka variant as NAME_kafka, label kafka-real (tests/kafka_real.cmake).
#
# Everything has a timeout; every process started through rl_bg / rl_broker_start is killed
# (by pid, never by name) when the script exits, however it exits. Ports are never fixed: the
# broker picks them and writes the bootstrap file. Set RL_KEEP=1 to keep the work dir.
#
# Environment (set by ctest through rl_script_test): RL_BUILD, RL_SRC, RL_TESTS, RL_BROKER.
# Exports after rl_init: RL_WORK (scratch dir), RELEARN (relearn binary), RELEARND (relearnd
# binary, may not exist), RL_KCAT (kcat binary).
#
# Files per broker NAME in $RL_WORK: broker-NAME.{bootstrap,ctl,log,pid,out}; a real Kafka's
# nodes live under kafka-NAME/ (scripts/kafka.sh's layout).

RL_BROKER=${RL_BROKER:-mock}
RL_KAFKA_DIRS=""
RL_PIDS=""
RL_TEST_NAME=""

rl_log() {
    echo "[$RL_TEST_NAME] $*" >&2
}

rl_fail() {
    echo "[$RL_TEST_NAME] FAIL: $*" >&2
    exit 1
}

# rl_skip REASON: exit with ctest's skip code (77 if the test sets SKIP_RETURN_CODE) - used only
# when a tool the test needs is absent, never to hide a failure.
rl_skip() {
    echo "[$RL_TEST_NAME] SKIP: $*" >&2
    exit 77
}

rl_cleanup() {
    rc=$?
    for p in $RL_PIDS; do
        if kill -0 "$p" 2>/dev/null; then
            kill -TERM "$p" 2>/dev/null || :
        fi
    done
    for p in $RL_PIDS; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        # Usually already gone: under `set -e` (bench scripts) a failed kill would turn a
        # successful run's exit status into 1.
        kill -KILL "$p" 2>/dev/null || :
    done
    # Brokers last: their clients above get to close while the broker still answers.
    for d in $RL_KAFKA_DIRS; do
        sh "$RL_KAFKA_SH" stop --dir "$d" 2>>"$RL_WORK/kafka-stop.log" || :
    done
    if [ $rc -ne 0 ] && [ -n "$RL_WORK" ] && [ -d "$RL_WORK" ]; then
        for f in "$RL_WORK"/*.log "$RL_WORK"/kafka-*/node-*/server.log; do
            [ -f "$f" ] || continue
            echo "---- $f (last 30 lines) ----" >&2
            tail -n 30 "$f" >&2
        done
    fi
    if [ -z "${RL_KEEP:-}" ] && [ -n "$RL_WORK" ]; then
        rm -rf "$RL_WORK"
    elif [ -n "$RL_WORK" ]; then
        echo "[$RL_TEST_NAME] kept $RL_WORK" >&2
    fi
    exit $rc
}

# rl_init NAME: sets up RL_WORK, binaries and the cleanup trap.
rl_init() {
    RL_TEST_NAME=$1
    : "${RL_BUILD:?RL_BUILD must name the build directory}"
    RELEARN="$RL_BUILD/cli/relearn"
    RELEARND="$RL_BUILD/daemon/relearnd"
    RL_KCAT=$(command -v kcat || command -v kafkacat || true)
    [ -x "$RELEARN" ] || rl_fail "no relearn binary at $RELEARN"
    RL_KAFKA_SH="$(cd "$(dirname "$RL_TESTS")" && pwd)/scripts/kafka.sh"
    case $RL_BROKER in
    mock) ;;
    kafka)
        command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1 ||
            rl_skip "RL_BROKER=kafka needs java and mvn (scripts/deps.sh --test installs them)"
        /usr/bin/python3 -c 'import kafka' 2>/dev/null ||
            rl_skip "RL_BROKER=kafka needs python3-kafka (scripts/deps.sh --test installs it)"
        ;;
    *) rl_fail "RL_BROKER must be mock or kafka, not '$RL_BROKER'" ;;
    esac
    RL_WORK=$(mktemp -d "${TMPDIR:-/tmp}/rl-$RL_TEST_NAME.XXXXXX") || rl_fail "mktemp"
    export RL_WORK RELEARN RELEARND RL_KCAT
    trap rl_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# rl_track PID: kill PID at exit.
rl_track() {
    RL_PIDS="$RL_PIDS $1"
}

# rl_bg LOGNAME CMD...: runs CMD in the background with stdout+stderr to $RL_WORK/LOGNAME.log,
# tracks it, and sets RL_LAST_PID.
rl_bg() {
    name=$1
    shift
    "$@" >"$RL_WORK/$name.log" 2>&1 &
    RL_LAST_PID=$!
    rl_track $RL_LAST_PID
}

# rl_wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds; 1 on timeout.
rl_wait_for() {
    secs=$1
    shift
    n=$((secs * 10))
    i=0
    while [ $i -lt $n ]; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# rl_broker_start NAME [--partitions N] [--topics A,B] [--brokers N] [relearn broker args...]:
# starts a broker, waits for its bootstrap file (mock: 10 s; kafka: 120 s, a JVM start). Under
# RL_BROKER=mock extra args go to `relearn broker` with a control file; under RL_BROKER=kafka
# --partitions/--topics/--brokers are honoured (topics with replication factor min(N, 3)),
# --set KEY=VALUE is a broker setting (kafka.sh start --set) and any other argument fails.
rl_broker_start() {
    name=$1
    shift
    rm -f "$RL_WORK/broker-$name.bootstrap" "$RL_WORK/broker-$name.ctl"
    if [ "$RL_BROKER" = kafka ]; then
        _k_parts=1 _k_topics="" _k_n=1 _k_sets=""
        while [ $# -gt 0 ]; do
            case $1 in
            --partitions) _k_parts=$2; shift 2 ;;
            --topics) _k_topics=$(echo "$2" | tr ',' ' '); shift 2 ;;
            --brokers) _k_n=$2; shift 2 ;;
            --set) _k_sets="$_k_sets --set $2"; shift 2 ;;
            *) rl_fail "rl_broker_start: '$1' is for relearn broker only (RL_BROKER=kafka)" ;;
            esac
        done
        RL_KAFKA_DIRS="$RL_KAFKA_DIRS $RL_WORK/kafka-$name"
        # shellcheck disable=SC2086
        sh "$RL_KAFKA_SH" start --dir "$RL_WORK/kafka-$name" --brokers "$_k_n" --owner $$ $_k_sets \
            --bootstrap-file "$RL_WORK/broker-$name.bootstrap" 2>"$RL_WORK/broker-$name.log" ||
            rl_fail "broker $name (Apache Kafka) did not start: $(tail -n 3 "$RL_WORK/broker-$name.log")"
        echo "$_k_n" >"$RL_WORK/broker-$name.nodes"
        cp "$RL_WORK/kafka-$name/node-1/pid" "$RL_WORK/broker-$name.pid"
        _k_rf=$_k_n
        [ "$_k_rf" -gt 3 ] && _k_rf=3
        _k_specs=""
        for _k_t in $_k_topics $(rl_output_topics); do
            _k_specs="$_k_specs $_k_t:$_k_parts:$_k_rf"
        done
        # shellcheck disable=SC2086
        rl_topics "$name" create $_k_specs
        rl_log "broker $name (Apache Kafka, $_k_n node(s)) up at $(rl_bootstrap "$name"), topics:$_k_specs"
        return 0
    fi
    : >"$RL_WORK/broker-$name.ctl"
    "$RELEARN" broker --bootstrap-file "$RL_WORK/broker-$name.bootstrap" \
        --control "$RL_WORK/broker-$name.ctl" "$@" \
        >"$RL_WORK/broker-$name.out" 2>"$RL_WORK/broker-$name.log" &
    pid=$!
    rl_track $pid
    echo $pid >"$RL_WORK/broker-$name.pid"
    if ! rl_wait_for 10 test -s "$RL_WORK/broker-$name.bootstrap"; then
        rl_fail "broker $name wrote no bootstrap file within 10 s"
    fi
    rl_log "broker $name up at $(cat "$RL_WORK/broker-$name.bootstrap") (pid $pid)"
}

# rl_output_topics: relearnd's default output topics (snapshots, alerts, dead letters), which
# `relearn broker` creates on first use and a real Kafka needs created beforehand.
rl_output_topics() {
    echo "relearn-snapshots relearn-alerts relearn-dead-letter"
}

# rl_topics NAME ARGS...: tests/kafka/topics.py against broker NAME (Admin API, python3-kafka;
# real Kafka only): create, leader, offsets, exists.
rl_topics() {
    _t_name=$1
    shift
    timeout 60 /usr/bin/python3 "$RL_TESTS/kafka/topics.py" -b "$(rl_bootstrap "$_t_name")" "$@" ||
        rl_fail "topics.py $* failed on broker $_t_name"
}

# rl_kafka_node NAME stop|kill|start I: stops (SIGTERM), kills (SIGKILL) or restarts node I of
# real Kafka NAME; start returns once the node serves metadata again (same ports, same data).
rl_kafka_node() {
    case $2 in
    stop) sh "$RL_KAFKA_SH" stop-node --dir "$RL_WORK/kafka-$1" --node "$3" ;;
    kill) sh "$RL_KAFKA_SH" stop-node --dir "$RL_WORK/kafka-$1" --node "$3" --kill ;;
    start) sh "$RL_KAFKA_SH" start-node --dir "$RL_WORK/kafka-$1" --node "$3" ;;
    esac 2>>"$RL_WORK/broker-$1.log" || rl_fail "kafka.sh could not $2 node $3 of broker $1"
}

# rl_topic_exists NAME TOPIC: 0 if the Admin API lists TOPIC on broker NAME (real Kafka only).
rl_topic_exists() {
    timeout 60 /usr/bin/python3 "$RL_TESTS/kafka/topics.py" -b "$(rl_bootstrap "$1")" exists "$2"
}

# rl_topic_create NAME TOPIC PARTITIONS [KEY=VALUE...]: a topic on either broker (mock: the
# control file's create-topic; kafka: Admin API, replication factor min(nodes, 3), configs).
rl_topic_create() {
    _t_name=$1 _t_topic=$2 _t_parts=$3
    shift 3
    if [ "$RL_BROKER" = kafka ]; then
        _t_rf=$(cat "$RL_WORK/broker-$_t_name.nodes")
        [ "$_t_rf" -gt 3 ] && _t_rf=3
        _t_cfg=""
        for _t_kv in "$@"; do
            _t_cfg="$_t_cfg --config $_t_kv"
        done
        # shellcheck disable=SC2086
        rl_topics "$_t_name" create "$_t_topic:$_t_parts:$_t_rf" $_t_cfg
    else
        [ $# -eq 0 ] || rl_fail "rl_topic_create: topic configs need a real Kafka (RL_BROKER=kafka)"
        rl_broker_ctl "$_t_name" "create-topic $_t_topic $_t_parts"
    fi
}

# rl_require_mock WHY: for a test that only `relearn broker` can run (fault injection through
# its control file); under RL_BROKER=kafka it fails, so a wrong registration is seen.
rl_require_mock() {
    [ "$RL_BROKER" = mock ] || rl_fail "this test runs against relearn broker only: $*"
}

# rl_bootstrap NAME: prints the broker's bootstrap address.
rl_bootstrap() {
    cat "$RL_WORK/broker-$1.bootstrap"
}

rl_broker_pid() {
    cat "$RL_WORK/broker-$1.pid"
}

# rl_broker_ctl NAME "COMMAND": appends COMMAND to the control file and waits (10 s) for its
# acknowledgement; fails if the broker refused it.
rl_broker_ctl() {
    name=$1
    [ "$RL_BROKER" = mock ] ||
        rl_fail "rl_broker_ctl '$2': fault injection through the control file is relearn broker's only"
    ctl="$RL_WORK/broker-$name.ctl"
    log="$RL_WORK/broker-$name.log"
    seq=$(($(wc -l <"$ctl") + 1))
    echo "$2" >>"$ctl"
    if ! rl_wait_for 10 grep -q "msg=\"control\" seq=$seq " "$log"; then
        rl_fail "broker $name did not acknowledge '$2' within 10 s"
    fi
    if grep "msg=\"control\" seq=$seq " "$log" | grep -q "result=error"; then
        rl_fail "broker $name refused '$2': $(grep "msg=\"control\" seq=$seq " "$log")"
    fi
}

# rl_broker_stop NAME: SIGTERM, wait up to 10 s; fails unless the broker exits 0.
rl_broker_stop() {
    name=$1
    if [ "$RL_BROKER" = kafka ]; then
        sh "$RL_KAFKA_SH" stop --dir "$RL_WORK/kafka-$name" 2>>"$RL_WORK/broker-$name.log" ||
            rl_fail "broker $name (Apache Kafka) did not stop cleanly"
        return 0
    fi
    pid=$(rl_broker_pid "$name")
    kill -TERM "$pid" 2>/dev/null || rl_fail "broker $name (pid $pid) is not running"
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        rl_fail "broker $name did not exit within 10 s of SIGTERM"
    fi
    wait "$pid"
    st=$?
    [ $st -eq 0 ] || rl_fail "broker $name exited with status $st after SIGTERM"
}

# rl_kcat NAME ARGS...: kcat against broker NAME, with a timeout (RL_KCAT_TIMEOUT, default 30 s).
rl_kcat() {
    name=$1
    shift
    [ -n "$RL_KCAT" ] || rl_fail "kcat is not installed"
    timeout "${RL_KCAT_TIMEOUT:-30}" "$RL_KCAT" -b "$(rl_bootstrap "$name")" "$@"
}

# rl_kcat_count NAME TOPIC: number of messages in TOPIC, all partitions, from the beginning.
rl_kcat_count() {
    rl_kcat "$1" -C -q -t "$2" -o beginning -e -f '%o\n' | wc -l | tr -d ' '
}

# rl_assert_eq WHAT EXPECTED ACTUAL
rl_assert_eq() {
    [ "$2" = "$3" ] || rl_fail "$1: expected '$2', got '$3'"
}
