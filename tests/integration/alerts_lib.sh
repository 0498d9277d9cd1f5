# alerts_lib.sh - what the alert tests share (daemon_alerts.sh, daemon_alerts_crash.sh): the
# checker of the alerts topic's records, and the noisy drifting stream that makes more warnings
# and drifts than alert_min_gap lets through. Sourced after lib.sh and daemon_lib.sh.
CHECK="$RL_BUILD/tests/rl_alert_check"
[ -x "$CHECK" ] || rl_fail "no rl_alert_check at $CHECK"

# noisy_stream N SEED FLIP_AT: the drifting stream, each label flipped again with prob. 0.3.
noisy_stream() { rl_gen_stream "$1" "$2" "$3" 0.3; }
