#!/bin/sh
# serve_file: `relearn serve --snapshot FILE` answers the V1 REST protocol with exactly what
# librelearn computes in-process (relearn_score), refuses malformed requests with a 4xx and a
# JSON error, bounds the body, pins, and exits 0 on SIGTERM.
set -eu
. "$RL_TESTS/integration/lib.sh"
rl_init serve_file
PY=/usr/bin/python3
GEN="$RL_BUILD/tests/rl_snapshot_gen"
SCORE="$RL_BUILD/tests/relearn_score"

"$GEN" --model flights --instance i1 --version 7 --max-msg 900000 --dir "$RL_WORK" >/dev/null
# 40 probes of 20 named features with values; the same probes as JSON instances.
awk 'BEGIN { s = 12345; for (i = 0; i < 40; i++) { line = "";
        for (k = 0; k < 20; k++) { s = (s * 1103515245 + 12345) % 2147483648;
            line = line sprintf("%sf%d:%.3f", k ? " " : "", k * 150 + s % 150, (s % 1000) / 100.0 - 5) }
        print line } }' >"$RL_WORK/probes.txt"
$PY - "$RL_WORK/probes.txt" >"$RL_WORK/body.json" <<'PYEOF'
import json, sys
insts = []
for line in open(sys.argv[1]):
    d = {}
    for tok in line.split():
        name, v = tok.rsplit(":", 1)
        d[name] = float(v)
    insts.append(d)
print(json.dumps({"instances": insts}))
PYEOF
"$SCORE" "$RL_WORK/whole" <"$RL_WORK/probes.txt" >"$RL_WORK/want.txt"

rl_bg serve "$RELEARN" serve --snapshot "$RL_WORK/whole" --listen 127.0.0.1:0 --max-body 200000
SERVE=$RL_LAST_PID
rl_wait_for 10 grep -q '^listening=' "$RL_WORK/serve.log" || rl_fail "serve did not start"
URL="http://$(sed -n 's/^listening=//p' "$RL_WORK/serve.log")"

# status CODE METHOD PATH [curl args]: the HTTP status must be CODE and the body JSON.
status() {
    want=$1 method=$2 path=$3
    shift 3
    got=$(curl -s -o "$RL_WORK/resp" -w '%{http_code}' -X "$method" "$@" "$URL$path")
    [ "$got" = "$want" ] || rl_fail "$method $path: status $got, expected $want: $(cat "$RL_WORK/resp")"
    case $path in /metrics) ;; *) $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$RL_WORK/resp" ||
        rl_fail "$method $path: body is not JSON: $(cat "$RL_WORK/resp")" ;; esac
}

status 200 GET /v1/models/flights
$PY - "$RL_WORK/resp" <<'PYEOF' || rl_fail "model info: $(cat "$RL_WORK/resp")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "flights" and d["version"] == 7 and d["parent"] == 6, d
assert d["learner"] == "sgd" and d["output"] == "probability" and d["age"] >= 0, d
PYEOF
status 200 POST /v1/models/flights:predict -H 'Content-Type: application/json' --data-binary "@$RL_WORK/body.json"
$PY - "$RL_WORK/resp" "$RL_WORK/want.txt" <<'PYEOF' || rl_fail "HTTP predictions differ from librelearn's"
import json, sys
d = json.load(open(sys.argv[1]))
want = open(sys.argv[2]).read().split("\n")
assert want[0] == "version 7" and d["model_version"] == 7, (want[0], d["model_version"])
want = [float(x) for x in want[1:] if x]
assert len(want) == 40 and d["predictions"] == want, (d["predictions"][:3], want[:3])
assert len(set(want)) > 10, "probes should not all score alike"
PYEOF
# the first probe as one relearn.Event protobuf (hand-encoded: Feature{name=1, value=3 float},
# Event.features=4; no label) scores exactly as its JSON form
$PY - "$RL_WORK/probes.txt" "$RL_WORK/event.pb" <<'PYEOF'
import struct, sys
def ld(field, b):
    n, v = len(b), b""
    while True:
        byte = n & 0x7F
        n >>= 7
        v += bytes([byte | (0x80 if n else 0)])
        if not n:
            break
    return bytes([field << 3 | 2]) + v + b
