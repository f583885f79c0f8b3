#!/usr/bin/env bash
# Runs the Go binding's tests (bindings/go) against the library of a build tree and the
# server libpq's PG* variables name (run it inside pg_virtualenv, as scripts/test.sh does).
# Standard library only: no module is downloaded (GOPROXY=off). cgo's pointer checks are
# on (GODEBUG=cgocheck=1; Go 1.19 has no GOEXPERIMENT=cgocheck2, which came with Go 1.21).
# The pool's package runs again under the race detector.
#
# usage: scripts/go_test.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
export PKG_CONFIG_PATH="$build/pkgconfig-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export GOPROXY=off GOFLAGS=-mod=readonly GODEBUG=cgocheck=1 CGO_ENABLED=1
export GOCACHE="${GOCACHE:-$build/go-cache}"
cd bindings/go
# every Go file gofmt-clean, the generated ones (tools/cerdgen) too
unformatted=$(gofmt -l . ../../examples/go)
if [ -n "$unformatted" ]; then
    echo "go_test: not gofmt-clean:" $unformatted >&2
    exit 1
fi
go vet ./...
go test -count=1 ./...
go test -count=1 -race ./internal/pooltest
# the example program builds, and runs against a database of its own (on the server of
# the PG* environment: not with CRYPTOERD_TEST_DSN)
cd ../../examples/go
go vet .
go build -o "$build/go-example" .
if [ -z "${CRYPTOERD_TEST_DSN:-}" ]; then
    dropdb --if-exists cerd_go_example
    createdb cerd_go_example
    "$build/go-example" "dbname=cerd_go_example"
    dropdb cerd_go_example
fi
