#!/usr/bin/python3
"""Bulk and streaming benchmarks (issue 10), run by scripts/bench.sh.

    bulk_bench.py --bench-bulk PATH --pgx PATH [--rows N] [--insert-rows N] [--upserts N]
                  [--stream-rows N] [--rounds N] [--workdir DIR]

Every measurement is one run of a client program that prints a JSON object (rows, wall,
cpu, maxrss_kib): bench/bench_bulk.c (libcryptoerd and hand-written libpq), bench/pgx
(pgx v4), bench/py_bench.py (asyncpg, psycopg 3); psql's \\copy is timed from here
(wall: the child's life; cpu: getrusage(RUSAGE_CHILDREN)). The contenders of one workload
take turns, the order rotating each round; medians, min and max of the rounds are printed
as Markdown for docs/benchmarks.md. Untimed between runs: TRUNCATE + CHECKPOINT (loads),
VACUUM (upserts). The server: $CRYPTOERD_BENCH_DSN, else the PG* environment.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

COLUMNS = ("id, asset_id, timeframe, open_price, high_price, low_price, close_price, volume,"
           " market_cap, trade_count, vwap, technical_indicators, candle_time, is_validated,"
           " created_at, updated_at")
DSN = os.environ.get("CRYPTOERD_BENCH_DSN", "")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def psql(sql, capture=False):
    cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    if DSN:
        cmd.append(DSN)
    out = subprocess.run(cmd + ["-c", sql], check=True, capture_output=True, text=True)
    return out.stdout.strip()


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    lines = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise SystemExit("no measurement from %s: %s" % (cmd, out.stderr))
    return lines


def run_psql_copy(binfile):
    """psql -c '\\copy ... (format binary)': the server's ceiling for this load."""
    cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + ([DSN] if DSN else []) + [
        "-c", "\\copy price_data (%s) from '%s' (format binary)" % (COLUMNS, binfile)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"what": "psql", "rows": None, "wall": wall, "cpu": cpu,
            "maxrss_kib": after.ru_maxrss}


class Stats:
    def __init__(self):
        self.runs = {}

    def add(self, name, m):
        self.runs.setdefault(name, []).append(m)
        log("  %-14s %8.3f s wall %8.3f s cpu  rss %d KiB" % (name, m["wall"], m["cpu"],
                                                            m["maxrss_kib"]))

    def med(self, name, key="wall"):
        return statistics.median(m[key] for m in self.runs[name])

    def row(self, name, label, rows):
        w = [m["wall"] for m in self.runs[name]]
        c = self.med(name, "cpu")
        return "| %s | %.2f s | %.2f–%.2f s | %s | %.2f µs |" % (
            label, statistics.median(w), min(w), max(w),
            "{:,.0f}".format(rows / statistics.median(w)), c / rows * 1e6)


