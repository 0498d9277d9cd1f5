# rel_security.sh - security properties of relearnd (issue 6):
#   1. the metrics endpoint binds loopback by default (the socket in /proc/net/tcp{,6});
#   2. TLS/SASL settings in [kafka] reach librdkafka, and their secrets never appear in clear:
#      not in --check-config, not in the log of a daemon that runs with them (debug level,
#      librdkafka's own conf debug on, failing to authenticate), not in a config error message;
#   3. checkpoint files are 0600, the directory relearnd makes 0700;
#   4. a world-writable checkpoint dir (with or without the sticky bit) is refused at start as a
#      configuration error, exit status 2 (README: "a group- or world-writable checkpoint
#      directory" stops start-up like a bad value), with a message naming it;
#   5. a checkpoint that fails its checksum is never loaded: the newest is corrupted by one byte,
#      relearnd skips it with a message and resumes from the previous one, replaying exactly the
#      events after it; a corrupted snapshot given to --init-model is refused.
. "$RL_TESTS/integration/lib.sh"
rl_init rel_security
. "$RL_TESTS/integration/daemon_lib.sh"

DUMP="$RL_BUILD/tests/rel_ckpt_dump"
[ -x "$DUMP" ] || rl_fail "no $DUMP"
rl_broker_start b --partitions 1 --topics events
bs=$(rl_bootstrap b)

# ---- 1. loopback by default
# The default listen address, as the config table gives it.
rl_daemon_config d0 b
grep -v '^listen' "$RL_WORK/d0.ini" | sed '/^\[metrics\]/d' >"$RL_WORK/d0-default.ini"
"$RELEARND" --config "$RL_WORK/d0-default.ini" --check-config >"$RL_WORK/check0.txt" 2>&1 ||
    rl_fail "--check-config failed: $(cat "$RL_WORK/check0.txt")"
grep -Eq '^listen *= *127\.0\.0\.1:9464' "$RL_WORK/check0.txt" ||
    rl_fail "default metrics listen is not loopback: $(grep '^listen' "$RL_WORK/check0.txt")"
# And the socket it really opens, with the default config, when 9464 is free (the only fixed
# port in the suite; if another process holds it, only the config-level check above is made).
listening_on() { # PORT(hex): prints the local addresses in LISTEN state (st 0A) on that port
    awk -v p=":$1" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { print $2 }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
if [ -z "$(listening_on 24F8)" ]; then
    cp "$RL_WORK/d0-default.ini" "$RL_WORK/d0.ini"
    rl_bg d0-run "$RELEARND" --config "$RL_WORK/d0.ini"
    d0=$RL_LAST_PID
    rl_wait_for 30 grep -q 'msg="metrics endpoint listening"' "$RL_WORK/d0-run.log" ||
        rl_fail "relearnd with the default listen did not start: $(tail -n 5 "$RL_WORK/d0-run.log")"
    addrs=$(listening_on 24F8)
    [ -n "$addrs" ] || rl_fail "nothing listens on 9464"
    for a in $addrs; do
        case $a in
        0100007F:24F8 | 00000000000000000000000001000000:24F8) ;;
        *) rl_fail "metrics endpoint listens on $a, not loopback" ;;
        esac
    done
    # And it answers there.
    curl -s --max-time 5 http://127.0.0.1:9464/metrics | grep -q '^relearnd_up' || rl_fail "no metrics on 127.0.0.1:9464"
    kill -TERM $d0
    wait $d0
    rl_log "metrics endpoint binds loopback by default ($addrs)"
else
    rl_log "port 9464 is taken by another process: checked the default at config level only"
fi

# ---- 2. secrets never in clear
secret_pw='Pw-5ecret-d41d8cd9'
secret_ssl='Ssl-key-pass-0cc175b9'
secret_oauth='Oauth-config-92eb5ffe'
rl_daemon_config s b "[kafka]" "security.protocol = SASL_PLAINTEXT" "sasl.mechanisms = PLAIN" \
    "sasl.username = alice" "sasl.password = $secret_pw" "ssl.key.password = $secret_ssl" \
    "sasl.oauthbearer.config = principal=bob extension_x=$secret_oauth" "debug = conf,security,broker"
