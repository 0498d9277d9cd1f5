# Drift alerts as ops receive them from relearnd (alerts topic read by kcat, /metrics): every
# record's fields, rate limit accounting against the counters, and a restart.
add_executable(rl_alert_check alert_check.c)
target_link_libraries(rl_alert_check PRIVATE PkgConfig::JANSSON m)
rl_script_test(daemon_alerts integration/daemon_alerts.sh "integration;daemon")
set_tests_properties(daemon_alerts PROPERTIES TIMEOUT 240)
