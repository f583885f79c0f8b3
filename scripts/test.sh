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

# The Python binding: Debian's interpreter (whose packages cerd_install_packages installed,
# not another python3 on the PATH); its examples type-check under mypy --strict.
CERD_PYTHON=/usr/bin/python3
cerd_log "Python binding and examples under mypy --strict"
PYTHONPATH="$PWD/bindings/python" "$CERD_PYTHON" -m mypy --strict --no-incremental \
    bindings/python/cryptoerd examples/python/*.py

# The same tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
cerd_build build-asan -DCERD_WERROR=ON -DBUILD_TESTING=ON -DCERD_BUILD_EXAMPLES=OFF \
    -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# The pool's tests (label pool) once more under ThreadSanitizer: only their targets.
cerd_log "building in build-tsan (the pool's tests under ThreadSanitizer)"
cmake -S . -B build-tsan -DCERD_WERROR=ON -DBUILD_TESTING=ON -DCERD_BUILD_EXAMPLES=OFF \
    -DCERD_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" >/dev/null
cmake --build build-tsan -j"$(nproc)" --target cerd_pool_tests

run_suites() {
    # (bash -c runs this in a new shell, which does not inherit set -e)
    set -euo pipefail
    # Two PgBouncers on loopback in front of the server (transaction and session pooling,
    # stopped when this shell exits): the tests labelled pgbouncer run through them.
    . scripts/lib/pgbouncer.sh
    cerd_log "PgBouncer"
    cerd_pgbouncer_start
    cerd_log "ctest"
    ctest --test-dir build --output-on-failure
    # pytest's exit status 5 (no tests collected) fails here like any other non-zero one.
    cerd_log "Python binding (pytest against the real server)"
    local rc=0
    CRYPTOERD_LIBRARY="$PWD/build/libcryptoerd.so" PYTHONPATH="$PWD/bindings/python" \
        "$CERD_PYTHON" -m pytest -q -p no:cacheprovider bindings/python/tests || rc=$?
    if [ "$rc" -ne 0 ]; then
        [ "$rc" -ne 5 ] || echo "pytest collected no tests" >&2
        return "$rc"
    fi
    # Two small suites of the normal (optimised) build under Valgrind's memcheck: reads
    # of uninitialised memory that the sanitizers do not see, and definite leaks.
    local t
    for t in test_stmt_cache test_types; do
        cerd_log "$t under valgrind"
        valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
            "build/tests/$t"
    done
    # (the packaging test links outside programs against the library: not with ASan; the
    # suites run a second time through PgBouncer add no code path the sanitizers would
    # see differently: once, in the normal build)
    cerd_log "ctest under ASan/UBSan"
    ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure \
        -LE 'packaging|pgbouncer|slow'
    cerd_log "the pool through PgBouncer under ASan/UBSan"
    ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure \
        -R '^test_pool_pgbouncer$'
    cerd_log "pool tests under ThreadSanitizer"
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        ctest --test-dir build-tsan --output-on-failure -L pool
    cerd_log "Go binding (go test ./..., the pool's package with -race)"
    ./scripts/go_test.sh build
}
export CERD_PYTHON
export -f run_suites cerd_log
cerd_with_postgres CRYPTOERD_TEST_DSN bash -c run_suites

# Every libFuzzer target, briefly (the long runs are reported in the issues' notes).
cerd_log "fuzz targets, ${CERD_FUZZ_SECONDS:-20} s each"
CERD_FUZZ_SECONDS=${CERD_FUZZ_SECONDS:-20} ./scripts/fuzz.sh
