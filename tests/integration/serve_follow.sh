#!/bin/sh
# serve_follow: end to end. relearnd learns from a stream and publishes versions while
# `relearn serve` follows the snapshot topic; after each version, a fixed probe set scored
# through HTTP equals, byte for byte, what librelearn computes in-process from that version as
# `relearn snapshots --get` fetches it, and its log loss and accuracy over the probes' labels
# equal `relearn eval --init-model VERSION --test PROBES` (eval's 6 printed digits; the probes'
# values lie inside the training range, where a model rebuilt from weights alone predicts as
# the published version does). Then: pin / unpin / roll back over HTTP; a corrupt
# message on the topic is refused and counted, never served; with the broker gone the last good
# version keeps being served.
set -eu
. "$RL_TESTS/integration/lib.sh"
rl_init serve_follow
. "$RL_TESTS/integration/daemon_lib.sh"
. "$RL_TESTS/integration/serve_lib.sh"
[ -x "$RELEARND" ] || rl_skip "relearnd not built"
VERSIONS=4
RL_SERVE_MODEL=m

rl_broker_start b --partitions 2 --topics events,relearn-snapshots
BS=$(rl_bootstrap b)
rl_serve_start serve --brokers "$BS" --topic relearn-snapshots --model m
code=$(curl -s -o /dev/null -w '%{http_code}' "$RL_SERVE_URL/healthz")
rl_assert_eq "healthz before any version" 503 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -d '{"instances": [{}]}' "$RL_SERVE_URL/v1/models/m:predict")
rl_assert_eq "predict before any version" 503 "$code"

rl_probes 30 777 >"$RL_WORK/probes.txt"
rl_probes_json <"$RL_WORK/probes.txt" >"$RL_WORK/body.json"
rl_probes_vw <"$RL_WORK/probes.txt" >"$RL_WORK/probes.vw"
: >"$RL_WORK/empty.vw"
rl_daemon_config a b "[snapshot]" "gate_tolerance = 1000"
rl_daemon_start a
for v in $(seq 1 $VERSIONS); do
    # 300 more events of a concept over f^x1..f^x5 and f^o=A..H, then a version
    awk -v v="$v" 'BEGIN { s = v * 7919; for (i = 0; i < 300; i++) { line = "";
        for (k = 1; k <= 5; k++) { s = (s * 1103515245 + 12345) % 2147483648; x[k] = (s % 1000) / 100.0
            line = line sprintf(" x%d:%.3f", k, x[k]) }
        s = (s * 1103515245 + 12345) % 2147483648; o = substr("ABCDEFGH", s % 8 + 1, 1)
        y = (x[1] + x[2] * v / 4 > x[3] + 4 + (o < "D")) ? 1 : 0
        printf "%d |f%s o=%s\n", y, line, o } }' >"$RL_WORK/s$v.vw"
    "$RELEARN" produce --brokers "$BS" --topic events "$RL_WORK/s$v.vw" 2>>"$RL_WORK/produce.log" ||
        rl_fail "produce failed: $(cat "$RL_WORK/produce.log")"
    rl_wait_metric a model_events $((v * 300)) 60
    kill -USR1 "$(rl_daemon_pid a)"
    rl_wait_metric a snapshot_version "$v" 30
    rl_wait_for 30 sh -c "[ \"\$(curl -s --max-time 5 $RL_SERVE_URL/v1/models/m |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)[\"version\"])' 2>/dev/null)\" = $v ]" ||
        rl_fail "serve did not swap in version $v: $(rl_serve_get /v1/models/m)"
    "$RELEARN" snapshots --brokers "$BS" --topic relearn-snapshots --model m --get "$v" \
        -o "$RL_WORK/v$v.rlsn" 2>"$RL_WORK/get.log" || rl_fail "snapshots --get $v: $(cat "$RL_WORK/get.log")"
    rl_expected_body "$RL_WORK/v$v.rlsn" "$v" <"$RL_WORK/probes.txt" >"$RL_WORK/want$v"
    curl -s --max-time 5 --data-binary "@$RL_WORK/body.json" "$RL_SERVE_URL/v1/models/m:predict" \
        >"$RL_WORK/got$v"
    cmp -s "$RL_WORK/want$v" "$RL_WORK/got$v" ||
        rl_fail "version $v: HTTP answer differs from librelearn's: $(head -c 300 "$RL_WORK/got$v") vs $(head -c 300 "$RL_WORK/want$v")"
    "$RELEARN" eval --bits 12 --init-model "$RL_WORK/v$v.rlsn" --test "$RL_WORK/probes.vw" \
        "$RL_WORK/empty.vw" >"$RL_WORK/eval$v.txt" 2>&1 || rl_fail "eval: $(cat "$RL_WORK/eval$v.txt")"
    /usr/bin/python3 - "$RL_WORK/got$v" "$RL_WORK/probes.vw" "$RL_WORK/eval$v.txt" <<'PYEOF' ||
