#!/usr/bin/env bash
# The main job: a throw-away PostgreSQL 15 (or the server in CRYPTOERD_DSN), the schema
# migrated by the library, the quickstart example run, and a summary of what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh

# Only what the demo needs: the library and the quickstart, and PostgreSQL.
cerd_install_packages "${CERD_PACKAGES_BUILD[@]}" "${CERD_PACKAGES_SERVER[@]}"
cerd_log "building the quickstart in build-demo"
cmake -S . -B build-demo -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
    -DCERD_BUILD_BENCH=OFF -DCERD_BUILD_GENERATOR=OFF >/dev/null
cmake --build build-demo -j"$(nproc)" --target quickstart

demo() {
    # (bash -c runs this in a new shell, which does not inherit set -e)
    set -euo pipefail
    # libpq reads CRYPTOERD_DSN through the quickstart; psql gets the same string.
    ./build-demo/examples/quickstart ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"}
    cerd_log "schema summary"
    psql -X -v ON_ERROR_STOP=1 ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"} -f scripts/schema_summary.sql
}
export -f demo cerd_log
cerd_with_postgres CRYPTOERD_DSN bash -c demo
