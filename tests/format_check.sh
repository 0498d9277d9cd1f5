#!/bin/sh
# format_check.sh - every tracked C source and header is as clang-format (.clang-format) writes
# it. Fix with `make format`. Skips (exit 77) only when clang-format is not installed;
# scripts/deps.sh installs it.
set -eu
: "${RL_SRC:?}"
cd "$RL_SRC"
if ! command -v clang-format >/dev/null 2>&1; then
    echo "format_check: SKIPPED: clang-format not installed (scripts/deps.sh installs it)" >&2
    exit 77
fi
if [ -d .git ] || [ -f .git ]; then
    files=$(git ls-files '*.c' '*.h')
else
    files=$(find . -path ./build -prune -o -path ./build-asan -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
# two at a time, as the rest of the suite runs (ctest -j2)
if ! printf '%s\n' $files | xargs -P 2 -n 25 clang-format --dry-run -Werror; then
    echo "format_check: the files above differ from clang-format's output; run make format" >&2
    exit 1
fi
echo "format_check: $(echo "$files" | wc -l) files formatted ($(clang-format --version | head -1))"
