// Package bench compares the Go binding with pgx v4 (Debian's
// golang-github-jackc-pgx-v4-dev) on the same server in the same run. Its benchmarks
// build only with the tag pgxbench in GOPATH mode, where pgx is found: the module of
// bindings/go has no requirements and downloads nothing. Run scripts/go_bench.sh.
package bench
