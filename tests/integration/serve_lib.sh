# serve_lib.sh - helpers for `relearn serve` tests, on top of lib.sh (source lib.sh first).
#
#   rl_serve_start NAME [relearn serve args...]   starts it on 127.0.0.1:0, sets RL_SERVE_URL
#   rl_serve_get PATH                              GET, body to stdout (fails on curl errors)
#   rl_serve_version                               the version GET /v1/models/$RL_SERVE_MODEL says
#   rl_probes N SEED > FILE                        N probe lines of "name:value" pairs (f^x1..;
#                                                  values 0..5, inside the training streams')
#   rl_probes_vw < PROBES > FILE                   the same as labeled VW lines (namespace f)
#   rl_probes_json < PROBES > BODY                 the same as a V1 predict request body
#   rl_expected_body SNAPSHOT VERSION < PROBES     the exact body serve answers for that version

rl_serve_start() {
    _s_name=$1
    shift
    rl_bg "$_s_name" "$RELEARN" serve --listen 127.0.0.1:0 "$@"
    echo $RL_LAST_PID >"$RL_WORK/$_s_name.pid"
    rl_wait_for 10 grep -q '^listening=' "$RL_WORK/$_s_name.log" ||
        rl_fail "relearn serve $_s_name did not start: $(cat "$RL_WORK/$_s_name.log")"
    RL_SERVE_URL="http://$(sed -n 's/^listening=//p' "$RL_WORK/$_s_name.log")"
}

rl_serve_get() {
    curl -s --max-time 5 "$RL_SERVE_URL$1"
}

rl_serve_version() {
    rl_serve_get "/v1/models/$RL_SERVE_MODEL" |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("version", 0))' 2>/dev/null ||
        echo 0
}

rl_probes() {
    awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) { line = "";
        for (k = 1; k <= 5; k++) { s = (s * 1103515245 + 12345) % 2147483648;
            line = line sprintf("%sf^x%d:%.3f", k > 1 ? " " : "", k, (s % 1000) / 200.0) }
        s = (s * 1103515245 + 12345) % 2147483648
        print line " f^o=" substr("ABCDEFGH", s % 8 + 1, 1) ":1" } }'
}

rl_probes_vw() {
    awk '{ line = ""; for (i = 1; i <= NF; i++) { t = $i; sub(/^f\^/, "", t); sub(/:1$/, "", t)
        line = line " " t }
        print (NR % 3 == 0 ? 0 : 1) " |f" line }'
}

rl_probes_json() {
    /usr/bin/python3 -c '
import json, sys
insts = []
for line in sys.stdin:
    d = {}
    for tok in line.split():
        name, v = tok.rsplit(":", 1)
        d[name] = float(v)
    insts.append(d)
print(json.dumps({"instances": insts}))'
}

# The body serve writes: predictions as %.17g, joined by ", " (serve/serve_json.c).
rl_expected_body() {
    "$RL_BUILD/tests/relearn_score" "$1" | awk -v v="$2" '
        NR == 1 { if ($2 != v) { print "relearn_score: version " $2 ", expected " v > "/dev/stderr"; exit 1 }; next }
        { out = out (NR > 2 ? ", " : "") $0 }
        END { printf "{\"predictions\": [%s], \"model_version\": %d}\n", out, v }'
}
