#!/usr/bin/env bash
# Builds with optimisation and runs the benchmarks against a throw-away PostgreSQL 15
# (or an empty database named by CRYPTOERD_BENCH_DSN). Prints Markdown rows for
# docs/benchmarks.md.
#
# The bulk benchmarks (bench/bulk_bench.py: COPY, batches, ranges, streams against psql,
# hand-written libpq, pgx, asyncpg and psycopg) take their sizes from the environment.
# The defaults are what fits in about 12 minutes on the shared 2-core machine
# (docs/benchmarks.md); the sizes issue 10 names are in parentheses:
#   CERD_BENCH_BULK_ROWS         candles loaded and range-read  200000   (1000000)
#   CERD_BENCH_BULK_INSERT_ROWS  row-at-a-time insert           50000    (1000000)
#   CERD_BENCH_BULK_UPSERTS      upserts                        20000    (100000)
#   CERD_BENCH_BULK_STREAM_ROWS  rows streamed                  1000000  (10000000)
#   CERD_BENCH_BULK_ROUNDS       rounds (medians)               3        (5)
# CERD_BENCH_BULK_ONLY=1 runs only them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh

cerd_install_packages "${CERD_PACKAGES[@]}" "${CERD_PACKAGES_BENCH[@]}"
CMAKE_BUILD_TYPE=Release cerd_build build-bench -DBUILD_TESTING=OFF

# pgx v4 from Debian's packaged sources, offline: GOPATH mode (no modules, no proxy).
cerd_log "building bench/pgx with $(go version | cut -d' ' -f3) and pgx $(dpkg-query -W -f='${Version}' golang-github-jackc-pgx-v4-dev)"
(cd bench/pgx && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= \
    GOCACHE="$PWD/../../build-bench/go-cache" go build -o ../../build-bench/bench/pgx_bench .)

bulk() {
    set -euo pipefail
    /usr/bin/python3 bench/bulk_bench.py --bench-bulk build-bench/bench/bench_bulk \
        --pgx build-bench/bench/pgx_bench --workdir build-bench/bulk-data \
        --rows "${CERD_BENCH_BULK_ROWS:-200000}" \
        --insert-rows "${CERD_BENCH_BULK_INSERT_ROWS:-50000}" \
        --upserts "${CERD_BENCH_BULK_UPSERTS:-20000}" \
        --stream-rows "${CERD_BENCH_BULK_STREAM_ROWS:-1000000}" \
        --rounds "${CERD_BENCH_BULK_ROUNDS:-3}"
}
bench() {
    echo "| workload | libcryptoerd (wall) | libpq (wall) | ratio | libcryptoerd (client CPU) | libpq (client CPU) | ratio |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    ./build-bench/bench/bench_typed_api ${CRYPTOERD_BENCH_DSN:+"$CRYPTOERD_BENCH_DSN"}
    echo
    echo "Typed queries against hand-written libpq (wall: median (min-max)):"
    echo "| workload | libcryptoerd (wall) | libpq (wall) | ratio | libcryptoerd (client CPU) | libpq (client CPU) | ratio |"
    echo "| --- | --- | --- | --- | --- | --- | --- |"
    ./build-bench/bench/bench_queries ${CRYPTOERD_BENCH_DSN:+"$CRYPTOERD_BENCH_DSN"}
    echo
    echo "Connection pool against libzdb:"
    ./build-bench/bench/bench_pool ${CRYPTOERD_BENCH_DSN:+"$CRYPTOERD_BENCH_DSN"}
    echo
    echo "Bulk and streaming paths:"
    bulk
    echo
    echo "Python binding against psycopg 3 and asyncpg:"
    CRYPTOERD_LIBRARY="$PWD/build-bench/libcryptoerd.so" /usr/bin/python3 bench/python/bench_python.py
}
export -f bench bulk
# The throw-away cluster runs with max_wal_size=8GB: a 1,000,000-row COPY into price_data
# writes about 0.5 GB of WAL, so with the default 1 GB a checkpoint would start inside some
# timed COPYs and not others; the COPY benchmarks also CHECKPOINT (untimed) before each
# timed COPY (docs/benchmarks.md). A server given by CRYPTOERD_BENCH_DSN keeps its own.
# shared_buffers=1GB holds price_data and its 7 indexes after 1,000,000 rows: with the
# default 128 MB the backend evicts and writes dirty index pages itself during the COPY and
# the server's CPU per COPY doubled for some connections and not others (docs/benchmarks.md).
with_postgres() {
    if [ -n "${CRYPTOERD_BENCH_DSN:-}" ]; then
        "$@"
    else
        cerd_log "starting a throw-away PostgreSQL 15 (pg_virtualenv, max_wal_size=8GB, shared_buffers=1GB)"
        pg_virtualenv -t -v 15 -o max_wal_size=8GB -o shared_buffers=1GB "$@"
    fi
}
if [ -n "${CERD_BENCH_BULK_ONLY:-}" ]; then
    with_postgres bash -c bulk
    exit
fi
echo "Validation (no server):"
./build-bench/bench/bench_validate
with_postgres bash -c bench
