#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite against a real
# PostgreSQL 15: a throw-away cluster, or the server in CRYPTOERD_TEST_DSN when set.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh

cerd_install_packages
cerd_build build -DCERD_WERROR=ON -DBUILD_TESTING=ON
cerd_log "API docs (Doxygen, warnings are errors)"
cmake --build build --target docs

# The same tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
cerd_build build-asan -DCERD_WERROR=ON -DBUILD_TESTING=ON -DCERD_BUILD_EXAMPLES=OFF \
    -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

run_suites() {
    cerd_log "ctest"
    ctest --test-dir build --output-on-failure
    # (the packaging test links outside programs against the library: not with ASan)
    cerd_log "ctest under ASan/UBSan"
    ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -LE packaging
}
export -f run_suites cerd_log
cerd_with_postgres CRYPTOERD_TEST_DSN bash -c run_suites
