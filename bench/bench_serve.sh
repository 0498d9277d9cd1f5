#!/bin/sh
# bench_serve.sh - relearn serve's throughput against a minimal libmicrohttpd handler that
# returns a constant (bench_serve_const: same threads, same connection settings), same machine,
# same run, alternating A/B rounds; plus the in-process predict cost (bench_predict) and the
# request-parsing cost (bench_serve_json). Loopback only; everything it starts is stopped.
#
#   sh bench/bench_serve.sh [BUILD_DIR]      (env: ROUNDS=3 SECONDS_PER=5 CONNS=4 THREADS=2)
set -eu
B=${1:-build}
ROUNDS=${ROUNDS:-3}
SECONDS_PER=${SECONDS_PER:-5}
CONNS=${CONNS:-4}
THREADS=${THREADS:-2}
W=$(mktemp -d /tmp/bench-serve.XXXXXX)
PIDS=""
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null || true; done
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

echo "## in-process predict (bench_predict)"
"$B/bench/bench_predict"
echo
# One request: one instance of 40 named features with short decimal values, as a client sends.
/usr/bin/python3 -c '
import json, random
random.seed(1)
print(json.dumps({"instances": [{"f^k%d" % random.randrange(100000): round(random.random() * 10, 3)
                                 for _ in range(40)}]}))' >"$W/body.json"
echo "## parsing one request body (bench_serve_json)"
"$B/bench/bench_serve_json" "$W/body.json"
echo

"$B/tests/rl_snapshot_gen" --model m --instance i --version 1 --max-msg 900000 --dir "$W" >/dev/null
"$B/cli/relearn" serve --snapshot "$W/whole" --listen 127.0.0.1:0 --threads "$THREADS" \
    >"$W/serve.out" 2>&1 &
PIDS="$PIDS $!"
"$B/bench/bench_serve_const" --threads "$THREADS" >"$W/const.out" 2>&1 &
PIDS="$PIDS $!"
for f in serve const; do
    i=0
    until grep -q '^listening=' "$W/$f.out"; do
        i=$((i + 1))
        [ $i -lt 100 ] || { echo "$f did not start: $(cat "$W/$f.out")" >&2; exit 1; }
        sleep 0.1
    done
done
S=$(sed -n 's/^listening=//p' "$W/serve.out")
C=$(sed -n 's/^listening=//p' "$W/const.out")
echo "## HTTP throughput: $CONNS keep-alive connections, $THREADS server threads, ${SECONDS_PER} s per round"
r=1
while [ $r -le "$ROUNDS" ]; do
    s=$("$B/bench/bench_serve_load" --addr "$S" --path /v1/models/m:predict --body "$W/body.json" \
        --connections "$CONNS" --seconds "$SECONDS_PER")
    c=$("$B/bench/bench_serve_load" --addr "$C" --path /v1/models/m:predict --body "$W/body.json" \
        --connections "$CONNS" --seconds "$SECONDS_PER")
    sr=$(echo "$s" | sed -n 's/.* rps=\([0-9]*\).*/\1/p')
    cr=$(echo "$c" | sed -n 's/.* rps=\([0-9]*\).*/\1/p')
    echo "round $r: relearn serve $s"
    echo "round $r: constant      $c"
    echo "round $r: ratio $(echo "scale=2; $sr / $cr" | bc)"
    r=$((r + 1))
done
