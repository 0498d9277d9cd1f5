#!/bin/sh
# bench_flights.sh - learning quality on the flight-delay stream: vega-datasets'
# data/flights-3m.parquet (3,000,000 US flights of 2001, in departure order), fetched with npm at
# benchmark time (never committed), converted by bench/flights_to_csv.mjs, and learned by
# `relearn eval` test-then-train, one configuration per line (default: the default learner with
# and without the documented interaction config, and FTRL / OGD with it).
#
#   sh bench/bench_flights.sh BUILD_DIR ["EVAL ARGS" ...]
#
# Environment: WORK scratch directory (default a fresh mktemp -d; reused when it already holds
# flights.csv), VEGA version of vega-datasets (3.2.1).
set -eu
export OPENBLAS_NUM_THREADS=1
B=${1:?usage: bench_flights.sh BUILD_DIR ["EVAL ARGS" ...]}
shift
R=$B/cli/relearn
HERE=$(cd "$(dirname "$0")" && pwd)
VEGA=${VEGA:-3.2.1}
[ -x "$R" ] || { echo "bench_flights: $R missing (cmake --build $B --target relearn)" >&2; exit 1; }
W=${WORK:-$(mktemp -d)}
if [ ! -s "$W/flights.csv" ]; then
    command -v npm >/dev/null && command -v node >/dev/null ||
        { echo "bench_flights: needs npm and node (Debian: apt-get install npm)" >&2; exit 1; }
    (cd "$W" && npm pack --silent "vega-datasets@$VEGA" >/dev/null &&
        tar xzf "vega-datasets-$VEGA.tgz" package/data/flights-3m.parquet &&
        npm install --silent --no-audit --no-fund --prefix "$W" hyparquet hyparquet-compressors >/dev/null)
    cp "$HERE/flights_to_csv.mjs" "$W/"
    (cd "$W" && node flights_to_csv.mjs package/data/flights-3m.parquet flights.csv)
fi
IX="do,dt,doh,dth,dot,oh,th,ot,ow,tw,hw,om,tm"
if [ $# -eq 0 ]; then
    set -- "" "--interactions $IX" "--learner ftrl" "--learner ftrl --interactions $IX" \
        "--learner ogd" "--learner ogd --interactions $IX"
fi
COMMON="--label-col delayed --categorical hour,weekday,month --bits 24 --progress 0"
for cfg in "$@"; do
    # shellcheck disable=SC2086
    out=$(/usr/bin/time -f "%U %S" "$R" eval $COMMON $cfg "$W/flights.csv" 2>"$W/time") ||
        { echo "bench_flights: relearn eval $cfg failed: $out" >&2; exit 1; }
    echo "$out" | awk -v cfg="${cfg:-(default)}" -v t="$(tail -1 "$W/time")" '
        $1 == "events" { n = $2 } $1 == "accuracy" { a = $2 } $1 == "log" { l = $3 }
        $1 == "bad" { b = $3 }
        END { split(t, c, " "); printf "%-60s events %s bad %s accuracy %s log loss %s cpu %.1f s\n",
              cfg, n, b, a, l, c[1] + c[2] }'
done
[ -n "${WORK:-}" ] || rm -rf "$W"
