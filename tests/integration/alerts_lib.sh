# alerts_lib.sh - what the alert tests share (daemon_alerts.sh, daemon_alerts_crash.sh): the
# checker of the alerts topic's records, and the noisy drifting stream that makes more warnings
# and drifts than alert_min_gap lets through. Sourced after lib.sh and daemon_lib.sh.
CHECK="$RL_BUILD/tests/rl_alert_check"
[ -x "$CHECK" ] || rl_fail "no rl_alert_check at $CHECK"

# N lines of label = [x1 > x2] flipped from FLIP on, each label flipped again with prob. 0.3.
noisy_stream() {
    awk -v n="$1" -v seed="$2" -v flip="$3" 'BEGIN {
        srand(seed);
        for (i = 1; i <= n; i++) {
            a = rand(); b = rand();
            y = (a > b) ? 1 : 0;
            if (i >= flip) y = 1 - y;
            if (rand() < 0.3) y = 1 - y;
            printf "%d 1:%.6f 2:%.6f 3:1\n", y, a, b;
        }
    }'
}
