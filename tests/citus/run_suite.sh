#!/usr/bin/env bash
# ctest label citus: runs one suite against a real Citus cluster. CRYPTOERD_CITUS_DSN names
# the coordinator's database (citus installed, workers registered); the suite runs there
# with CRYPTOERD_TEST_REUSE_DB=1 after a fresh migrate + distribute (citus_prepare).
# Without CRYPTOERD_CITUS_DSN, or without the extension there, exits 77: ctest reports the
# test as skipped, never as passed.
# Usage: run_suite.sh PREPARE_PROGRAM SUITE_PROGRAM
set -uo pipefail
prepare=$1 suite=$2
if [ -z "${CRYPTOERD_CITUS_DSN:-}" ]; then
    echo "citus: CRYPTOERD_CITUS_DSN is not set: skipped"
    exit 77
fi
export CRYPTOERD_TEST_DSN=$CRYPTOERD_CITUS_DSN CRYPTOERD_TEST_REUSE_DB=fresh
"$prepare" || exit $?
exec "$suite"
