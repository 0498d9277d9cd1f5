# prometheus_rules.sh - deploy/prometheus/ as Prometheus reads it: the alerting rules pass
# `promtool check rules`, the scrape config (with the rules it loads) `promtool check config`,
# and the rules' unit tests (tests/prometheus/relearnd_rules_test.yml, synthetic series: each
# alert fires on its case and stays quiet on the look-alike) `promtool test rules`.
# Exit 77 (skip) when promtool is not installed (Debian package prometheus, scripts/deps.sh --test).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
command -v promtool >/dev/null 2>&1 || {
    echo "prometheus_rules: SKIP: promtool is not installed (Debian package prometheus)" >&2
    exit 77
}
promtool check rules "$root/deploy/prometheus/relearnd-rules.yml" || exit 1
(cd "$root/deploy/prometheus" && promtool check config prometheus.yml) || exit 1
(cd "$here/prometheus" && promtool test rules relearnd_rules_test.yml) || exit 1
