#!/usr/bin/python3
"""The Python peers of bench/bulk_bench.py: Debian's python3-asyncpg and python3-psycopg.

    py_bench.py asyncpg FILE    asyncpg copy_records_to_table of every candle of FILE
    py_bench.py psycopg FILE    psycopg 3 cursor.copy() (FORMAT BINARY) with write_row

FILE: see bench/bench_bulk.c (COPY text format, 16 columns). It is parsed into Python
values (int, str, Decimal, datetime, bool; jsonb as its text) before the clock starts.
The server: $CRYPTOERD_BENCH_DSN, else the PG* environment. Prints one JSON object:
rows, wall, cpu (time.process_time(): the process's user+system time), maxrss_kib.
"""
import asyncio
import datetime
import json
import os
import resource
import sys
import time
from decimal import Decimal

COLUMNS = ["id", "asset_id", "timeframe", "open_price", "high_price", "low_price",
           "close_price", "volume", "market_cap", "trade_count", "vwap",
           "technical_indicators", "candle_time", "is_validated", "created_at", "updated_at"]
TYPES = ["int8", "int8", "text", "numeric", "numeric", "numeric", "numeric", "numeric",
         "numeric", "int4", "numeric", "jsonb", "timestamptz", "bool", "timestamptz",
         "timestamptz"]


def read_rows(path, wrap_json=None):
    ts = datetime.datetime.fromisoformat
    num = Decimal
    rows = []
    with open(path) as f:
        for line in f:
            f_ = line.rstrip("\n").split("\t")
            ti = f_[11] if wrap_json is None else wrap_json(f_[11])
            rows.append((int(f_[0]), int(f_[1]), f_[2], num(f_[3]), num(f_[4]), num(f_[5]),
                         num(f_[6]), num(f_[7]), None if f_[8] == "\\N" else num(f_[8]),
                         int(f_[9]), num(f_[10]), ti, ts(f_[12]), f_[13] == "t",
                         ts(f_[14]), ts(f_[15])))
    return rows


def report(what, rows, wall, cpu):
    print(json.dumps({"what": what, "rows": rows, "wall": round(wall, 6), "cpu": round(cpu, 6),
                      "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}),
          flush=True)


async def asyncpg_load(path):
    import asyncpg
    rows = read_rows(path)
    dsn = os.environ.get("CRYPTOERD_BENCH_DSN") or ""
    if dsn.startswith(("postgres://", "postgresql://")):
        conn = await asyncpg.connect(dsn)
    else:  # keyword/value conninfo: asyncpg takes URLs only (the rest from PG* as libpq)
        from psycopg.conninfo import conninfo_to_dict
        kw = conninfo_to_dict(dsn)
        if "dbname" in kw:
            kw["database"] = kw.pop("dbname")
        conn = await asyncpg.connect(**kw)
    t0, c0 = time.perf_counter(), time.process_time()
    status = await conn.copy_records_to_table("price_data", records=rows, columns=COLUMNS)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    await conn.close()
    n = int(status.split()[-1])
    report("asyncpg-load", n, wall, cpu)


def psycopg_load(path):
    import psycopg
    from psycopg.types.json import Jsonb
    # jsonb sent as the text it already is (no json.dumps in the timed part)
    rows = read_rows(path, wrap_json=lambda text: Jsonb(text, dumps=lambda s: s))
    with psycopg.connect(os.environ.get("CRYPTOERD_BENCH_DSN", "")) as conn:
        t0, c0 = time.perf_counter(), time.process_time()
        with conn.cursor() as cur:
            with cur.copy("COPY price_data (%s) FROM STDIN (FORMAT BINARY)"
                          % ", ".join(COLUMNS)) as copy:
                copy.set_types(TYPES)
                for row in rows:
                    copy.write_row(row)
            n = cur.rowcount
        conn.commit()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    report("psycopg-load", n, wall, cpu)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("asyncpg", "psycopg"):
        sys.exit(__doc__)
    if sys.argv[1] == "asyncpg":
        asyncio.run(asyncpg_load(sys.argv[2]))
    else:
        psycopg_load(sys.argv[2])


if __name__ == "__main__":
    main()
