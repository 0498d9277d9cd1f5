# docs_deploy.sh - deploy/'s files agree with the relearnd they ship: the relearnd command lines
# of the systemd unit, the Containerfile and the Kubernetes manifest (with the manifest's
# ConfigMap + Secret as the config) pass --check-config; ports, the checkpoint path, the user
# id, the stop signal and the no-restart exit status match between them and relearnd; the unit
# passes `systemd-analyze verify` where that exists. Nothing is run under systemd, a container
# engine or a cluster.
. "$RL_TESTS/integration/lib.sh"
rl_init docs_deploy
W=$RL_WORK
D=$RL_SRC/deploy
[ -x "$RELEARND" ] || rl_fail "no relearnd at $RELEARND"
INI=$D/sgd.ini

# check NAME ARGS...: relearnd ARGS --check-config passes; its output is in $W/NAME.out.
check() {
    name=$1
    shift
    "$RELEARND" "$@" --check-config >"$W/$name.out" 2>"$W/$name.err" ||
        rl_fail "$name: relearnd $* --check-config: $(cat "$W/$name.err")"
}

# 0. What --check-config calls the effective config is what the learner runs with: ogd.ini sets
# no schedule, and ogd steps eta / sqrt(t), i.e. invscaling (it printed the shared default,
# normalized); its radius is printed as set.
check ogd --config "$D/ogd.ini"
grep -q '^loss = squared$' "$W/ogd.out" || rl_fail "ogd.ini: $(grep '^loss' "$W/ogd.out")"
# (a comment: ogd does not take schedule as a key, so the output stays a config relearnd accepts)
grep -q '^; schedule = invscaling (fixed: not a parameter of ogd)$' "$W/ogd.out" ||
    rl_fail "ogd.ini: $(grep 'schedule' "$W/ogd.out")"
grep -q '^radius = 100$' "$W/ogd.out" || rl_fail "ogd.ini: $(grep '^radius' "$W/ogd.out")"

