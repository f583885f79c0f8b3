#!/usr/bin/env python3
"""The Python binding against psycopg 3 and asyncpg, same run, same server, interleaved.

    CRYPTOERD_LIBRARY=build/libcryptoerd.so pg_virtualenv -t -v 15 \
        /usr/bin/python3 bench/python/bench_python.py [--rows N] [--lookups N] [--reps R] [--fresh [--history N]]

Workloads (the database is emptied and migrated by the binding first):
- lookups: N primary-key reads of assets, returning typed objects (the generated
  dataclass): cryptoerd ``db.assets.get(id)``; psycopg prepared, binary,
  ``class_row(Assets)``; asyncpg prepared ``fetchrow`` then ``Assets(**record)``.
- copy: N candles (PriceData objects, one list shared by all) loaded by COPY:
  cryptoerd ``db.price_data.copy(rows)``; psycopg ``cursor.copy(... FORMAT BINARY)``
  ``write_row``; asyncpg ``copy_records_to_table``; and the server's floor: the same rows
  as a ready binary COPY payload (8 columns, and the 12 cryptoerd sends) streamed by
  asyncpg. Before every COPY, untimed: TRUNCATE and CHECKPOINT (superuser), so each side
  starts from the same server state; run the cluster with a max_wal_size larger than one
  COPY's WAL (``pg_virtualenv -o max_wal_size=8GB -o shared_buffers=1GB``, as
  scripts/bench.sh does: the buffers hold the table and its indexes) so no
  checkpoint starts inside a timed COPY.
- read: N candles read as typed objects: cryptoerd ``stream()`` (server-side cursor);
  psycopg named (server-side) cursor, binary, ``class_row(PriceData)``; asyncpg cursor
  in a transaction, ``PriceData(**record)``.
Each workload runs ``reps`` rounds (default 5), every side once per round, the order
rotating every round and reversed every other round (per-round times and load averages go
to stderr); medians printed as
Markdown rows with ratios (>1: cryptoerd faster), and the median client CPU (this
process's user+system time: what each library costs on the client; the rest of the wall
time is the server's, shared by all three).
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, List

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bindings", "python"))

import asyncpg  # noqa: E402
import psycopg  # noqa: E402
from psycopg.rows import class_row  # noqa: E402

import cryptoerd  # noqa: E402
from cryptoerd.testing import make  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
CANDLE_COLS = [f.name for f in dataclasses.fields(cryptoerd.PriceData)]
COPY_COLS = ["asset_id", "timeframe", "open_price", "high_price", "low_price", "close_price",
             "volume", "candle_time"]
# what cryptoerd's writer sends for these rows: every column without a default
BINDING_COLS = COPY_COLS[:-1] + ["market_cap", "trade_count", "vwap", "technical_indicators",
                                 "candle_time"]


def candles(asset_id: int, n: int) -> List[cryptoerd.PriceData]:
    out = []
    for i in range(n):
        p = Decimal(30000 + i % 1000) + Decimal(i % 97) / 100
        out.append(cryptoerd.PriceData(asset_id=asset_id, timeframe="1m", open_price=p,
                                       high_price=p + 5, low_price=p - 5, close_price=p + 1,
                                       volume=Decimal("12.50"),
                                       candle_time=T0 + timedelta(minutes=i)))
    return out


def pg_dsn() -> str:
    return os.environ.get("CRYPTOERD_BENCH_DSN", "")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--lookups", type=int, default=100_000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="lookups,copy,read",
                    help="comma-separated workloads among lookups, copy, read")
    ap.add_argument("--no-floor", dest="floor", action="store_false",
                    help="leave out the COPY workload's server floor: the same rows as a ready "
                         "binary COPY payload (8 and 12 columns, exported by the server) sent by "
                         "asyncpg, interleaved with the three libraries")
    ap.add_argument("--floors", default="floor8,floor12",
                    help="which floors to run: floor8 (the 8 columns psycopg and asyncpg send), "
                         "floor12 (the 12 cryptoerd sends)")
    ap.add_argument("--fresh", action="store_true",
                    help="copy: a new connection (a new server backend) for every timed COPY of "
                         "cryptoerd, psycopg and asyncpg (the floors keep asyncpg's first one)")
    ap.add_argument("--history", type=int, default=0, metavar="N",
                    help="with --fresh: the new connection first runs k trivial queries, k "
                         "drawn from 0..N-1 (seeded) for every run; whether a backend's COPY "
                         "hits PostgreSQL's expensive state follows its session's history "
                         "(docs/benchmarks.md), so this gives every side independent draws")
    args = ap.parse_args()
    history = random.Random(20261207)
    only = set(args.only.split(","))

    db = cryptoerd.connect(pg_dsn())
    db.migrate()
    db.exec("TRUNCATE price_data, assets CASCADE")
    ids = [int(db.assets.insert(make(cryptoerd.Assets, s)).id or 0) for s in range(1, 201)]
    asset = ids[0]
    rows = candles(asset, args.rows)
    # one month of partitions per 43,200 minutes: created once up front
    db.price_data.copy(rows[:1], create_partitions=True)
    db.exec("TRUNCATE price_data")
    db.price_data.copy(rows, create_partitions=True)
    db.exec("TRUNCATE price_data")

    pconn = psycopg.connect(pg_dsn(), autocommit=True)
    loop = asyncio.new_event_loop()
    aconn = loop.run_until_complete(asyncpg.connect(pg_dsn() or None))
    lookup_ids = [ids[i % len(ids)] for i in range(args.lookups)]

    # ---------------------------------------------------------------- workloads
    def lk_cerd() -> None:
        get = db.assets.get
        for i in lookup_ids:
            get(i)

    def lk_psycopg() -> None:
        cur = pconn.cursor(binary=True, row_factory=class_row(cryptoerd.Assets))
        q = "SELECT * FROM assets WHERE id = %s"
        for i in lookup_ids:
            cur.execute(q, (i,), prepare=True)
            cur.fetchone()

    def lk_asyncpg() -> None:
        async def run() -> None:
            st = await aconn.prepare("SELECT * FROM assets WHERE id = $1")
            for i in lookup_ids:
                r = await st.fetchrow(i)
                cryptoerd.Assets(**dict(r.items()))
        loop.run_until_complete(run())

    # the connections the COPY sides use (replaced before each timed COPY with --fresh)
    conns: Dict[str, Any] = {"cryptoerd": db, "psycopg": pconn, "asyncpg": aconn}

    def cp_cerd() -> None:
        conns["cryptoerd"].price_data.copy(rows)

    def cp_psycopg() -> None:
        with conns["psycopg"].cursor() as cur:
            with cur.copy(f"COPY price_data ({', '.join(COPY_COLS)}) FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(["int8", "varchar", "numeric", "numeric", "numeric", "numeric",
                              "numeric", "timestamptz"])
                for r in rows:
                    cp.write_row((r.asset_id, r.timeframe, r.open_price, r.high_price,
                                  r.low_price, r.close_price, r.volume, r.candle_time))

    def cp_asyncpg() -> None:
        recs = ((r.asset_id, r.timeframe, r.open_price, r.high_price, r.low_price,
                 r.close_price, r.volume, r.candle_time) for r in rows)
        loop.run_until_complete(conns["asyncpg"].copy_records_to_table(
            "price_data", records=recs, columns=COPY_COLS))

    def rd_cerd() -> None:
        n = 0
        for batch in db.price_data.stream(fetch_rows=10000).batches():
            n += len(batch)
        assert n == args.rows, n

    def rd_psycopg() -> None:
        n = 0
        with pconn.transaction():
            with pconn.cursor("bench", binary=True,
                              row_factory=class_row(cryptoerd.PriceData)) as cur:
                cur.itersize = 10000
                cur.execute("SELECT * FROM price_data ORDER BY id, candle_time")
                for _ in cur:
                    n += 1
        assert n == args.rows, n

    def rd_asyncpg() -> None:
        async def run() -> int:
            n = 0
            async with aconn.transaction():
                async for r in aconn.cursor("SELECT * FROM price_data ORDER BY id, candle_time",
                                            prefetch=10000):
                    cryptoerd.PriceData(**dict(r.items()))
                    n += 1
            return n
        assert loop.run_until_complete(run()) == args.rows

    def truncate() -> None:
        db.exec("TRUNCATE price_data")

    def cpu() -> float:
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def checkpoint() -> None:
        # every COPY starts from the same server state: no dirty pages or WAL of the
        # previous side left to write (docs/benchmarks.md, issue 14)
        truncate()
        db.exec("CHECKPOINT")

    def load() -> str:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())

    # The server backend's CPU time per run (/proc/<pid>/stat, server on this host, read as
    # root or the server's user): steadier than wall time when the cores are shared, and the
    # server's own work whatever the client. The backend of cryptoerd's connection is the
    # one of this database that is neither psycopg's nor asyncpg's.
    p_pid = pconn.info.backend_pid
    a_pid = aconn.get_server_pid()
    found = pconn.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> ALL(%s) AND backend_type = 'client backend'",
        ([p_pid, a_pid],)).fetchall()
    c_pid = int(found[0][0]) if len(found) == 1 else 0
    backend = {"cryptoerd": c_pid, "psycopg": p_pid, "asyncpg": a_pid,
               "floor8": a_pid, "floor12": a_pid}

    def server_cpu(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            return (int(st[11]) + int(st[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    histories: Dict[str, int] = {}

    def reconnect(name: str) -> None:
        """--fresh: side name's next COPY on a new connection, its backend measured."""
        old = conns.get(name)
        if name == "cryptoerd":
            c = cryptoerd.connect(pg_dsn())
            backend[name] = int(c.query("SELECT pg_backend_pid() AS pid")[0]["pid"])
            if old is not db:
                old.close()
        elif name == "psycopg":
            c = psycopg.connect(pg_dsn(), autocommit=True)
            backend[name] = c.info.backend_pid
            if old is not pconn:
                old.close()
        elif name == "asyncpg":
            c = loop.run_until_complete(asyncpg.connect(pg_dsn() or None))
            backend[name] = c.get_server_pid()
            if old is not aconn:
                loop.run_until_complete(old.close())
        else:
            return
        conns[name] = c
        k = history.randrange(args.history) if args.history > 0 else 0
        for _ in range(k):
            if name == "cryptoerd":
                c.query("SELECT 1 AS x")
            elif name == "psycopg":
                c.execute("SELECT 1")
            else:
                loop.run_until_complete(c.fetchval("SELECT 1"))
        histories[name] = k

    cpus: Dict[str, Dict[str, float]] = {}
    scpus: Dict[str, Dict[str, float]] = {}
    spreads: Dict[str, Dict[str, str]] = {}

    def measure(fns: Dict[str, Callable[[], None]], before: Callable[[], None] | None,
                label: str = "", fresh: bool = False) -> Dict[str, float]:
        """Each round runs every side once; the order rotates every round and is reversed
        every other round, so no side always follows the same one."""
        times: Dict[str, List[float]] = {k: [] for k in fns}
        ctimes: Dict[str, List[float]] = {k: [] for k in fns}
        stimes: Dict[str, List[float]] = {k: [] for k in fns}
        names = list(fns)
        for rep in range(args.reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            if rep % 2:
                order.reverse()
            line = f"{label} round {rep + 1} (load {load()}):"
            for name in order:
                if before:
                    before()
                if fresh:
                    reconnect(name)
                pid = backend.get(name, 0)
                c, sc = cpu(), server_cpu(pid)
                t = time.perf_counter()
                fns[name]()
                times[name].append(time.perf_counter() - t)
                ctimes[name].append(cpu() - c)
                stimes[name].append(server_cpu(pid) - sc)
                line += (f" {name} {times[name][-1]:.2f} s (cpu {ctimes[name][-1]:.2f} s, "
                         f"server cpu {stimes[name][-1]:.2f} s"
                         + (f", history {histories[name]}" if fresh and name in histories else "")
                         + ");")
            print(line, file=sys.stderr, flush=True)
        cpus[str(len(cpus))] = {k: statistics.median(v) for k, v in ctimes.items()}
        scpus[str(len(scpus))] = {k: statistics.median(v) for k, v in stimes.items()}
        spreads[str(len(spreads))] = {k: f"{min(v):.2f}–{max(v):.2f} s" for k, v in times.items()}
        return {k: statistics.median(v) for k, v in times.items()}

    def floor_payloads() -> Dict[str, bytes]:
        """The rows of the COPY workload as ready binary COPY payloads, exported by the
        server from the table: 8 columns (what psycopg and asyncpg send) and the 12 that
        cryptoerd's writer sends (every column without a default; 4 of them NULL)."""
        import io
        checkpoint()
        db.price_data.copy(rows)
        out = {}
        for name, cols in (("floor8", COPY_COLS), ("floor12", BINDING_COLS)):
            buf = io.BytesIO()
            loop.run_until_complete(aconn.copy_from_query(
                f"SELECT {', '.join(cols)} FROM price_data ORDER BY id", output=buf,
                format="binary"))
            out[name] = buf.getvalue()
        return out

    def floor_fn(data: bytes, cols: List[str]) -> Callable[[], None]:
        import io

        def floor() -> None:
            loop.run_until_complete(aconn.copy_to_table("price_data", source=io.BytesIO(data),
                                                        columns=cols, format="binary"))
        return floor

    results = {}
    print(f"rows {args.rows}, reps {args.reps}, fresh connections {args.fresh}, history {args.history}, max_wal_size "
          f"{pconn.execute('SHOW max_wal_size').fetchone()[0]}, "  # type: ignore[index]
          f"load {load()}", file=sys.stderr, flush=True)
    if "lookups" in only:
        results["lookups"] = measure({"cryptoerd": lk_cerd, "psycopg": lk_psycopg,
                                      "asyncpg": lk_asyncpg}, None, "lookups")
    if "copy" in only:
        sides: Dict[str, Callable[[], None]] = {"cryptoerd": cp_cerd, "psycopg": cp_psycopg,
                                                "asyncpg": cp_asyncpg}
        if args.floor:
            pay = floor_payloads()
            print(f"floor payloads: 8 columns {len(pay['floor8'])} bytes, 12 columns "
                  f"{len(pay['floor12'])} bytes", file=sys.stderr, flush=True)
            for f in args.floors.split(","):
                sides[f] = floor_fn(pay[f], BINDING_COLS if f == "floor12" else COPY_COLS)
        results["copy"] = measure(sides, checkpoint, "copy", fresh=args.fresh)
    if "read" in only:
        truncate()
        db.price_data.copy(rows)
        results["read"] = measure({"cryptoerd": rd_cerd, "psycopg": rd_psycopg,
                                   "asyncpg": rd_asyncpg}, None, "read")

    labels = {"lookups": f"{args.lookups:,} PK lookups of assets (typed objects)",
              "copy": f"COPY {args.rows:,} candles",
              "read": f"read {args.rows:,} candles (typed objects)"}
    print(f"psycopg {psycopg.__version__} (implementation: {psycopg.pq.__impl__}), "
          f"asyncpg {asyncpg.__version__}, reps {args.reps}, load at the end {load()}")
    print("| workload | cryptoerd | psycopg 3 | asyncpg | vs psycopg | vs asyncpg "
          "| client CPU: cryptoerd / psycopg / asyncpg |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i, (k, r) in enumerate(results.items()):
        c = cpus[str(i)]
        print(f"| {labels[k]} | {r['cryptoerd']:.2f} s | {r['psycopg']:.2f} s | "
              f"{r['asyncpg']:.2f} s | {r['psycopg'] / r['cryptoerd']:.2f}x | "
              f"{r['asyncpg'] / r['cryptoerd']:.2f}x | {c['cryptoerd']:.2f} / "
              f"{c['psycopg']:.2f} / {c['asyncpg']:.2f} s |")
    print()
    print("| workload | side | wall (median) | wall (min–max) | client CPU (median) "
          "| server backend CPU (median) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for i, (k, r) in enumerate(results.items()):
        for side, v in r.items():
            print(f"| {labels[k]} | {side} | {v:.2f} s | {spreads[str(i)][side]} | "
                  f"{cpus[str(i)][side]:.2f} s | {scpus[str(i)][side]:.2f} s |")
    pconn.close()
    loop.run_until_complete(aconn.close())
    db.close()


if __name__ == "__main__":
    main()
