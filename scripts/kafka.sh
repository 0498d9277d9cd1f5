#!/bin/sh
# kafka.sh - a real Apache Kafka (KRaft, no ZooKeeper) on loopback, for tests and benchmarks.
#
#   kafka.sh start --dir D --bootstrap-file F [--brokers N] [--set KEY=VALUE]... [--owner PID]
#   kafka.sh stop --dir D
#   kafka.sh stop-node --dir D --node I [--kill]     stop one node (SIGTERM, or SIGKILL)
#   kafka.sh start-node --dir D --node I             start a stopped node again, same data/ports
#   kafka.sh jars                                    fetch the jars if needed; print their folder
#
# The broker is the version pinned in tests/kafka/pom.xml, fetched with Maven
# (`dependency:copy-dependencies`, cached in ~/.m2; the copied jars are kept in
# ${RL_KAFKA_CACHE:-~/.cache/relearn-kafka}/<pom hash>/, never in the repository). start formats
# KRaft storage under D and runs N nodes (default 1), each broker and controller at once (the N
# form the controller quorum), every listener on 127.0.0.1 on ports chosen free, heap
# ${RL_KAFKA_HEAP:-512m}, JVM options ${RL_KAFKA_JVM_OPTS} (default below). Internal topics get replication factor min(N, 3); topic auto-creation
# is off, as production clusters run: create topics explicitly (tests/kafka/topics.py). It
# returns once every node is registered and serves metadata, then writes the bootstrap address
# ("127.0.0.1:port,...") to F atomically (temp file + rename). --set adds a broker setting to
# every node (e.g. --set min.insync.replicas=2). With --owner PID a watchdog stops the nodes when
# PID exits, so a test killed by its runner leaves no JVM behind. stop: SIGTERM to every node,
# 30 s for a controlled shutdown, then SIGKILL; nothing of D keeps running.
#
# Files under D: node-I/{server.properties,server.log,pid,data/}, ports, cluster.id, watchdog.pid.
set -eu
S=$(cd "$(dirname "$0")/.." && pwd)
POM_DIR=$S/tests/kafka
HEAP=${RL_KAFKA_HEAP:-512m}
# The serial collector and the C1 compiler only: a test broker starts faster and takes less CPU
# from the 2 cores it shares; benchmarks set RL_KAFKA_JVM_OPTS for full JIT.
JVM_OPTS=${RL_KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}

die() {
    echo "kafka.sh: $*" >&2
    exit 1
}

need_tools() {
    command -v java >/dev/null 2>&1 || die "no java: run scripts/deps.sh --test (default-jdk-headless)"
    command -v mvn >/dev/null 2>&1 || die "no mvn: run scripts/deps.sh --test (maven)"
    command -v kcat >/dev/null 2>&1 || die "no kcat: run scripts/deps.sh"
}

# jars: the folder with the broker's jars, fetched once per pom version (flock: tests start
# brokers in parallel).
jars() {
    cache=${RL_KAFKA_CACHE:-${HOME:-/root}/.cache/relearn-kafka}
    hash=$(cat "$POM_DIR/pom.xml" | sha256sum | cut -c1-16)
    dir=$cache/$hash
    if [ ! -f "$dir/.complete" ]; then
        mkdir -p "$cache"
        (
            flock 9
            if [ ! -f "$dir/.complete" ]; then
                rm -rf "$dir.tmp"
                mvn -q -B -f "$POM_DIR/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
                    -DoutputDirectory="$dir.tmp" >"$cache/mvn.log" 2>&1 ||
                    die "mvn could not fetch the Kafka jars: $(tail -n 5 "$cache/mvn.log")"
                rm -rf "$dir"
                mv "$dir.tmp" "$dir"
                : >"$dir/.complete"
            fi
        ) 9>"$cache/.lock"
    fi
    echo "$dir"
}

