#!/usr/bin/env bash
# The main job: a throw-away PostgreSQL 15 (or the server in CRYPTOERD_DSN), the schema
# migrated and the default scenario seeded by the `cryptoerd` command (rows per table and a
# sample chart range of it shown), the quickstart example run, 200,000 generated candles ingested
# through the COPY writer (examples/ingest.c, showing the rate it reached), a chart's range
# read of them (examples/chart_range.c), and a summary of what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh

# Only what the demo needs: the library and the examples, and PostgreSQL.
cerd_install_packages "${CERD_PACKAGES_BUILD[@]}" "${CERD_PACKAGES_SERVER[@]}"
cerd_log "building the examples in build-demo"
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
    -DCERD_BUILD_BENCH=OFF -DCERD_BUILD_GENERATOR=OFF >/dev/null
cmake --build build-demo -j"$(nproc)" --target cryptoerd_cli quickstart ingest chart_range

SAMPLE_ROWS=200000
SAMPLE_START=2026-01-01T00:00:00Z
export SAMPLE_ROWS SAMPLE_START

demo() {
    # (bash -c runs this in a new shell, which does not inherit set -e)
    set -euo pipefail
    local cli=./build-demo/tools/cryptoerd/cryptoerd
    cerd_log "cryptoerd migrate, then seed --preset demo (the default scenario)"
    "$cli" migrate ${CRYPTOERD_DSN:+--dsn "$CRYPTOERD_DSN"}
    if [ "$(psql -X -At ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"} -c 'SELECT count(*) FROM assets')" = 0 ]; then
        "$cli" seed --preset demo ${CRYPTOERD_DSN:+--dsn "$CRYPTOERD_DSN"}
    else
        echo "(the database already holds assets: not seeded again)"
    fi
    cerd_log "rows per table"
    psql -X -v ON_ERROR_STOP=1 ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"} -f scripts/table_counts.sql
    cerd_log "a sample chart range of the seeded candles: ETH, 1h, the last six hours of 2024"
    ./build-demo/examples/chart_range ETH 1h 2024-12-31T18:00:00Z 2025-01-01T00:00:00Z \
        ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"}

    # libpq reads CRYPTOERD_DSN through the quickstart; psql gets the same string.
    cerd_log "quickstart"
    ./build-demo/examples/quickstart ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"}

    cerd_log "ingest: $SAMPLE_ROWS one-minute BTC candles from a CSV file, one binary COPY"
    ./build-demo/examples/ingest --sample "$SAMPLE_ROWS" "$SAMPLE_START" BTC >build-demo/candles.csv
    head -3 build-demo/candles.csv
    # Against a kept database (CRYPTOERD_DSN), a second run replaces the demo's own sample:
    # COPY only inserts, and the candles' unique key would refuse them.
    psql -X -q -v ON_ERROR_STOP=1 ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"} -c \
        "DELETE FROM price_data WHERE timeframe = '1m' AND candle_time >= '$SAMPLE_START'
           AND asset_id = (SELECT id FROM assets WHERE symbol = 'BTC')
           AND candle_time < timestamptz '$SAMPLE_START' + $SAMPLE_ROWS * interval '1 minute'"
    ./build-demo/examples/ingest build-demo/candles.csv ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"}

    cerd_log "chart_range: the first half hour of them, oldest first"
    ./build-demo/examples/chart_range BTC 1m "$SAMPLE_START" 2026-01-01T00:30:00Z \
        ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"}
    cerd_log "schema summary"
    psql -X -v ON_ERROR_STOP=1 ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"} -f scripts/schema_summary.sql
}
export -f demo cerd_log
cerd_with_postgres CRYPTOERD_DSN bash -c demo
