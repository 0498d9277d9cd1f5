#!/bin/sh
# Installs the Debian packages relearn builds and tests with, only those missing.
# Run as root (apt-get); otherwise names what to install and fails.
#   deps.sh          what `make demo` and the build need (no Java: the demo's broker is embedded)
#   deps.sh --test   also what `make test` needs for its real-Kafka tests (label kafka-real):
#                    a JDK and Maven for scripts/kafka.sh's Apache Kafka broker, python3-kafka
#                    for its Admin API (topics) and as a second, non-librdkafka client;
#                    python3-protobuf, python3-xxhash, python3-zstandard and protobuf-compiler
#                    for python/relearn_snapshot.py, the snapshot reader written from
#                    docs/FORMAT.md that the tests check against the C code; prometheus
#                    for promtool (the /metrics lint, the alerting rules) and a real server
set -eu
PKGS="cmake make gcc pkg-config librdkafka-dev libprotobuf-c-dev protobuf-c-compiler \
libopenblas-dev libcmocka-dev libxxhash-dev libinih-dev libjansson-dev libmicrohttpd-dev \
libzstd-dev libjsmn-dev kcat liblinear-tools clang libclang-rt-14-dev clang-format curl bc xxd \
procps time libsystemd-dev"
if [ "${1:-}" = --test ]; then
    PKGS="$PKGS default-jdk-headless maven python3-kafka python3-protobuf python3-xxhash \
python3-zstandard protobuf-compiler prometheus"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "relearn: missing Debian packages:$missing" >&2
    echo "relearn: install them as root: apt-get install$missing" >&2
    exit 1
fi
echo "relearn: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