# 1. The systemd unit. Its binary and config paths point at this build and deploy/sgd.ini.
U=$D/relearnd.service
unit_cmd() {
    sed -n "s/^$1=//p" "$U" | sed -e "s#/usr/local/bin/relearnd#$RELEARND#" \
        -e "s#/etc/relearnd/relearnd.ini#$INI#"
}
pre=$(unit_cmd ExecStartPre)
start=$(unit_cmd ExecStart)
case "$pre" in *--check-config*) ;; *) rl_fail "ExecStartPre does not check the config: $pre" ;; esac
# shellcheck disable=SC2086
$pre >"$W/pre.out" 2>"$W/pre.err" || rl_fail "ExecStartPre: $pre: $(cat "$W/pre.err")"
# shellcheck disable=SC2086
check unit_start ${start#"$RELEARND"}
state=/var/lib/$(sed -n 's/^StateDirectory=//p' "$U")
grep -q "^dir = $state\$" "$W/unit_start.out" ||
    rl_fail "ExecStart's checkpoint dir is not StateDirectory $state: $(grep '^dir' "$W/unit_start.out")"
grep -q '^KillSignal=SIGTERM$' "$U" || rl_fail "unit: KillSignal is not SIGTERM"
grep -q '^RestartPreventExitStatus=2$' "$U" || rl_fail "unit: exit status 2 is not kept from restarts"
grep -q '^ExecReload=/bin/kill -USR1 \$MAINPID$' "$U" || rl_fail "unit: reload is not SIGUSR1"
# Type=notify with a watchdog: relearnd sends READY/WATCHDOG/STOPPING (tested by daemon_notify).
grep -q '^Type=notify$' "$U" || rl_fail "unit: not Type=notify"
grep -q '^NotifyAccess=main$' "$U" || rl_fail "unit: NotifyAccess is not main"
grep -q '^WatchdogSec=[1-9]' "$U" || rl_fail "unit: no WatchdogSec"
"$RELEARND" --help | grep -q '^  2  usage or configuration error' ||
    rl_fail "relearnd --help no longer says exit status 2 is a configuration error"
if command -v systemd-analyze >/dev/null 2>&1; then
    sed "s#/usr/local/bin/relearnd#$RELEARND#g" "$U" >"$W/relearnd.service"
    (cd "$W" && systemd-analyze verify ./relearnd.service) >"$W/verify.out" 2>&1 ||
        rl_fail "systemd-analyze verify: $(cat "$W/verify.out")"
    [ ! -s "$W/verify.out" ] || rl_fail "systemd-analyze verify: $(cat "$W/verify.out")"
else
    rl_log "systemd-analyze not installed: unit syntax not verified"
fi

# 2. The Containerfile: its CMD (a JSON array) with the mounted config replaced by sgd.ini.
C=$D/Containerfile
cmd=$(sed -n 's/^CMD \[\(.*\)\]$/\1/p' "$C" | tr -d '"' | tr ',' ' ' |
    sed "s#/etc/relearnd/relearnd.ini#$INI#")
[ -n "$cmd" ] || rl_fail "Containerfile: no CMD [...] line"
# shellcheck disable=SC2086
check container $cmd
grep -q '^ENTRYPOINT \["/usr/local/bin/relearnd"\]$' "$C" || rl_fail "Containerfile: ENTRYPOINT"
grep -q '^STOPSIGNAL SIGTERM$' "$C" || rl_fail "Containerfile: STOPSIGNAL is not SIGTERM"
port=$(sed -n 's/^listen = .*:\([0-9]*\)$/\1/p' "$W/container.out")
grep -q "^EXPOSE $port\$" "$C" || rl_fail "Containerfile: EXPOSE is not the metrics port $port"
vol=$(sed -n 's/^VOLUME //p' "$C")
grep -q "^dir = $vol\$" "$W/container.out" || rl_fail "Containerfile: VOLUME $vol is not the checkpoint dir"
uid=$(sed -n 's/.*useradd .*--uid \([0-9]*\).*/\1/p' "$C")
for f in daemon/relearnd cli/relearn; do
    grep -q "/build/$f" "$C" || rl_fail "Containerfile does not copy $f"
    [ -x "$RL_BUILD/$f" ] || rl_fail "no $f in a build"
done

# 3. The manifest: ConfigMap relearnd.ini + Secret kafka.ini (as its init container joins
# them), the container's args with the pod name for $(POD_NAME).
K=$D/relearnd-k8s.yaml
# embedded FILE: the lines of the "FILE: |" block scalar, indentation removed.
embedded() {
    awk -v k="$1: |" '
        index($0, k) { s = 1; n = -1; next }
        s && n < 0 { match($0, /^ */); n = RLENGTH }
        s { match($0, /^ */); if (RLENGTH < n && $0 !~ /^ *$/) exit; print substr($0, n + 1) }' "$K"
}
embedded relearnd.ini >"$W/k8s.ini"
embedded kafka.ini >>"$W/k8s.ini"
grep -q '^\[kafka\]$' "$W/k8s.ini" || rl_fail "manifest: no [kafka] section in the Secret"
args=$(awk '/^ *args:/ { s = 1; next } s && /^ *- / { sub(/^ *- /, ""); print; next } s { exit }' "$K" |
    sed -e 's#\$(POD_NAME)#relearnd-0#' -e "s#^--config=.*#--config=$W/k8s.ini#")
[ -n "$args" ] || rl_fail "manifest: no container args"
# shellcheck disable=SC2086
check k8s $args
grep -q '^sasl.password = \*\*\*\*\*\*\*\*$' "$W/k8s.out" || rl_fail "manifest: the Secret's password is printed"
grep -q '^instance_id = relearnd-0$' "$W/k8s.out" || rl_fail "manifest: instance id"
kport=$(sed -n 's/^listen = .*:\([0-9]*\)$/\1/p' "$W/k8s.out")
grep -q "containerPort: $kport}" "$K" || rl_fail "manifest: containerPort is not the metrics port $kport"
grep -q "prometheus.io/port: \"$kport\"" "$K" || rl_fail "manifest: scrape port is not $kport"
kdir=$(sed -n 's/^dir = //p' "$W/k8s.out")
grep -q "name: checkpoints, mountPath: $kdir}" "$K" || rl_fail "manifest: checkpoints volume is not at $kdir"
[ "$(grep -c 'httpGet: {path: /healthz, port: metrics}' "$K")" -eq 2 ] || rl_fail "manifest: probes"
grep -q "runAsUser: $uid\$" "$K" || rl_fail "manifest: runAsUser is not the image's uid $uid"
svc=$(awk '/^kind: StatefulSet/ { s = 1 } s && /serviceName:/ { print $2; exit }' "$K")
awk -v n="$svc" '/^kind: Service$/ { s = 1 } s && $1 == "name:" { if ($2 == n) f = 1; s = 0 }
                 END { exit !f }' "$K" || rl_fail "manifest: no Service named $svc (the serviceName)"
rl_log "ok"
