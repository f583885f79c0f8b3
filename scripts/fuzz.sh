#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) and runs each for a while from its
# committed seed corpus (fuzz/corpus/<target without fuzz_>/), on a scratch copy so the
# committed seeds stay as they are. Exits non-zero on the first crash, leak or timeout.
#   CERD_FUZZ_SECONDS   seconds per target (default 30; CI uses a short run, the long
#                       runs before resolving an issue use 600)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${CERD_FUZZ_SECONDS:-30}
build=build-fuzz

CC=clang cmake -S . -B "$build" -DCERD_BUILD_FUZZ=ON -DBUILD_TESTING=OFF \
    -DCERD_BUILD_EXAMPLES=OFF -DCERD_BUILD_BENCH=OFF -DCERD_BUILD_GENERATOR=OFF >/dev/null
targets=$(sed -n 's/^.*add_executable(\(fuzz_[a-z_]*\).*/\1/p; s/^foreach(target \(.*\))$/\1/p' \
          fuzz/CMakeLists.txt | tr ' ' '\n' | grep '^fuzz_' | sort -u)
cmake --build "$build" -j"$(nproc)" --target $targets >/dev/null

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in $targets; do
    corpus=fuzz/corpus/${t#fuzz_}
    mkdir -p "$scratch/$t"
    [ -d "$corpus" ] && cp -r "$corpus"/. "$scratch/$t"/
    printf '\n==> %s for %ss\n' "$t" "$seconds"
    (cd "$scratch" && "$OLDPWD/$build/fuzz/$t" -max_total_time="$seconds" -max_len=4096 \
        -timeout=10 -print_final_stats=1 "$scratch/$t" 2>&1 | grep -E '^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' ) \
        || { echo "fuzz: $t failed" >&2; exit 1; }
done