# free_ports N: N distinct loopback ports free right now (the kernel picks them).
free_ports() {
    /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

nth() {
    # nth I WORDS...: the I-th word (1-based).
    _i=$1
    shift
    eval "echo \${$_i}"
}

node_pid() {
    cat "$DIR/node-$1/pid" 2>/dev/null || :
}

node_alive() {
    _p=$(node_pid "$1")
    [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null
}

# launch I: starts node I from its server.properties; records its pid.
launch() {
    nd=$DIR/node-$1
    # shellcheck disable=SC2086
    # shellcheck disable=SC2086
    nohup java -Xmx"$HEAP" -Xms64m $JVM_OPTS \
        -Djava.awt.headless=true -Dlog4j2.configurationFile="$POM_DIR/log4j2.properties" \
        -cp "$JARS/*" kafka.Kafka "$nd/server.properties" >>"$nd/server.log" 2>&1 </dev/null &
    echo $! >"$nd/pid"
}

# wait_registered N SECONDS: until N brokers are in the metadata kcat gets from node 1..N.
wait_registered() {
    want=$1
    secs=$2
    bs=$(bootstrap)
    i=0
    while [ $i -lt $((secs * 4)) ]; do
        got=$(timeout 5 kcat -b "$bs" -L -m 3 2>/dev/null | sed -n 's/^ *\([0-9]*\) brokers:$/\1/p')
        [ "${got:-0}" -ge "$want" ] && return 0
        k=1
        while [ $k -le "$(cat "$DIR/nodes")" ]; do
            if [ -f "$DIR/node-$k/pid" ] && ! node_alive $k && [ ! -f "$DIR/node-$k/stopped" ]; then
                tail -n 20 "$DIR/node-$k/server.log" >&2
                die "node $k exited during start-up (log: $DIR/node-$k/server.log)"
            fi
            k=$((k + 1))
        done
        sleep 0.25
        i=$((i + 1))
    done
    die "only ${got:-0} of $want brokers serve metadata after $secs s (logs: $DIR/node-*/server.log)"
}

bootstrap() {
    out=""
    for p in $(sed -n 's/^broker //p' "$DIR/ports"); do
        out="$out${out:+,}127.0.0.1:$p"
    done
    echo "$out"
}

cmd_start() {
    N=1
    BFILE=""
    SETS=""
    OWNER=""
    while [ $# -gt 0 ]; do
        case $1 in
        --dir) DIR=$2; shift 2 ;;
        --bootstrap-file) BFILE=$2; shift 2 ;;
        --brokers) N=$2; shift 2 ;;
        --set) SETS="$SETS
