#!/bin/sh
# Builds the text readers' libFuzzer target (tests/fuzz/fuzz_reader.c) with clang
# (-fsanitize=fuzzer,address,undefined) and runs it for RL_FUZZ_SECONDS (default 20; RL_LONG=1
# makes it 600) over a copy of the committed seed corpus (tests/fuzz/corpus/reader/). Any crash,
# leak, broken invariant (abort) or timeout fails; the input is kept in RL_BUILD.
set -eu
: "${RL_SRC:?}" "${RL_BUILD:?}"
secs=${RL_FUZZ_SECONDS:-20}
[ "${RL_LONG:-0}" = 1 ] && secs=600
CC=${RL_FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run_fuzz_reader: $CC not found (scripts/deps.sh installs clang)" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/rl_fuzz_reader.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
S=$RL_SRC
# shellcheck disable=SC2046
$CC -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c11 \
    -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$S/format" -I"$S/common" -iquote "$S/learners" \
    -o "$work/fuzz_reader" "$S/tests/fuzz/fuzz_reader.c" "$S"/format/reader*.c \
    "$S/learners/features.c" "$S/common/rl_common.c" $(pkg-config --libs libxxhash) -lm
mkdir -p "$work/corpus"
cp "$S/tests/fuzz/corpus/reader/"* "$work/corpus/"
echo "run_fuzz_reader: fuzz_reader for ${secs}s"
if ! "$work/fuzz_reader" -max_total_time="$secs" -rss_limit_mb=1024 -max_len=4096 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$work/crash-" "$work/corpus" >"$work/log" 2>&1; then
    echo "run_fuzz_reader: FAILED; last lines:" >&2
    tail -40 "$work/log" >&2
    for f in "$work"/crash-*; do
        [ -f "$f" ] && cp "$f" "$RL_BUILD/" && echo "run_fuzz_reader: input kept: $RL_BUILD/$(basename "$f")" >&2
    done
    exit 1
fi
grep -E "stat::number_of_executed_units|cov:" "$work/log" | tail -2