"$RELEARND" --config "$RL_WORK/s.ini" --check-config >"$RL_WORK/check-s.txt" 2>&1 ||
    rl_fail "--check-config with SASL settings failed: $(cat "$RL_WORK/check-s.txt")"
grep -q 'sasl.username = alice' "$RL_WORK/check-s.txt" || rl_fail "--check-config lost the [kafka] keys"
grep -Eq 'sasl.password *= *\*+' "$RL_WORK/check-s.txt" || rl_fail "sasl.password not shown masked"
# The daemon itself, at debug level, against a broker that does not speak SASL: it fails to
# authenticate, logs the trouble, and must not print any secret while doing so.
rl_bg s-run "$RELEARND" --config "$RL_WORK/s.ini" --log-level debug
spid=$RL_LAST_PID
sleep 5
kill -TERM $spid 2>/dev/null
rl_wait_for 30 sh -c "! kill -0 $spid" || rl_fail "relearnd with SASL settings did not stop on SIGTERM"
[ "$(wc -l <"$RL_WORK/s-run.log")" -gt 3 ] || rl_fail "the SASL run logged nothing: the check would be empty"
# The settings did reach librdkafka (its conf debug lists them, secrets redacted by it).
grep -q 'security.protocol = sasl_plaintext' "$RL_WORK/s-run.log" || rl_fail "security.protocol did not reach librdkafka"
grep -q 'sasl.mechanisms = PLAIN' "$RL_WORK/s-run.log" || rl_fail "sasl.mechanisms did not reach librdkafka"
# A config error on a secret's line (a typo in the key) must not echo the secret either.
cp "$RL_WORK/s.ini" "$RL_WORK/s-bad.ini"
echo "sasl.passwrd = $secret_pw" >>"$RL_WORK/s-bad.ini"
"$RELEARND" --config "$RL_WORK/s-bad.ini" --check-config >"$RL_WORK/check-bad.txt" 2>&1
rl_assert_eq "exit status of a misspelt [kafka] key" 2 $?
for f in check-s.txt s-run.log check-bad.txt; do
    for sec in "$secret_pw" "$secret_ssl" "$secret_oauth"; do
        if grep -qF "$sec" "$RL_WORK/$f"; then
            rl_fail "secret in clear in $f: $(grep -F "$sec" "$RL_WORK/$f" | head -n 1)"
        fi
    done
done
rl_log "SASL/TLS secrets masked in --check-config, the debug log and config errors"

# ---- 3. file modes
rl_gen_stream 400 5 >"$RL_WORK/s1.svm"
"$RELEARN" produce --brokers "$bs" --topic events "$RL_WORK/s1.svm" 2>"$RL_WORK/produce.log" || rl_fail "produce"
rl_daemon_config a b "[checkpoint]" "every_events = 100" "every_seconds = 0" "keep = 3" \
    "[snapshot]" "every_events = 200" "gate_tolerance = 1000000"
rl_daemon_start a
rl_wait_metric a model_events 400 60
rl_wait_metric a checkpoint_seq 4 30
rl_daemon_stop a
rl_assert_eq "checkpoint dir mode" 700 "$(stat -c %a "$RL_WORK/ckpt-a")"
n=0
for f in "$RL_WORK"/ckpt-a/ckpt-*.rlck; do
    rl_assert_eq "mode of $(basename "$f")" 600 "$(stat -c %a "$f")"
    n=$((n + 1))
done
[ $n -ge 2 ] || rl_fail "only $n checkpoint files kept"

# ---- 4. world-writable checkpoint dir refused
for m in 777 1777 702; do
    chmod $m "$RL_WORK/ckpt-a"
    "$RELEARND" --config "$RL_WORK/a.ini" >"$RL_WORK/ww.log" 2>&1
    st=$?
    rl_assert_eq "exit status with a mode $m checkpoint dir" 2 $st
    grep -q 'world-writable' "$RL_WORK/ww.log" || rl_fail "mode $m: no message about it: $(tail -n 2 "$RL_WORK/ww.log")"
done
chmod 700 "$RL_WORK/ckpt-a"
rl_log "world-writable checkpoint dirs refused (exit 2)"