out = b""
for tok in open(sys.argv[1]).readline().split():
    name, val = tok.rsplit(":", 1)
    out += ld(4, ld(1, name.encode()) + bytes([3 << 3 | 5]) + struct.pack("<f", float(val)))
open(sys.argv[2], "wb").write(out)
PYEOF
status 200 POST /v1/models/flights:predict -H 'Content-Type: application/x-protobuf' --data-binary "@$RL_WORK/event.pb"
$PY - "$RL_WORK/resp" "$RL_WORK/want.txt" <<'PYEOF' || rl_fail "protobuf prediction differs: $(cat "$RL_WORK/resp")"
import json, sys
d = json.load(open(sys.argv[1]))
want = float(open(sys.argv[2]).read().split("\n")[1])
assert d["predictions"] == [want] and d["model_version"] == 7, (d, want)
PYEOF
status 200 POST '/v1/models/flights:explain?k=5' --data-binary "@$RL_WORK/body.json"
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["explanations"]; assert len(e)==40 and all(len(x["contributions"])==5 for x in e), d' "$RL_WORK/resp" ||
    rl_fail "explain: $(cat "$RL_WORK/resp")"

# malformed and out-of-bounds requests: 4xx with a JSON error, and the server lives on
status 400 POST /v1/models/flights:predict --data-binary 'not json'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": 3}'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": [{"a": [1]}]}'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": [{"a": 1e30}]}'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": [7]}'
status 400 POST '/v1/models/flights:explain?k=0' --data-binary '{"instances": []}'
status 400 POST /v1/models/flights:predict -H 'Content-Type: application/x-protobuf' --data-binary 'garbage'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": [{"a": 1}]} trailing'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": [{"a": tru}]}'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": [{"a": 1x}]}'
status 400 POST /v1/models/flights:predict --data-binary '{"instances": [{"a": 1}'
$PY -c 'print("[" * 150000)' >"$RL_WORK/deep"
status 400 POST /v1/models/flights:predict --data-binary "@$RL_WORK/deep"
$PY -c 'print("{\"x\": " + "[" * 20000 + "]" * 20000 + ", \"instances\": [{\"f1\": 2}]}")' >"$RL_WORK/deep_ok"
status 200 POST /v1/models/flights:predict --data-binary "@$RL_WORK/deep_ok"
# an escaped name is the name it spells; a string value v of k is the feature "k=v"
a=$(curl -s -d '{"instances": [{"f\u005ex1": 2.5, "c": "a\"b"}]}' "$URL/v1/models/flights:predict")
b=$(curl -s -d '{"instances": [{"f^x1": 2.5, "c=a\"b": 1}]}' "$URL/v1/models/flights:predict")
rl_assert_eq "escaped names" "$b" "$a"
head -c 300000 /dev/zero | tr '\0' ' ' >"$RL_WORK/big"
status 413 POST /v1/models/flights:predict --data-binary "@$RL_WORK/big"
# raw garbage on the socket, broken request lines, absurd headers: the server lives on
$PY - "${URL#http://}" <<'PYEOF'
import random, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
rnd = random.Random(7)
cases = [bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 3000))) for _ in range(60)]
cases += [b"POST /v1/models/flights:predict HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
          b"POST /v1/models/flights:predict HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n{",
          b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
          b"POST /v1/models/flights:predict HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]
for c in cases:
    s = socket.create_connection((host, int(port)))
    s.settimeout(3)
    try:
        s.sendall(c)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass
    except OSError:
        pass
    s.close()
PYEOF
status 200 GET /healthz
status 404 GET /v1/models/other
status 404 POST /v1/models/flights:frobnicate
status 405 GET /v1/models/flights:predict
status 404 POST '/v1/models/flights:pin?version=3'
status 400 POST '/v1/models/flights:pin?version=x'
status 200 POST '/v1/models/flights:pin?version=7'
status 200 POST /v1/models/flights:unpin
status 200 GET /healthz
status 200 POST /v1/models/flights:predict --data-binary '{"instances": [{"f1": 1, "carrier": "AA", "x": null}]}'
status 200 GET /metrics
grep -q '^relearn_serve_model_version 7$' "$RL_WORK/resp" || rl_fail "metrics: $(cat "$RL_WORK/resp")"
grep -q '^relearn_serve_predictions_total 85$' "$RL_WORK/resp" || rl_fail "metrics count: $(grep predictions_total "$RL_WORK/resp")"
grep -q 'route="predict",status="400"} 11' "$RL_WORK/resp" || rl_fail "metrics 400s: $(grep requests_total "$RL_WORK/resp")"

# a bad file is refused with its name; an old one fails /healthz under --max-age
cp "$RL_WORK/whole" "$RL_WORK/bad"
printf 'X' | dd of="$RL_WORK/bad" bs=1 seek=100 conv=notrunc 2>/dev/null
if "$RELEARN" serve --snapshot "$RL_WORK/bad" --listen 127.0.0.1:0 2>"$RL_WORK/bad.err"; then
    rl_fail "a corrupt snapshot was served"
fi
grep -q "$RL_WORK/bad" "$RL_WORK/bad.err" || rl_fail "error does not name the file: $(cat "$RL_WORK/bad.err")"

# slow clients (http/http_guard.h): four connections trickling one header byte at a time hold
# every slot one address may have; a probe from another address still gets in, and the
# trickling requests are cut at --request-timeout however steadily they send.
rl_bg slow "$RELEARN" serve --snapshot "$RL_WORK/whole" --listen 127.0.0.1:0 --max-connections 8 \
    --max-per-ip 4 --request-timeout 2
SLOW=$RL_LAST_PID
rl_wait_for 10 grep -q '^listening=' "$RL_WORK/slow.log" || rl_fail "serve (limits) did not start"
SADDR=$(sed -n 's/^listening=//p' "$RL_WORK/slow.log")
$PY - "$SADDR" >"$RL_WORK/slowloris.out" 2>&1 <<'PYEOF' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for i in range(4):
    s = socket.create_connection((host, int(port)))
    s.settimeout(0.2)
    s.sendall(b"POST /v1/models/flights:predict HTTP/1.1\r\n")
    socks.append(s)
start, cut = time.time(), set()
while time.time() - start < 8 and len(cut) < 4:
    for i, s in enumerate(socks):
        if i in cut:
            continue
        try:
            s.sendall(b"X")
            if s.recv(100) == b"":
                cut.add(i)
        except socket.timeout:
            pass
        except OSError:
            cut.add(i)
    time.sleep(0.2)
print("cut=%d after %.1f s" % (len(cut), time.time() - start))
PYEOF
LORIS=$!
sleep 0.8
code=$(curl -s --max-time 3 --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "http://$SADDR/healthz")
rl_assert_eq "healthz from another address while one holds its connections" 200 "$code"
wait $LORIS
grep -q '^cut=4 ' "$RL_WORK/slowloris.out" || rl_fail "trickling requests not cut: $(cat "$RL_WORK/slowloris.out")"
curl -s "http://$SADDR/metrics" | grep -q 'relearn_serve_connections_refused_total{reason="timed_out"} [1-9]' ||
    rl_fail "timeouts not counted: $(curl -s "http://$SADDR/metrics" | grep connections_)"
kill -TERM "$SLOW"

# --max-age: /healthz fails once the served version is older than the bound
sleep 1.2
rl_bg old "$RELEARN" serve --snapshot "$RL_WORK/whole" --listen 127.0.0.1:0 --max-age 1
OLD=$RL_LAST_PID
rl_wait_for 10 grep -q '^listening=' "$RL_WORK/old.log" || rl_fail "serve --max-age did not start"
code=$(curl -s -o "$RL_WORK/resp" -w '%{http_code}' "http://$(sed -n 's/^listening=//p' "$RL_WORK/old.log")/healthz")
rl_assert_eq "healthz of a version older than --max-age" 503 "$code"
grep -q 'older\|old' "$RL_WORK/resp" || rl_fail "healthz reason: $(cat "$RL_WORK/resp")"
kill -TERM "$OLD"

kill -TERM "$SERVE"
wait "$SERVE" || rl_fail "serve did not exit 0 on SIGTERM"
rl_log "ok"
