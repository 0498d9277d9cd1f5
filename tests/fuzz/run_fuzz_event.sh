#!/bin/sh
# Builds the Event decoder's libFuzzer target (tests/fuzz/fuzz_event.c) with clang
# (-fsanitize=fuzzer,address,undefined) and runs it for RL_FUZZ_SECONDS (default 20; RL_LONG=1
# makes it 600) over a copy of the committed seed corpus (tests/fuzz/corpus/event/). Any crash,
# leak, abort (a disagreement with protobuf-c) or timeout fails; the input is kept in RL_BUILD.
# Env (set by ctest): RL_BUILD (for the generated protobuf sources), RL_SRC.
set -eu
: "${RL_SRC:?}" "${RL_BUILD:?}"
secs=${RL_FUZZ_SECONDS:-20}
[ "${RL_LONG:-0}" = 1 ] && secs=600
CC=${RL_FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run_fuzz_event: $CC not found (scripts/deps.sh installs clang)" >&2
    exit 1
fi
pb="$RL_BUILD/proto/event.pb-c.c"
[ -f "$pb" ] || { echo "run_fuzz_event: $pb missing: build first" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/rl_fuzz_event.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
S=$RL_SRC
# shellcheck disable=SC2046
$CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c11 \
    -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$S/format" -I"$S/common" -iquote "$S/learners" -I"$S/drift" -I"$S/model" \
    -I"$RL_BUILD/proto" $(pkg-config --cflags libprotobuf-c) \
    -o "$work/fuzz_event" "$S/tests/fuzz/fuzz_event.c" "$S/format/event_codec.c" \
    "$S"/format/reader*.c "$S/learners/features.c" "$S/common/rl_common.c" "$pb" \
    $(pkg-config --libs libprotobuf-c libxxhash) -lm
mkdir -p "$work/corpus"
cp "$S/tests/fuzz/corpus/event/"* "$work/corpus/"
echo "run_fuzz_event: fuzz_event for ${secs}s"
if ! "$work/fuzz_event" -max_total_time="$secs" -rss_limit_mb=1024 -max_len=4096 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$work/crash-" "$work/corpus" >"$work/log" 2>&1; then
    echo "run_fuzz_event: FAILED; last lines:" >&2
    tail -40 "$work/log" >&2
    for f in "$work"/crash-*; do
        [ -f "$f" ] && cp "$f" "$RL_BUILD/" && echo "run_fuzz_event: input kept: $RL_BUILD/$(basename "$f")" >&2
    done
    exit 1
fi
grep -E "stat::number_of_executed_units|Done" "$work/log" | head -2
