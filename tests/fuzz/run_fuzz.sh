#!/bin/sh
# Builds the checkpoint and snapshot libFuzzer targets with clang (-fsanitize=fuzzer,address,
# undefined) and runs each for RL_FUZZ_SECONDS (default 20; RL_LONG=1 makes it 600) over a copy
# of its committed seed corpus (tests/fuzz/corpus/<target>/). Any crash, leak or abort fails.
# Env (set by ctest): RL_BUILD (for the generated protobuf sources), RL_SRC, RL_TESTS.
set -eu
: "${RL_SRC:?}" "${RL_BUILD:?}"
secs=${RL_FUZZ_SECONDS:-20}
[ "${RL_LONG:-0}" = 1 ] && secs=600
CC=${RL_FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run_fuzz: $CC not found (scripts/deps.sh installs clang)" >&2
    exit 1
fi
work=$(mktemp -d /tmp/rl_fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
# Generated protobuf code comes from the build (protoc-c ran there).
pb="$RL_BUILD/proto"
for p in checkpoint snapshot; do
    [ -f "$pb/$p.pb-c.c" ] || { echo "run_fuzz: $pb/$p.pb-c.c missing: build first" >&2; exit 1; }
done
srcs="$RL_SRC/format/ckpt*.c $RL_SRC/format/dict.c $RL_SRC/format/snapshot*.c
$pb/checkpoint.pb-c.c $pb/snapshot.pb-c.c
$RL_SRC/model/*.c $RL_SRC/learners/*.c $RL_SRC/drift/*.c $RL_SRC/common/*.c"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
-D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DRL_FRAME_MAX_RAW=(64ull<<20) -std=c11
-I$RL_SRC/format -I$RL_SRC/common -iquote $RL_SRC/learners -I$RL_SRC/drift -I$RL_SRC/model -I$pb
$(pkg-config --cflags libprotobuf-c openblas)"
libs="$(pkg-config --libs libprotobuf-c libzstd libxxhash openblas) -lm"
status=0
# RL_FUZZ_TARGETS picks targets (default: ckpt snapshot); "config" is relearnd's config parser.
for t in ${RL_FUZZ_TARGETS:-ckpt snapshot}; do
    extra=""
    if [ "$t" = config ]; then
        extra="$RL_SRC/daemon/rld_config.c $RL_SRC/daemon/rld_log.c -I$RL_SRC/daemon
$(pkg-config --cflags --libs rdkafka inih)"
    fi
    echo "run_fuzz: building fuzz_$t"
    # shellcheck disable=SC2086
    $CC $flags -o "$work/fuzz_$t" "$RL_SRC/tests/fuzz/fuzz_$t.c" $srcs $extra $libs
    mkdir -p "$work/corpus_$t"
    cp "$RL_SRC/tests/fuzz/corpus/$t/"* "$work/corpus_$t/"
    echo "run_fuzz: fuzz_$t for ${secs}s"
    if ! OPENBLAS_NUM_THREADS=1 "$work/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 \
        -max_len=131072 -print_final_stats=1 -artifact_prefix="$work/crash_$t-" \
        "$work/corpus_$t" >"$work/log_$t" 2>&1; then
        echo "run_fuzz: fuzz_$t FAILED; last lines:" >&2
        tail -40 "$work/log_$t" >&2
        # keep the crashing input for a regression test
        for f in "$work"/crash_"$t"-*; do
            [ -f "$f" ] && cp "$f" "${RL_BUILD}/" && echo "run_fuzz: crash input kept: $RL_BUILD/$(basename "$f")" >&2
        done
        status=1
    else
        grep -E "stat::number_of_executed_units|Done" "$work/log_$t" | head -2
    fi
done
exit $status