# ---- 5. a checkpoint failing its checksum is never loaded
newest=$(ls "$RL_WORK"/ckpt-a/ckpt-*.rlck | tail -n 1)
"$DUMP" -f "$newest" >"$RL_WORK/newest.dump" || rl_fail "newest checkpoint unreadable before the flip"
older_seq=$(($(sed -n 's/^seq=//p' "$RL_WORK/newest.dump") - 1))
older=$(ls "$RL_WORK"/ckpt-a/ckpt-*.rlck | tail -n 2 | head -n 1)
"$DUMP" -f "$older" >"$RL_WORK/older.dump" || rl_fail "older checkpoint unreadable"
rl_assert_eq "seq of the previous checkpoint" "seq=$older_seq" "$(grep '^seq=' "$RL_WORK/older.dump")"
older_events=$(sed -n 's/^events=//p' "$RL_WORK/older.dump")
[ "$older_events" -lt 400 ] || rl_fail "the previous checkpoint already holds everything: nothing to replay"
# Flip one byte in the middle of the newest file (inside the payload).
size=$(stat -c %s "$newest")
off=$((size / 2))
byte=$(od -An -tu1 -j $off -N1 "$newest" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$newest" bs=1 seek=$off count=1 conv=notrunc 2>/dev/null
"$DUMP" -f "$newest" >/dev/null 2>"$RL_WORK/flip.err" && rl_fail "the flipped checkpoint still reads"
rl_daemon_start a
rl_wait_metric a model_events 400 60
grep -q "msg=\"checkpoint file skipped\" path=\"$newest\"" "$RL_WORK/a.log" ||
    rl_fail "the corrupted checkpoint was not reported as skipped"
grep "msg=\"checkpoint file skipped\" path=\"$newest\"" "$RL_WORK/a.log" | grep -qi 'checksum' ||
    rl_fail "the skip message does not name the checksum: $(grep 'checkpoint file skipped' "$RL_WORK/a.log")"
grep 'msg="warm start from checkpoint"' "$RL_WORK/a.log" | tail -n 1 | grep -q "seq=$older_seq " ||
    rl_fail "did not resume from the previous checkpoint: $(grep 'warm start' "$RL_WORK/a.log" | tail -n 1)"
# It replays exactly the events after the previous checkpoint.
rl_wait_metric a 'events_total{outcome="learned"}' $((400 - older_events)) 10
sleep 1
rl_assert_eq "events after resuming from the previous checkpoint" 400 "$(rl_metric a model_events)"
rl_daemon_stop a
rl_log "corrupted checkpoint skipped (checksum), resumed from seq $older_seq, replayed $((400 - older_events)) events once"

# A corrupted snapshot is refused by --init-model. The snapshot comes off the topic (one chunk).
rl_kcat b -C -q -t relearn-snapshots -o beginning -c 1 -e -D '' -f '%s' >"$RL_WORK/snap.bin" ||
    rl_fail "kcat could not read a snapshot"
[ -s "$RL_WORK/snap.bin" ] || rl_fail "no snapshot on the topic"
rl_daemon_config i b "[checkpoint]" "dir = $RL_WORK/ckpt-i"
# Intact, it is accepted (so the refusal below is the checksum's doing).
rl_daemon_start i --init-model "$RL_WORK/snap.bin"
grep -q 'msg="warm start from snapshot weights"' "$RL_WORK/i.log" || rl_fail "intact snapshot not loaded: $(tail -n 3 "$RL_WORK/i.log")"
rl_daemon_stop i
rm -rf "$RL_WORK/ckpt-i"
size=$(stat -c %s "$RL_WORK/snap.bin")
off=$((size / 2))
byte=$(od -An -tu1 -j $off -N1 "$RL_WORK/snap.bin" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$RL_WORK/snap.bin" bs=1 seek=$off count=1 conv=notrunc 2>/dev/null
"$RELEARND" --config "$RL_WORK/i.ini" --init-model "$RL_WORK/snap.bin" >"$RL_WORK/init.log" 2>&1
st=$?
[ $st -ne 0 ] || rl_fail "relearnd started from a corrupted snapshot"
grep -qi 'checksum' "$RL_WORK/init.log" || rl_fail "corrupted snapshot refused without naming the checksum: $(tail -n 2 "$RL_WORK/init.log")"
rl_log "ok"
