# alerts_lib.sh - what the alert tests share (daemon_alerts*.sh): the
# checker of the alerts topic's records, and the noisy drifting stream that makes more warnings
# and drifts than alert_min_gap lets through. Sourced after lib.sh and daemon_lib.sh.
CHECK="$RL_BUILD/tests/rl_alert_check"
[ -x "$CHECK" ] || rl_fail "no rl_alert_check at $CHECK"

# noisy_stream N SEED FLIP_AT: the drifting stream, each label flipped again with prob. 0.3.
noisy_stream() { rl_gen_stream "$1" "$2" "$3" 0.3; }

# alert_crash_config NAME BROKER: ddm with the challenger, alert_min_gap 100, one checkpoint
# every 15000 events (and not by time): a crash at 20000 replays 5000 events and their alerts.
alert_crash_config() {
    rl_daemon_config "$1" "$2" "[drift]" "detector = ddm" "warning = 0.5" "drift = 1" \
        "response = challenger" "alert_min_gap = 100"
    sed -i 's/^every_events = 100$/every_events = 15000/; s/^every_seconds = 1$/every_seconds = 600/' \
        "$RL_WORK/$1.ini"
}
