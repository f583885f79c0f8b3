#!/usr/bin/env bash
# Builds with optimisation and runs the benchmarks against a throw-away PostgreSQL 15
# (or an empty database named by CRYPTOERD_BENCH_DSN). Prints Markdown rows for
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh

cerd_install_packages
cerd_install_packages "${CERD_PACKAGES_BENCH[@]}"
CMAKE_BUILD_TYPE=Release cerd_build build-bench -DBUILD_TESTING=OFF

bench() {
    echo "| workload | libcryptoerd (wall) | libpq (wall) | ratio | libcryptoerd (client CPU) | libpq (client CPU) | ratio |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    ./build-bench/bench/bench_typed_api ${CRYPTOERD_BENCH_DSN:+"$CRYPTOERD_BENCH_DSN"}
    echo
    echo "Connection pool against libzdb:"
    ./build-bench/bench/bench_pool ${CRYPTOERD_BENCH_DSN:+"$CRYPTOERD_BENCH_DSN"}
    echo
    echo "Python binding against psycopg 3 and asyncpg:"
    CRYPTOERD_LIBRARY="$PWD/build-bench/libcryptoerd.so" /usr/bin/python3 bench/python/bench_python.py
}
echo "Validation (no server):"
./build-bench/bench/bench_validate
export -f bench
cerd_with_postgres CRYPTOERD_BENCH_DSN bash -c bench