import json, math, sys
p = json.load(open(sys.argv[1]))["predictions"]
y = [int(l.split()[0]) for l in open(sys.argv[2])]
ev = dict(l.rsplit(None, 1) for l in open(sys.argv[3]) if l.startswith("test "))
clip = lambda q: min(max(q, 1e-15), 1 - 1e-15)
ll = sum(-math.log(clip(q)) if t else -math.log(1 - clip(q)) for q, t in zip(p, y)) / len(y)
acc = sum((q > 0.5) == bool(t) for q, t in zip(p, y)) / len(y)
assert "%.6f" % ll == ev["test log loss"], ("log loss", ll, ev)
assert "%.6f" % acc == ev["test accuracy"], ("accuracy", acc, ev)
PYEOF
        rl_fail "version $v: HTTP predictions disagree with relearn eval --test: $(grep '^test' "$RL_WORK/eval$v.txt")"
    rl_log "version $v: 30 probes through HTTP = in-process librelearn = relearn eval --test"
done
cmp -s "$RL_WORK/want1" "$RL_WORK/want$VERSIONS" && rl_fail "versions 1 and $VERSIONS score alike: the test sees nothing"
rl_daemon_stop a

# a kept version by path (TF Serving's form), without pinning it
curl -s --data-binary "@$RL_WORK/body.json" "$RL_SERVE_URL/v1/models/m/versions/1:predict" >"$RL_WORK/got"
cmp -s "$RL_WORK/want1" "$RL_WORK/got" || rl_fail "versions/1:predict answers: $(head -c 300 "$RL_WORK/got")"
rl_serve_get /v1/models/m/versions/3 | grep -q '"version": 3,' || rl_fail "GET versions/3: $(rl_serve_get /v1/models/m/versions/3)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$RL_SERVE_URL/v1/models/m/versions/99")
rl_assert_eq "a version not kept" 404 "$code"

# pin, unpin, roll back: each answer is the pinned version's exact answer
curl -s -X POST "$RL_SERVE_URL/v1/models/m:pin?version=2" >/dev/null
curl -s --data-binary "@$RL_WORK/body.json" "$RL_SERVE_URL/v1/models/m:predict" >"$RL_WORK/got"
cmp -s "$RL_WORK/want2" "$RL_WORK/got" || rl_fail "pinned version 2 answers: $(head -c 300 "$RL_WORK/got")"
curl -s -X POST "$RL_SERVE_URL/v1/models/m:unpin" >/dev/null
curl -s -X POST "$RL_SERVE_URL/v1/models/m:rollback" >/dev/null
curl -s --data-binary "@$RL_WORK/body.json" "$RL_SERVE_URL/v1/models/m:predict" >"$RL_WORK/got"
cmp -s "$RL_WORK/want$((VERSIONS - 1))" "$RL_WORK/got" || rl_fail "rollback answers: $(head -c 300 "$RL_WORK/got")"
curl -s -X POST "$RL_SERVE_URL/v1/models/m:unpin" >/dev/null

# a corrupt and a truncated message of model m: refused, counted, never served
head -c 100 "$RL_WORK/v2.rlsn" >"$RL_WORK/trunc"
cp "$RL_WORK/v$VERSIONS.rlsn" "$RL_WORK/corrupt"
printf 'Z' | dd of="$RL_WORK/corrupt" bs=1 seek=200 conv=notrunc 2>/dev/null
rl_kcat b -P -t relearn-snapshots -k m "$RL_WORK/trunc"
rl_kcat b -P -t relearn-snapshots -k m "$RL_WORK/corrupt"
rl_wait_for 20 sh -c "curl -s $RL_SERVE_URL/metrics | grep -q '^relearn_serve_snapshot_refused_total 2\$'" ||
    rl_fail "refusals not counted: $(rl_serve_get /metrics | grep snapshot_)"
curl -s --data-binary "@$RL_WORK/body.json" "$RL_SERVE_URL/v1/models/m:predict" >"$RL_WORK/got"
cmp -s "$RL_WORK/want$VERSIONS" "$RL_WORK/got" || rl_fail "after refusals: $(head -c 300 "$RL_WORK/got")"

# the broker goes away: the last good version is still served
rl_broker_stop b
sleep 2
for i in 1 2 3; do
    curl -s --max-time 5 --data-binary "@$RL_WORK/body.json" "$RL_SERVE_URL/v1/models/m:predict" >"$RL_WORK/got"
    cmp -s "$RL_WORK/want$VERSIONS" "$RL_WORK/got" || rl_fail "broker away: $(head -c 300 "$RL_WORK/got")"
done
code=$(curl -s -o /dev/null -w '%{http_code}' "$RL_SERVE_URL/healthz")
rl_assert_eq "healthz with the broker away" 200 "$code"
kill -TERM "$(cat "$RL_WORK/serve.pid")"
wait "$(cat "$RL_WORK/serve.pid")" || rl_fail "serve did not exit 0 on SIGTERM"
rl_log "ok"
