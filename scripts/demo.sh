#!/usr/bin/env bash
# The main job: a throw-away PostgreSQL 15 (or the server in CRYPTOERD_DSN), the schema
# migrated by the library, the quickstart example run, and a summary of what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh

cerd_install_packages
cerd_build build

demo() {
    # libpq reads CRYPTOERD_DSN through the quickstart; psql gets the same string.
    ./build/examples/quickstart ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"}
    cerd_log "schema summary"
    psql -X -v ON_ERROR_STOP=1 ${CRYPTOERD_DSN:+"$CRYPTOERD_DSN"} -f scripts/schema_summary.sql
}
export -f demo cerd_log
cerd_with_postgres CRYPTOERD_DSN bash -c demo
