# Drift alerts as ops receive them from relearnd (alerts topic read by kcat, /metrics): every
# record's fields, rate limit accounting against the counters, a restart and a kill -9.
add_executable(rl_alert_check alert_check.c)
target_link_libraries(rl_alert_check PRIVATE PkgConfig::JANSSON m)
rl_script_test(daemon_alerts integration/daemon_alerts.sh "integration;daemon")
rl_script_test(daemon_alerts_crash integration/daemon_alerts_crash.sh "integration;daemon")
set_tests_properties(daemon_alerts daemon_alerts_crash PROPERTIES TIMEOUT 240)