$2"; shift 2 ;;
        --owner) OWNER=$2; shift 2 ;;
        *) die "start: unknown argument '$1'" ;;
        esac
    done
    [ -n "${DIR:-}" ] || die "start: --dir is required"
    [ -n "$BFILE" ] || die "start: --bootstrap-file is required"
    case $N in '' | *[!0-9]*) die "start: --brokers must be a number, not '$N'" ;; esac
    [ "$N" -ge 1 ] && [ "$N" -le 9 ] || die "start: --brokers must be 1..9, not $N"
    need_tools
    JARS=$(jars)
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    for f in "$DIR"/node-*/pid; do
        [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && die "a broker of $DIR is running: stop it first"
    done
    t0=$(date +%s.%N)
    ports=$(free_ports $((2 * N)))
    rf=$N
    [ "$rf" -gt 3 ] && rf=3
    isr=$rf
    [ "$isr" -gt 2 ] && isr=2
    voters=""
    : >"$DIR/ports"
    i=1
    while [ $i -le "$N" ]; do
        bp=$(nth $((2 * i - 1)) $ports)
        cp=$(nth $((2 * i)) $ports)
        echo "broker $bp" >>"$DIR/ports"
        voters="$voters${voters:+,}$i@127.0.0.1:$cp"
        i=$((i + 1))
    done
    echo "$N" >"$DIR/nodes"
    # A random cluster id as Kafka writes them (base64url of 16 bytes); never one starting with
    # '-', which kafka-storage would take for an option.
    cid=$(/usr/bin/python3 -c 'import base64, os
while True:
    c = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if c[0] != "-":
        print(c)
        break')
    echo "$cid" >"$DIR/cluster.id"
    i=1
    while [ $i -le "$N" ]; do
        nd=$DIR/node-$i
        rm -rf "$nd"
        mkdir -p "$nd/data"
        bp=$(nth $((2 * i - 1)) $ports)
        cp=$(nth $((2 * i)) $ports)
        # Defaults a test cluster must change: the internal topics' replication factor (3 by
        # default: a 1-node cluster could not create them), the 3 s wait before a new group's
        # first rebalance, the 5 min between retention checks, the 6 s floor on a consumer's
        # session timeout (kill -9 tests use 3 s so a dead member's partitions move quickly);
        # thread pools sized for 2 cores.
        cat >"$nd/server.properties" <<EOF
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$bp,CONTROLLER://127.0.0.1:$cp
advertised.listeners=PLAINTEXT://127.0.0.1:$bp
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$nd/data
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000
log.retention.check.interval.ms=1000
log.cleaner.backoff.ms=500
num.network.threads=2
num.io.threads=2
background.threads=2
log.cleaner.threads=1
num.recovery.threads.per.data.dir=1
num.replica.fetchers=1
EOF
        if [ -n "$SETS" ]; then
            echo "$SETS" | sed '/^$/d' >>"$nd/server.properties"
        fi
        java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
            -Dlog4j2.configurationFile="$POM_DIR/log4j2.properties" -cp "$JARS/*" \
            kafka.tools.StorageTool format -t "$cid" -c "$nd/server.properties" \
            >"$nd/format.log" 2>&1 || die "formatting node $i failed: $(tail -n 5 "$nd/format.log")"
        i=$((i + 1))
    done
    i=1
    while [ $i -le "$N" ]; do
        launch $i
        i=$((i + 1))
    done
    if [ -n "$OWNER" ]; then
        # Watchdog: stops the cluster when its owner is gone (the owner's cleanup normally does).
        nohup sh -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2/nodes" ]; do sleep 1; done
            [ -f "$2/nodes" ] && sh "$3" stop --dir "$2" >/dev/null 2>&1' \
            kafka-watchdog "$OWNER" "$DIR" "$S/scripts/kafka.sh" >/dev/null 2>&1 </dev/null &
        echo $! >"$DIR/watchdog.pid"
    fi
    wait_registered "$N" 120
    bootstrap >"$BFILE.tmp"
    mv "$BFILE.tmp" "$BFILE"
    t1=$(date +%s.%N)
    echo "kafka.sh: $N node(s) up at $(bootstrap) in $(echo "$t1 - $t0" | bc -l | cut -c1-5) s (dir $DIR)" >&2
}

# stop_nodes SIGNAL I...: signal the nodes, wait up to 30 s, SIGKILL what is left.
stop_nodes() {
    sig=$1
    shift
    for i in "$@"; do
        node_alive "$i" && kill -"$sig" "$(node_pid "$i")" 2>/dev/null || :
    done
    n=0
    for i in "$@"; do
        while node_alive "$i" && [ $n -lt 300 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        if node_alive "$i"; then
            echo "kafka.sh: node $i did not stop within 30 s of SIG$sig: killing it" >&2
            kill -KILL "$(node_pid "$i")" 2>/dev/null || :
            sleep 0.2
        fi
        : >"$DIR/node-$i/stopped"
    done
}

cmd_stop() {
    while [ $# -gt 0 ]; do
        case $1 in
        --dir) DIR=$2; shift 2 ;;
        *) die "stop: unknown argument '$1'" ;;
        esac
    done
    [ -n "${DIR:-}" ] || die "stop: --dir is required"
    [ -f "$DIR/nodes" ] || return 0
    all=""
    i=1
    while [ $i -le "$(cat "$DIR/nodes")" ]; do
        all="$all $i"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    stop_nodes TERM $all
    rm -f "$DIR/nodes"
    if [ -f "$DIR/watchdog.pid" ]; then
        kill "$(cat "$DIR/watchdog.pid")" 2>/dev/null || :
        rm -f "$DIR/watchdog.pid"
    fi
}

cmd_node() {
    what=$1
    shift
    NODE=""
    KILL=""
    while [ $# -gt 0 ]; do
        case $1 in
        --dir) DIR=$2; shift 2 ;;
        --node) NODE=$2; shift 2 ;;
        --kill) KILL=1; shift ;;
        *) die "$what: unknown argument '$1'" ;;
        esac
    done
    [ -n "${DIR:-}" ] && [ -n "$NODE" ] || die "$what: --dir and --node are required"
    [ -f "$DIR/node-$NODE/server.properties" ] || die "$what: no node $NODE under $DIR"
    if [ "$what" = stop-node ]; then
        if [ -n "$KILL" ]; then
            stop_nodes KILL "$NODE"
        else
            stop_nodes TERM "$NODE"
        fi
        return 0
    fi
    node_alive "$NODE" && die "start-node: node $NODE is running"
    need_tools
    JARS=$(jars)
    rm -f "$DIR/node-$NODE/stopped"
    echo "---- restart $(date -u +%FT%TZ)" >>"$DIR/node-$NODE/server.log"
    launch "$NODE"
    # Up once its own listener serves metadata that lists it.
    bp=$(sed -n "${NODE}s/^broker //p" "$DIR/ports")
    i=0
    while [ $i -lt 480 ]; do
        timeout 5 kcat -b "127.0.0.1:$bp" -L -m 3 2>/dev/null | grep -q "broker $NODE at 127.0.0.1:$bp" &&
            return 0
        node_alive "$NODE" || die "node $NODE exited during start-up: $(tail -n 5 "$DIR/node-$NODE/server.log")"
        sleep 0.25
        i=$((i + 1))
    done
    die "node $NODE does not serve metadata 120 s after its restart"
}

[ $# -ge 1 ] || die "usage: kafka.sh start|stop|stop-node|start-node|jars ... (see the header)"
cmd=$1
shift
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
stop-node | start-node) cmd_node "$cmd" "$@" ;;
jars) need_tools && jars ;;
*) die "unknown command '$cmd'" ;;
esac
