#!/usr/bin/env python3
"""The Python binding against psycopg 3 and asyncpg, same run, same server, interleaved.

    CRYPTOERD_LIBRARY=build/libcryptoerd.so pg_virtualenv -t -v 15 \
        /usr/bin/python3 bench/python/bench_python.py [--rows N] [--lookups N] [--reps R]

Workloads (the database is emptied and migrated by the binding first):
- lookups: N primary-key reads of assets, returning typed objects (the generated
  dataclass): cryptoerd ``db.assets.get(id)``; psycopg prepared, binary,
  ``class_row(Assets)``; asyncpg prepared ``fetchrow`` then ``Assets(**record)``.
- copy: N candles (PriceData objects, one list shared by all) loaded by COPY:
  cryptoerd ``db.price_data.copy(rows)``; psycopg ``cursor.copy(... FORMAT BINARY)``
  ``write_row``; asyncpg ``copy_records_to_table``. Table truncated between runs.
- read: N candles read as typed objects: cryptoerd ``stream()`` (server-side cursor);
  psycopg named (server-side) cursor, binary, ``class_row(PriceData)``; asyncpg cursor
  in a transaction, ``PriceData(**record)``.
Each workload runs ``reps`` times per library, libraries interleaved; medians printed as
Markdown rows with ratios (>1: cryptoerd faster), and the median client CPU (this
process's user+system time: what each library costs on the client; the rest of the wall
time is the server's, shared by all three).
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
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
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--copy-floor", action="store_true",
                    help="only measure the server's floor for the COPY workload: the same rows "
                         "as a pre-encoded binary COPY payload (no per-row client work), "
                         "against cryptoerd's copy")
    args = ap.parse_args()

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

    def cp_cerd() -> None:
        db.price_data.copy(rows)

    def cp_psycopg() -> None:
        with pconn.cursor() as cur:
            with cur.copy(f"COPY price_data ({', '.join(COPY_COLS)}) FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(["int8", "varchar", "numeric", "numeric", "numeric", "numeric",
                              "numeric", "timestamptz"])
                for r in rows:
                    cp.write_row((r.asset_id, r.timeframe, r.open_price, r.high_price,
                                  r.low_price, r.close_price, r.volume, r.candle_time))

    def cp_asyncpg() -> None:
        recs = ((r.asset_id, r.timeframe, r.open_price, r.high_price, r.low_price,
                 r.close_price, r.volume, r.candle_time) for r in rows)
        loop.run_until_complete(aconn.copy_records_to_table("price_data", records=recs,
                                                            columns=COPY_COLS))

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

    cpus: Dict[str, Dict[str, float]] = {}

    def measure(fns: Dict[str, Callable[[], None]], before: Callable[[], None] | None) -> Dict[str, float]:
        times: Dict[str, List[float]] = {k: [] for k in fns}
        ctimes: Dict[str, List[float]] = {k: [] for k in fns}
        for rep in range(args.reps):
            order = list(fns.items())
            if rep % 2:
                order.reverse()
            for name, fn in order:
                if before:
                    before()
                c = cpu()
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
                ctimes[name].append(cpu() - c)
        cpus[str(len(cpus))] = {k: statistics.median(v) for k, v in ctimes.items()}
        return {k: statistics.median(v) for k, v in times.items()}

    if args.copy_floor:
        import io
        truncate()
        db.price_data.copy(rows)
        payload = io.BytesIO()
        loop.run_until_complete(aconn.copy_from_query(
            f"SELECT {', '.join(COPY_COLS)} FROM price_data", output=payload, format="binary"))
        data = payload.getvalue()

        def floor() -> None:
            loop.run_until_complete(aconn.copy_to_table("price_data", source=io.BytesIO(data),
                                                        columns=COPY_COLS, format="binary"))
        r = measure({"cryptoerd": cp_cerd, "floor": floor}, truncate)
        c = cpus["0"]
        print(f"| COPY {args.rows:,} candles: server floor (pre-encoded binary payload) "
              f"| {r['floor']:.2f} s (client CPU {c['floor']:.2f} s) | cryptoerd "
              f"{r['cryptoerd']:.2f} s (client CPU {c['cryptoerd']:.2f} s) |")
        return

    results = {}
    results["lookups"] = measure({"cryptoerd": lk_cerd, "psycopg": lk_psycopg,
                                  "asyncpg": lk_asyncpg}, None)
    results["copy"] = measure({"cryptoerd": cp_cerd, "psycopg": cp_psycopg,
                               "asyncpg": cp_asyncpg}, truncate)
    truncate()
    db.price_data.copy(rows)
    results["read"] = measure({"cryptoerd": rd_cerd, "psycopg": rd_psycopg,
                               "asyncpg": rd_asyncpg}, None)

    labels = {"lookups": f"{args.lookups:,} PK lookups of assets (typed objects)",
              "copy": f"COPY {args.rows:,} candles",
              "read": f"read {args.rows:,} candles (typed objects)"}
    print(f"psycopg {psycopg.__version__} (implementation: {psycopg.pq.__impl__}), "
          f"asyncpg {asyncpg.__version__}, reps {args.reps}")
    print("| workload | cryptoerd | psycopg 3 | asyncpg | vs psycopg | vs asyncpg "
          "| client CPU: cryptoerd / psycopg / asyncpg |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for i, (k, r) in enumerate(results.items()):
        c = cpus[str(i)]
        print(f"| {labels[k]} | {r['cryptoerd']:.2f} s | {r['psycopg']:.2f} s | "
              f"{r['asyncpg']:.2f} s | {r['psycopg'] / r['cryptoerd']:.2f}x | "
              f"{r['asyncpg'] / r['cryptoerd']:.2f}x | {c['cryptoerd']:.2f} / "
              f"{c['psycopg']:.2f} / {c['asyncpg']:.2f} s |")
    pconn.close()
    loop.run_until_complete(aconn.close())
    db.close()


if __name__ == "__main__":
    main()