def verdict(ok):
    return "met" if ok else "**NOT met**"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-bulk", required=True)
    ap.add_argument("--pgx", required=True)
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--insert-rows", type=int, default=0,
                    help="rows of the row-at-a-time insert (default: --rows)")
    ap.add_argument("--upserts", type=int, default=100000)
    ap.add_argument("--batch", type=int, default=10000)
    ap.add_argument("--stream-rows", type=int, default=10000000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workdir", default="build-bench/bulk-data")
    ap.add_argument("--only", default="load,upsert,range,stream")
    ap.add_argument("--loaders", default="", help="comma-separated subset (for experiments)")
    a = ap.parse_args()
    only = set(a.only.split(","))
    py = os.path.join(os.path.dirname(os.path.abspath(__file__)), "py_bench.py")
    bb, N = a.bench_bulk, a.rows
    insert_rows = a.insert_rows or N
    os.makedirs(a.workdir, exist_ok=True)
    tsv = os.path.abspath(os.path.join(a.workdir, "candles.tsv"))
    binf = os.path.abspath(os.path.join(a.workdir, "candles.bin"))
    stats = Stats()
    out = []

    log("bulk: load average %s" % open("/proc/loadavg").read().split()[:3])
    subprocess.run([bb, "migrate"], check=True)
    psql("INSERT INTO assets (id, symbol, name, asset_type, quote_currency)"
         " SELECT g, 'BULK' || g, 'Bulk benchmark asset ' || g, 'crypto', 'USDT'"
         " FROM generate_series(1, %d) g ON CONFLICT DO NOTHING"
         % max(1, -(-a.stream_rows // N)))
    # the data, generated once (untimed): COPY text for the clients, binary for psql
    log("bulk: generating %d candles" % N)
    subprocess.run([bb, "gen", tsv, str(N)], check=True)
    psql("TRUNCATE price_data")
    psql("\\copy price_data (%s) from '%s'" % (COLUMNS, tsv))
    psql("\\copy (SELECT %s FROM price_data ORDER BY id) to '%s' (format binary)"
         % (COLUMNS, binf))

    def fresh():
        psql("TRUNCATE price_data")
        psql("CHECKPOINT")

    def count():
        return int(psql("SELECT count(*) FROM price_data"))

    loaders = {
        "cerd-copy": lambda: run_json([bb, "load-copy", tsv])[0],
        "psql": lambda: run_psql_copy(binf),
        "pgx": lambda: run_json([a.pgx, "load", tsv])[0],
        "asyncpg": lambda: run_json([py, "asyncpg", tsv])[0],
        "psycopg": lambda: run_json([py, "psycopg", tsv])[0],
        "cerd-insert": lambda: run_json([bb, "load-insert", tsv, str(insert_rows)])[0],
    }
    if "load" in only and a.loaders:
        names = a.loaders.split(",")
        for r in range(a.rounds):
            for name in names[r % len(names):] + names[:r % len(names)]:
                fresh()
                stats.add(name, loaders[name]())
        return
    if "load" in only:
        names = list(loaders)
        for r in range(a.rounds):
            log("bulk: load round %d" % r)
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                fresh()
                m = loaders[name]()
                expect = insert_rows if name == "cerd-insert" else N
                got = count()
                if got != expect:
                    raise SystemExit("%s loaded %d rows, expected %d" % (name, got, expect))
                stats.add(name, m)
        S = stats
        out.append("Load of %s candles (16 columns, 7 numerics) into the empty, indexed, "
                   "partitioned price_data; %d rounds, medians:\n" % ("{:,}".format(N), a.rounds))
        out.append("| client | wall (median) | wall (min–max) | rows/s | client CPU per row |")
        out.append("| --- | --- | --- | --- | --- |")
        labels = {"cerd-copy": "libcryptoerd COPY writer", "psql": "psql \\copy (format binary)",
                  "pgx": "pgx v4 CopyFrom", "asyncpg": "asyncpg copy_records_to_table",
                  "psycopg": "psycopg 3 cursor.copy() write_row",
                  "cerd-insert": "libcryptoerd row-at-a-time insert, one transaction"}
        for name in names:
            rows = insert_rows if name == "cerd-insert" else N
            out.append(S.row(name, labels[name] + ("" if rows == N else
                                                    " (%s rows)" % "{:,}".format(rows)), rows))
        cw, cc = S.med("cerd-copy"), S.med("cerd-copy", "cpu")
        thr = lambda n, rows=N: rows / S.med(n)
        out.append("")
        out.append("| goal | measured | |")
        out.append("| --- | --- | --- |")
        ratio = thr("cerd-copy") / thr("psql")
        out.append("| COPY writer throughput ≥ 0.95x psql \\copy binary | %.3fx | %s |"
                   % (ratio, verdict(ratio >= 0.95)))
        for peer in ("pgx", "asyncpg", "psycopg"):
            r_ = cw / S.med(peer)
            out.append("| wall ≤ %s | %.3fx of its wall | %s |" % (labels[peer], r_,
                                                                     verdict(r_ <= 1.0)))
        for peer, frac in (("pgx", 1), ("asyncpg", 3), ("psycopg", 5)):
            r_ = cc / S.med(peer, "cpu")
            goal = "≤ %s's" % peer if frac == 1 else "≤ 1/%d of %s's" % (frac, peer)
            out.append("| client CPU per row %s | %.3fx of its CPU (limit %.3f) | %s |"
                       % (goal, r_, 1 / frac, verdict(r_ <= 1 / frac)))
        f = thr("cerd-copy") / thr("cerd-insert", insert_rows)
        out.append("| COPY writer vs row-at-a-time insert (report) | %.1fx the rows/s | — |" % f)
        out.append("")
        print("\n".join(out), flush=True)
        out = []

    if "upsert" in only:
        if count() != N:
            fresh()
            psql("\\copy price_data (%s) from '%s' (format binary)" % (COLUMNS, binf))
        psql("VACUUM ANALYZE price_data")
        ups = {
            "cerd-batch": lambda: run_json([bb, "upsert-batch", tsv, str(a.upserts),
                                            str(a.batch)])[0],
            "cerd-single": lambda: run_json([bb, "upsert-single", tsv, str(a.upserts)])[0],
            "pgx-batch": lambda: run_json([a.pgx, "upsert", tsv, str(a.upserts),
                                           str(a.batch)])[0],
        }
        names = list(ups)
        for r in range(a.rounds):
            log("bulk: upsert round %d" % r)
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                stats.add(name, ups[name]())
                psql("VACUUM price_data")
        U = a.upserts
        out.append("%s upserts of existing candles on (asset_id, timeframe, candle_time), "
                   "each returning the stored row, in one transaction; batches of %s; "
                   "%d rounds:\n" % ("{:,}".format(U), "{:,}".format(a.batch), a.rounds))
        out.append("| client | wall (median) | wall (min–max) | rows/s | client CPU per row |")
        out.append("| --- | --- | --- | --- | --- |")
        out.append(stats.row("cerd-batch", "libcryptoerd cerd_batch_upsert (pipelined, atomic)", U))
        out.append(stats.row("cerd-single", "libcryptoerd cerd_row_upsert one at a time", U))
        out.append(stats.row("pgx-batch", "pgx v4 SendBatch", U))
        b = stats.med("cerd-batch")
        r1 = stats.med("cerd-single") / b
        r2 = stats.med("pgx-batch") / b
        out.append("")
        out.append("| goal | measured | |")
        out.append("| --- | --- | --- |")
        out.append("| pipelined batch ≥ 5x one at a time | %.2fx | %s |" % (r1, verdict(r1 >= 5)))
        out.append("| pipelined batch ≥ 1.0x pgx SendBatch | %.3fx | %s |" % (r2, verdict(r2 >= 1.0)))
        out.append("")
        print("\n".join(out), flush=True)
        out = []

    if "range" in only:
        if count() < N:
            raise SystemExit("range: the table should hold the loaded candles")
        psql("VACUUM ANALYZE price_data")
        log("bulk: range reads")
        for m in run_json([bb, "range", str(a.rounds)]):
            stats.add(m["what"], m)
        out.append("Range read of %s candles of one asset (asset 1, 1m, [2025-01-01, "
                   "2100-01-01), oldest first) into structs, keyset pages of 10,000; %d rounds, "
                   "alternating, in one process:\n" % ("{:,}".format(N), a.rounds))
        out.append("| client | wall (median) | wall (min–max) | rows/s | client CPU per row |")
        out.append("| --- | --- | --- | --- | --- |")
        out.append(stats.row("range-lib", "libcryptoerd cerd_row_range", N))
        out.append(stats.row("range-libpq", "hand-written libpq (prepared, binary)", N))
        r_ = stats.med("range-libpq") / stats.med("range-lib")
        out.append("")
        out.append("| goal | measured | |")
        out.append("| --- | --- | --- |")
        out.append("| range read ≥ 0.95x hand-written libpq throughput | %.3fx | %s |"
                   % (r_, verdict(r_ >= 0.95)))
        out.append("")
        print("\n".join(out), flush=True)
        out = []

    if "stream" in only:
        SR = a.stream_rows
        copies = -(-SR // N)
        have = count()
        if have != copies * N:
            log("bulk: filling price_data to %d rows (untimed)" % (copies * N))
            t0 = time.perf_counter()
            psql("DELETE FROM price_data WHERE asset_id <> 1")
            if copies > 1:
                psql("INSERT INTO price_data (%s) SELECT p.id + (a - 1) * %d, a, timeframe,"
                     " open_price, high_price, low_price, close_price, volume, market_cap,"
                     " trade_count, vwap, technical_indicators, candle_time, is_validated,"
                     " created_at, updated_at FROM price_data p, generate_series(2, %d) a"
                     " WHERE p.asset_id = 1" % (COLUMNS, N, copies))
            psql("VACUUM ANALYZE price_data")
            log("bulk: filled in %.0f s" % (time.perf_counter() - t0))
        SR = copies * N
        names = ["stream-lib", "stream-libpq"]
        for r in range(a.rounds):
            log("bulk: stream round %d" % r)
            for name in (names if r % 2 == 0 else names[::-1]):
                stats.add(name, run_json([bb, name, str(SR)])[0])
        out.append("Stream of the whole price_data table, %s rows, primary-key order, "
                   "cursor FETCH of 1,000 (each its own process, peak RSS by getrusage "
                   "ru_maxrss); %d rounds:\n" % ("{:,}".format(SR), a.rounds))
        out.append("| client | wall (median) | wall (min–max) | rows/s | client CPU per row "
                   "| peak RSS (max of rounds) |")
        out.append("| --- | --- | --- | --- | --- | --- |")
        for name, label in (("stream-lib", "libcryptoerd cerd_stream_*"),
                            ("stream-libpq", "hand-written libpq cursor FETCH")):
            rss = max(m["maxrss_kib"] for m in stats.runs[name])
            out.append(stats.row(name, label, SR) + " %.1f MiB |" % (rss / 1024))
        rss = max(m["maxrss_kib"] for m in stats.runs["stream-lib"]) / 1024
        r_ = stats.med("stream-libpq") / stats.med("stream-lib")
        out.append("")
        out.append("| goal | measured | |")
        out.append("| --- | --- | --- |")
        out.append("| stream peak RSS < 64 MiB | %.1f MiB | %s |" % (rss, verdict(rss < 64)))
        out.append("| stream throughput ≥ 0.9x hand-written libpq | %.3fx | %s |"
                   % (r_, verdict(r_ >= 0.9)))
        out.append("")
        print("\n".join(out), flush=True)
    log("bulk: load average at the end %s" % open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
