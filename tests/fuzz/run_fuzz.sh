#!/bin/sh
# run_fuzz.sh - builds libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined) and
# fuzzes each over a copy of its committed seed corpus (tests/fuzz/corpus/<target>/).
#
#   sh tests/fuzz/run_fuzz.sh [TARGET...]    TARGET: ckpt ckpt_load snapshot event reader config
#
# Targets come from the arguments, else from RL_FUZZ_TARGETS, else all of them. Each one runs
# RL_FUZZ_SECONDS (default 8: `make test` stays short; RL_LONG=1, as `make reliability` sets: 600).
# Compiling the sources is most of a short run's time, so each source is compiled once, into an
# object cache in $RL_BUILD/fuzz-obj keyed by compiler, flags, its own text and every header:
# the targets of one run, and the fuzz tests of one ctest run, share the objects. Any crash,
# leak, abort (a broken invariant, a disagreement with protobuf-c) or timeout fails, and the
# input is kept in RL_BUILD to be committed to the target's corpus, which the replay_* tests
# (tests/reliability.cmake) and test_ckpt run on every build.
# Env (set by ctest): RL_BUILD (generated protobuf sources, object cache), RL_SRC.
set -eu
: "${RL_SRC:?}" "${RL_BUILD:?}"
if [ $# -eq 0 ]; then
    # shellcheck disable=SC2086
    set -- ${RL_FUZZ_TARGETS:-ckpt ckpt_load snapshot event reader config}
fi
secs=${RL_FUZZ_SECONDS:-8}
[ "${RL_LONG:-0}" = 1 ] && secs=600
CC=${RL_FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "run_fuzz: $CC not found (scripts/deps.sh installs clang)" >&2
    exit 1
fi
S=$RL_SRC
pb="$RL_BUILD/proto"

# Sources per target (the fuzz_<target>.c entry point is added to each).
model_srcs="$S/storage/ckpt*.c $S/storage/frame.c $S/storage/file_io.c $S/storage/snapshot*.c $S/storage/zero_runs.c
$pb/checkpoint.pb-c.c $pb/snapshot.pb-c.c
$S/model/*.c $S/learners/*.c $S/drift/*.c $S/common/*.c"
reader_srcs="$S/input/reader*.c $S/learners/features.c $S/common/rl_common.c"
target_srcs() {
    case $1 in
    ckpt | ckpt_load | snapshot) echo "$model_srcs" ;;
    config) echo "$model_srcs $S/daemon/rld_config.c $S/daemon/rld_config_check.c $S/daemon/rld_config_file.c $S/daemon/rld_config_values.c $S/daemon/rld_formats.c $S/input/reader_csv_cols.c $S/input/reader_num.c $S/kafka/log.c $S/kafka/client.c" ;;
    event) echo "$S/wire/event_decode.c $S/wire/event_encode.c $reader_srcs $pb/event.pb-c.c" ;;
    reader) echo "$reader_srcs" ;;
    *) return 1 ;;
    esac
}
target_libs() {
    case $1 in
    ckpt | ckpt_load | snapshot) pkg-config --libs libprotobuf-c libzstd libxxhash openblas ;;
    config) pkg-config --libs libprotobuf-c libzstd libxxhash openblas rdkafka inih ;;
    event) pkg-config --libs libprotobuf-c libxxhash ;;
    reader) pkg-config --libs libxxhash ;;
    esac
}
# libFuzzer options: the checkpoint-shaped inputs need room (a frame of a real model); text
# and event inputs stay small and must never take 10 s.
target_opts() {
    case $1 in
    ckpt | snapshot | config) echo "-rss_limit_mb=2048 -max_len=131072" ;;
    # a mutated config may ask for a large model before the checksum says no: its arrays are
    # mapped lazily (little is ever resident), so only the resident size is limited
    ckpt_load) echo "-rss_limit_mb=2048 -malloc_limit_mb=1048576 -max_len=131072" ;;
    *) echo "-rss_limit_mb=1024 -max_len=4096 -timeout=10" ;;
    esac
}
for t in "$@"; do
    target_srcs "$t" >/dev/null || {
        echo "run_fuzz: unknown target '$t' (ckpt ckpt_load snapshot event reader config)" >&2
        exit 2
    }
    case $t in
    ckpt | ckpt_load | snapshot | config) need="checkpoint snapshot" ;;
    event) need="event" ;;
    *) need="" ;;
    esac
    for p in $need; do
        [ -f "$pb/$p.pb-c.c" ] || { echo "run_fuzz: $pb/$p.pb-c.c missing: build first" >&2; exit 1; }
    done
done

work=$(mktemp -d "${TMPDIR:-/tmp}/rl_fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cflags="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DRL_FRAME_MAX_RAW=(64ull<<20)
-I$S -I$RL_BUILD
$(pkg-config --cflags libprotobuf-c openblas)"
cache="$RL_BUILD/fuzz-obj"
mkdir -p "$cache"
# One hash over every header the sources may include: any header change recompiles all.
hdrs=$(find "$S/common" "$S/input" "$S/wire" "$S/storage" "$S/learners" "$S/drift" "$S/model" "$S/daemon" "$S/kafka" "$pb" "$S/tests" \
    -name '*.h' | sort | xargs cat | sha1sum | cut -c1-40)
ccver=$("$CC" --version | head -1)

# obj SRC: prints the cached object for SRC, compiling it first if needed (atomically: a
# parallel ctest may be compiling the same file).
obj() {
    key=$(
        printf '%s\n%s\n%s\n' "$ccver" "$cflags" "$hdrs"
        cat "$1"
    )
    key=$(printf '%s' "$key" | sha1sum | cut -c1-16)
    # name from the path (input/reader.c -> input_reader), so two dirs never share one
    base=$(echo "$1" | sed "s|^$S/||; s|^$RL_BUILD/||; s|\.c\$||; s|/|_|g")
    o="$cache/$base-$key.o"
    if [ ! -f "$o" ]; then
        # shellcheck disable=SC2086
        $CC $cflags -c -o "$o.tmp.$$" "$1" || return 1
        mv -f "$o.tmp.$$" "$o"
        for old in "$cache/$base"-*.o; do
            [ "$old" = "$o" ] || rm -f "$old"
        done
    fi
    echo "$o"
}

# Compile every source the requested targets need, two at a time, each once.
srcs=""
for t in "$@"; do
    srcs="$srcs $(target_srcs "$t") $S/tests/fuzz/fuzz_$t.c"
done
# shellcheck disable=SC2086
printf '%s\n' $srcs | sort -u >"$work/srcs"
echo "run_fuzz: compiling $(wc -l <"$work/srcs") sources for: $*"
n=0
while read -r src; do
    (obj "$src" >/dev/null || touch "$work/compile_failed") &
    n=$((n + 1))
    if [ "$n" -ge "${RL_FUZZ_JOBS:-2}" ]; then
        wait
        n=0
    fi
done <"$work/srcs"
wait
[ ! -f "$work/compile_failed" ] || { echo "run_fuzz: compiling failed (see above)" >&2; exit 1; }

status=0
for t in "$@"; do
    objs=""
    # shellcheck disable=SC2046,SC2086
    for src in $(printf '%s\n' $(target_srcs "$t") "$S/tests/fuzz/fuzz_$t.c" | sort -u); do
        objs="$objs $(obj "$src")"
    done
    # shellcheck disable=SC2046,SC2086
    $CC -fsanitize=fuzzer,address,undefined -o "$work/fuzz_$t" $objs $(target_libs "$t") -lm
    mkdir -p "$work/corpus_$t"
    # the streamed loader reads the checkpoint target's seeds
    case $t in ckpt_load) seeds=ckpt ;; *) seeds=$t ;; esac
    cp "$S/tests/fuzz/corpus/$seeds/"* "$work/corpus_$t/"
    echo "run_fuzz: fuzz_$t for ${secs}s"
    # shellcheck disable=SC2046
    if ! OPENBLAS_NUM_THREADS=1 ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1" "$work/fuzz_$t" -max_total_time="$secs" $(target_opts "$t") \
        -print_final_stats=1 -artifact_prefix="$work/crash_$t-" "$work/corpus_$t" \
        >"$work/log_$t" 2>&1; then
        echo "run_fuzz: fuzz_$t FAILED; last lines:" >&2
        tail -40 "$work/log_$t" >&2
        for f in "$work"/crash_"$t"-*; do
            [ -f "$f" ] && cp "$f" "$RL_BUILD/" &&
                echo "run_fuzz: input kept: $RL_BUILD/$(basename "$f")" >&2
        done
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$work/log_$t" | tail -2
    fi
done
exit $status
