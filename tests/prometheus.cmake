# deploy/prometheus/: the alerting rules and scrape config checked and unit-tested by promtool
# (seconds), and a real Prometheus scraping relearnd that sees RelearndDrift fire on a generated
# drift (integration). Both skip (77) without Debian's prometheus package.
rl_script_test(prometheus_rules prometheus_rules.sh "docs;prometheus")
set_tests_properties(prometheus_rules PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77)
rl_script_test(prometheus_alert integration/prometheus_alert.sh "integration;daemon;prometheus")
set_tests_properties(prometheus_alert PROPERTIES TIMEOUT 180 SKIP_RETURN_CODE 77)
