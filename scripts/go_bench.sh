#!/usr/bin/env bash
# The Go binding against pgx v4 (Debian's golang-github-jackc-pgx-v4-dev), on a
# throw-away PostgreSQL 15 (or CRYPTOERD_TEST_DSN). pgx is used from Debian's GOPATH
# (/usr/share/gocode) in GOPATH mode, for the benchmark only: the module of bindings/go
# has no requirements and nothing is downloaded (GOPROXY=off).
#
# usage: scripts/go_bench.sh [BUILD_DIR] [go test flags...]
#   (default: build, -bench Interleaved: the two sides alternate, medians and ratios are
#   reported as metrics; -bench . -count=3 also runs the one-side-at-a-time benchmarks)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/setup.sh
cerd_install_packages golang-go "${CERD_PACKAGES_GO_BENCH[@]}"
build=$(cd "${1:-build}" && pwd)
shift || true
gopath="$build/go-bench-gopath"
link="$gopath/src/github.com/cryptoerd/libcryptoerd/bindings"
mkdir -p "$link"
ln -sfn "$PWD/bindings/go" "$link/go"
run() {
    set -euo pipefail
    cd "$GO_BENCH_DIR"
    GO111MODULE=off GOPATH="$GO_BENCH_GOPATH:/usr/share/gocode" GOPROXY=off \
        PKG_CONFIG_PATH="$GO_BENCH_PC" GOCACHE="$GO_BENCH_CACHE" \
        go test -tags pgxbench -timeout 0 -run "^$" -bench . -benchtime 1x "$@"
}
export -f run
export GO_BENCH_DIR="$link/go/bench" GO_BENCH_GOPATH="$gopath" \
    GO_BENCH_PC="$build/pkgconfig-uninstalled" GO_BENCH_CACHE="$build/go-cache"
[ $# -gt 0 ] || set -- -bench Interleaved
# The throw-away cluster runs with max_wal_size=8GB: one 1,000,000-row COPY into
# price_data writes about 0.5 GB of WAL, so with the default 1 GB a checkpoint would start
# inside some timed COPYs and not others (BenchmarkInterleavedCopy also runs CHECKPOINT
# before each one; docs/benchmarks.md). A server given by CRYPTOERD_TEST_DSN keeps its own
# setting (the benchmark logs it).
# shared_buffers=1GB holds price_data and its 7 indexes after 1,000,000 rows: with the
# default 128 MB the backend evicts and writes dirty index pages itself during the COPY and
# the server's CPU per COPY doubled for some connections and not others (docs/benchmarks.md).
if [ -n "${CRYPTOERD_TEST_DSN:-}" ]; then
    run "$@"
else
    cerd_log "starting a throw-away PostgreSQL 15 (pg_virtualenv, max_wal_size=8GB, shared_buffers=1GB)"
    pg_virtualenv -t -v 15 -o max_wal_size=8GB -o shared_buffers=1GB bash -c 'run "$@"' run "$@"
fi
