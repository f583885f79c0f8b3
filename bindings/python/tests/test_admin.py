"""Partitions, import/export, migration status and the pool's after-connect hook, against
the real server (each test on its own clone of the migrated template)."""
from __future__ import annotations

import io
import json
import os
import threading
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, List

import pytest

import cryptoerd
from cryptoerd.testing import default_dsn, dsn_for, make

UTC = timezone.utc


def candle(asset_id: int, at: datetime, price: str = "100.5", **kw: Any) -> cryptoerd.PriceData:
    p = Decimal(price)
    return cryptoerd.PriceData(asset_id=asset_id, timeframe=kw.pop("timeframe", "1h"),
                               open_price=p, high_price=p + 1, low_price=p - 1,
                               close_price=p, volume=Decimal("3.25"), candle_time=at, **kw)


def by_name(parts: List[cryptoerd.Partition]) -> dict[str, cryptoerd.Partition]:
    return {p.name: p for p in parts}


# ------------------------------------------------------------------ partitions

def test_partitions_list_create_and_counts(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    parts = db.partitions.list("price_data")
    # migration 003 creates 2025-01 .. 2027-12 and the DEFAULT partition, listed last
    assert [p.name for p in parts[:2]] == ["price_data_y2025m01", "price_data_y2025m02"]
    assert len(parts) == 36 + 1
    assert parts[-1].is_default and parts[-1].name == "price_data_default"
    assert parts[-1].month is None and parts[-1].start is None and parts[-1].end is None
    first = parts[0]
    assert first.month == date(2025, 1, 1) and not first.is_default
    assert first.start == datetime(2025, 1, 1, tzinfo=UTC)
    assert first.end == datetime(2025, 2, 1, tzinfo=UTC)
    assert first.start.utcoffset() == timedelta(0)
    assert parts[-2].month == date(2027, 12, 1) and parts[-2].end == datetime(2028, 1, 1, tzinfo=UTC)

    # both months included; a date or an aware datetime stands for its (UTC) month
    assert db.partitions.create("price_data", "2030-01", date(2030, 3, 15)) == 3
    assert db.partitions.create("price_data", datetime(2030, 2, 1, tzinfo=UTC),
                                datetime(2030, 4, 30, 23, tzinfo=UTC)) == 1  # only 2030-04
    # 2030-05-01 01:00 at UTC+02:00 is 2030-04-30 23:00 UTC: April, which exists
    tz2 = timezone(timedelta(hours=2))
    assert db.partitions.create("price_data", datetime(2030, 5, 1, 1, tzinfo=tz2),
                                datetime(2030, 5, 1, 1, tzinfo=tz2)) == 0
    after = by_name(db.partitions.list(cryptoerd.PriceData))  # a row class names its table
    assert {"price_data_y2030m01", "price_data_y2030m02", "price_data_y2030m03",
            "price_data_y2030m04"} <= set(after)
    assert "price_data_y2030m05" not in after
    feb = after["price_data_y2030m02"]
    assert (feb.month, feb.start, feb.end, feb.rows) == (
        date(2030, 2, 1), datetime(2030, 2, 1, tzinfo=UTC), datetime(2030, 3, 1, tzinfo=UTC), 0)

    # exact row counts per partition
    a = db.assets.insert(make(cryptoerd.Assets, 1))
    res = db.price_data.copy([candle(a.id, datetime(2030, 2, 1, tzinfo=UTC) + timedelta(hours=h))
                              for h in range(5)] + [candle(a.id, datetime(2031, 7, 1, tzinfo=UTC))])
    assert res.rows == 6
    counts = by_name(db.partitions.list("price_data"))
    assert counts["price_data_y2030m02"].rows == 5
    assert counts["price_data_y2030m01"].rows == 0
    assert counts["price_data_default"].rows == 1  # 2031-07 has no partition

    # the server refuses a month whose rows sit in DEFAULT; nothing is created
    with pytest.raises(cryptoerd.DatabaseError) as ei:
        db.partitions.create("price_data", "2031-06", "2031-07")
    assert ei.value.sqlstate and ei.value.sqlstate != "00000"
    names = set(by_name(db.partitions.list("price_data")))
    assert "price_data_y2031m06" not in names and "price_data_y2031m07" not in names


def test_partitions_bad_arguments(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    with pytest.raises(cryptoerd.InterfaceError, match="before the first"):
        db.partitions.create("price_data", "2030-03", "2030-01")
    with pytest.raises(cryptoerd.ValidationError, match="2030-13"):
        db.partitions.create("price_data", "2030-13", "2030-12")
    with pytest.raises(ValueError, match="timezone-aware"):
        db.partitions.create("price_data", datetime(2030, 1, 1), "2030-02")
    with pytest.raises(TypeError):
        db.partitions.create("price_data", 202301, "2030-02")
    with pytest.raises(cryptoerd.DatabaseError, match="range-partitioned"):
        db.partitions.create("assets", "2030-01", "2030-02")
    with pytest.raises(cryptoerd.DatabaseError):
        db.partitions.list("no_such_table")


def test_partitions_archive_moves_whole_months(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 2))
    t = datetime(2025, 1, 3, tzinfo=UTC)
    rows = ([candle(a.id, t + timedelta(hours=h), price=f"10{h}.5") for h in range(3)]
            + [candle(a.id, datetime(2025, 2, 9, tzinfo=UTC) + timedelta(hours=h)) for h in range(2)]
            + [candle(a.id, datetime(2026, 6, 1, tzinfo=UTC))])
    db.price_data.copy(rows)
    jan_ids = sorted(r.id for r in db.price_data.list() if r.candle_time < datetime(2025, 2, 1, tzinfo=UTC))

    # not inside a transaction: the archive is its own
    with db.transaction():
        with pytest.raises(cryptoerd.InterfaceError, match="transaction"):
            db.partitions.archive("2025-03")

    res = db.partitions.archive(before=date(2025, 3, 1))
    assert res.rows == 5
    assert [(p.name, p.month, p.rows) for p in res.moved] == [
        ("price_data_y2025m01", date(2025, 1, 1), 3), ("price_data_y2025m02", date(2025, 2, 1), 2)]
    names = set(by_name(db.partitions.list("price_data")))
    assert "price_data_y2025m01" not in names and "price_data_y2025m03" in names
    arch = by_name(db.partitions.list("price_data_archive"))
    assert arch["price_data_archive_y2025m01"].rows == 3
    assert arch["price_data_archive_y2025m02"].rows == 2
    assert db.price_data.count() == 1 and db.price_data_archive.count() == 5
    assert sorted(r.id for r in db.price_data_archive.list()
                  if r.candle_time < datetime(2025, 2, 1, tzinfo=UTC)) == jan_ids

    again = db.partitions.archive("2025-03")
    assert again.moved == [] and again.rows == 0


# ------------------------------------------------------------------ import / export

CSV_HEADER = "asset_id,timeframe,open_price,high_price,low_price,close_price,volume,candle_time\n"


def csv_line(asset_id: int, hour: int, open_price: str = "100.12345678") -> str:
    return (f"{asset_id},1h,{open_price},200,50,150.5,7.25,"
            f"2025-03-01T{hour:02d}:00:00Z\n")


def test_import_csv_and_a_bad_line(cryptoerd_db: Any, tmp_path: Path) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 3))
    good = tmp_path / "candles.csv"
    good.write_text(CSV_HEADER + "".join(csv_line(a.id, h) for h in range(3)))
    seen: List[Any] = []
    res = db.import_file("price_data", good, progress=lambda done, total: seen.append((done, total)))
    assert (res.table, res.rows, res.format) == ("price_data", 3, "csv")
    assert seen == [(3, 0)]  # at the end only (every 10000 rows before)
    got = db.price_data.range_by_asset_timeframe_time(asset_id=a.id, timeframe="1h")
    assert [g.open_price for g in got] == [Decimal("100.12345678")] * 3
    assert got[0].candle_time == datetime(2025, 3, 1, tzinfo=UTC)

    # line 4 (the header is line 1) holds a price that is not a number: nothing written
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV_HEADER + csv_line(a.id, 10) + csv_line(a.id, 11)
                   + csv_line(a.id, 12, open_price="12x.5") + csv_line(a.id, 13))
    with pytest.raises(cryptoerd.ValidationError) as ei:
        db.import_file(cryptoerd.PriceData, str(bad))
    e = ei.value
    assert e.line == 4, e.message
    assert e.message.startswith(f"{bad}:4:")
    assert (e.table, e.column, e.constraint) == ("price_data", "open_price", "type")
    assert db.price_data.count() == 3

    # a row the library's validation refuses (CHECK chk_price_data_timeframe), line 3
    bad2 = io.BytesIO((CSV_HEADER + csv_line(a.id, 14)
                       + csv_line(a.id, 15).replace(",1h,", ",2h,")).encode())
    with pytest.raises(cryptoerd.ValidationError) as ei:
        db.import_file("price_data", bad2, name="upload.csv")
    e = ei.value
    assert e.line == 3 and e.message.startswith("upload.csv:3:")
    assert e.column == "timeframe" and e.constraint == "chk_price_data_timeframe"
    assert e.violations and e.violations[0].columns == ("timeframe",)
    assert db.price_data.count() == 3

    # a header naming no column of the table
    with pytest.raises(cryptoerd.ValidationError) as ei:
        db.import_file("price_data", io.StringIO("asset_id,colour\n1,red\n"), format="csv")
    assert ei.value.line == 1 and ei.value.constraint == "csv"

    # a row naming no asset: the server's foreign key refuses it (checked at the COMMIT of
    # the import's own transaction, with or without a progress function), nothing written
    for prog in (None, lambda done, total: None):
        with pytest.raises(cryptoerd.ForeignKeyViolation) as fi:
            db.import_file("price_data", io.StringIO(CSV_HEADER + csv_line(a.id, 16)
                                                     + csv_line(999999, 17)),
                           format="csv", progress=prog)
        assert fi.value.sqlstate == "23503" and fi.value.constraint, fi.value.message
        assert fi.value.table == "price_data"  # not the partition the server names
        assert db.price_data.count() == 3


def test_import_jsonl_bad_lines(cryptoerd_db: Any, tmp_path: Path) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 4))

    def obj(h: int, **kw: Any) -> str:
        d = {"asset_id": a.id, "timeframe": "1h", "open_price": 10.5, "high_price": 11,
             "low_price": 9, "close_price": 10, "candle_time": f"2025-04-01T{h:02d}:00:00Z"}
        d.update(kw)
        return json.dumps(d) + "\n"

    p = tmp_path / "rows.jsonl"
    p.write_text(obj(0) + "\n" + obj(1) + obj(2, open_price="not a number") + obj(3))
    with pytest.raises(cryptoerd.DataError) as ei:
        db.import_file("price_data", p)  # format from the suffix
    e = ei.value
    assert e.line == 4, e.message  # the blank line 2 counts
    assert e.table == "price_data" and e.column == "open_price", (e.message, e.column, e.constraint)
    assert db.price_data.count() == 0

    p.write_text(obj(0) + '{"asset_id": 1, "timeframe": \n')
    with pytest.raises(cryptoerd.ValidationError) as ei:
        db.import_file("price_data", p)
    assert ei.value.line == 2 and ei.value.table == "price_data"

    p.write_text(obj(0) + obj(1))
    assert db.import_file("price_data", p).rows == 2


def test_import_stops_on_python_exceptions(cryptoerd_db: Any, tmp_path: Path) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 5))
    text = (CSV_HEADER + "".join(csv_line(a.id, h) for h in range(4))).encode()

    class Broken(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            self.calls += 1
            if self.calls == 1:
                return text[:60]
            raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        db.import_file("price_data", Broken(), format="csv")
    assert db.price_data.count() == 0

    # progress raising at the very end: the import (its own transaction) writes nothing
    def stop(done: int, total: int) -> None:
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        db.import_file("price_data", io.BytesIO(text), progress=stop)
    assert db.price_data.count() == 0
    # the connection is usable, with no transaction left open
    # inside the caller's transaction (conn.begin() or conn.transaction()): theirs
    db.begin()
    assert db.import_file("price_data", io.BytesIO(text)).rows == 4
    assert db.price_data.count() == 4
    db.rollback()
    assert db.price_data.count() == 0
    with pytest.raises(KeyError):
        with db.transaction():
            db.import_file("price_data", io.BytesIO(text))
            raise KeyError("undo")
    assert db.price_data.count() == 0
    assert db.import_file("price_data", io.BytesIO(text)).rows == 4
    assert db.price_data.count() == 4


def test_read_file_without_a_database(cryptoerd_db: Any, tmp_path: Path) -> None:
    # the rows read_file gives are the rows import_file writes
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 8))
    p = tmp_path / "candles.csv"
    t0 = datetime(2025, 3, 1, tzinfo=UTC)
    p.write_text(CSV_HEADER + "".join(
        f"{a.id},1h,{50 + h % 100}.{h:08d},200,50,150.5,7.25,"
        f"{(t0 + timedelta(hours=h)).isoformat()}\n" for h in range(2500)))
    got = list(cryptoerd.read_file(cryptoerd.PriceData, p, batch=100))
    assert len(got) == 2500 and all(isinstance(r, cryptoerd.PriceData) for r in got)
    assert got[7].open_price == Decimal("57.00000007") and got[7].id is None
    assert got[2499].candle_time == t0 + timedelta(hours=2499)
    db.import_file("price_data", p)
    stored = {(r.candle_time, r.open_price): r for r in db.price_data.iter()}
    for r in got:
        s = stored[(r.candle_time, r.open_price)]
        assert (s.asset_id, s.timeframe, s.high_price, s.volume) == \
            (r.asset_id, r.timeframe, r.high_price, r.volume)

    # not validated on the way; cryptoerd.validate judges a row without a database
    (low,) = cryptoerd.read_file("price_data", io.StringIO(CSV_HEADER + csv_line(a.id, 3, "10")),
                                 format="csv")
    assert [v.constraint for v in cryptoerd.validate(low)] == ["chk_ohlc_logic"]
    assert cryptoerd.validate(got[0]) == [] and cryptoerd.validate(got[0], "stored") != []
    with pytest.raises(ValueError, match="mode"):
        cryptoerd.validate(got[0], mode="update")

    # JSON Lines from the suffix; numbers exact
    j = tmp_path / "rows.jsonl"
    j.write_text('{"asset_id": 1, "timeframe": "1h", "open_price": 0.1000000000000000055511, '
                 '"high_price": 1, "low_price": 0, "close_price": 1, '
                 '"candle_time": "2025-04-01T00:00:00.000001Z"}\n')
    (r,) = cryptoerd.read_file("price_data", j)
    assert r.open_price == Decimal("0.1000000000000000055511")
    assert r.candle_time == datetime(2025, 4, 1, 0, 0, 0, 1, tzinfo=UTC)

    # leaving early stops the reading thread; the file is closed
    def readers() -> int:
        return sum(t.name == "cryptoerd.read_file" for t in threading.enumerate())

    it = cryptoerd.read_file("price_data", p, batch=10)
    assert next(it).asset_id == a.id and readers() == 1
    it.close()  # type: ignore[attr-defined]
    assert readers() == 0

    # a bad line: the rows before it come first, then the error names the line
    bad = io.StringIO(CSV_HEADER + csv_line(a.id, 1) + csv_line(a.id, 2, open_price="1e"))
    seen = []
    with pytest.raises(cryptoerd.ValidationError) as ei:
        for r in cryptoerd.read_file("price_data", bad, format="csv", name="up.csv"):
            seen.append(r)
    assert len(seen) == 1
    e = ei.value
    assert (e.line, e.table, e.column, e.constraint) == (3, "price_data", "open_price", "type")
    assert e.message.startswith("up.csv:3:")

    # the file object's own exception, as it is
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        list(cryptoerd.read_file("price_data", Broken(), format="csv"))
    with pytest.raises(ValueError, match="no table"):
        cryptoerd.read_file("no_such_table", p)


def rows_for_round_trip(db: Any) -> List[cryptoerd.PriceData]:
    a = db.assets.insert(make(cryptoerd.Assets, 6))
    t = datetime(2025, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    out = []
    for i in range(25):
        extra: dict[str, Any] = {}
        if i % 3 == 0:
            extra["technical_indicators"] = {"RSI": {"14": Decimal("56.23")}, "note": 'a "q", b\nc',
                                             "big": 12345678901234567890}
        if i % 4 == 0:
            extra["market_cap"] = Decimal("123456789012.34")
        out.append(candle(a.id, t + timedelta(minutes=i), price=f"{1000 + i}.12345678", **extra))
    db.price_data.copy(out)
    return list(db.price_data.list())


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_import_round_trip(cryptoerd_db: Any, tmp_path: Path, fmt: str) -> None:
    db = cryptoerd_db
    before = rows_for_round_trip(db)
    assert len(before) == 25
    path = tmp_path / f"price_data.{fmt}"
    res = db.export("price_data", path)
    assert (res.rows, res.format) == (25, fmt)
    text = path.read_text()
    assert len(text.strip().splitlines()) == 25 + (1 if fmt == "csv" else 0)
    if fmt == "csv":
        assert text.startswith("id,asset_id,timeframe,")

    db.exec("DELETE FROM price_data")
    assert db.price_data.count() == 0
    res = db.import_file("price_data", path)
    assert res.rows == 25
    after = list(db.price_data.list())
    assert after == before  # every column: ids, exact numerics, jsonb, timestamps

    # a text stream works too, and a range: one asset and timeframe, [start, end)
    buf = io.StringIO()
    t0 = before[0].candle_time
    res = db.export(cryptoerd.PriceData, buf, format=fmt,
                    columns=["asset_id", "timeframe", "candle_time"],
                    equal=(before[0].asset_id, "1h"), start=t0 + timedelta(minutes=5),
                    end=t0 + timedelta(minutes=15))
    assert res.rows == 10
    assert len(buf.getvalue().strip().splitlines()) == 10 + (1 if fmt == "csv" else 0)
    res = db.export("price_data", io.BytesIO(), format=fmt, columns=["asset_id", "timeframe",
                    "candle_time"], equal=(before[0].asset_id, "1h"), descending=True, limit=3)
    assert res.rows == 3


def test_export_binary_and_failures(cryptoerd_db: Any, tmp_path: Path) -> None:
    db = cryptoerd_db
    rows_for_round_trip(db)
    out = io.BytesIO()
    assert db.export("price_data", out, format="binary").rows == 25
    assert out.getvalue().startswith(b"PGCOPY\n\xff\r\n\x00")
    with pytest.raises(TypeError, match="binary mode"):
        db.export("price_data", io.StringIO(), format="binary")
    with pytest.raises(ValueError, match="format"):
        db.export("price_data", io.BytesIO(), format="xml")
    with pytest.raises(ValueError, match="format"):
        db.import_file("price_data", io.BytesIO(b""), format="binary")

    # an exception of progress fails the export, and a path is not left half written
    target = tmp_path / "out.jsonl"

    def boom(done: int, total: int) -> None:
        raise RuntimeError("no space")

    with pytest.raises(RuntimeError, match="no space"):
        db.export("price_data", target, progress=boom)
    assert not target.exists()
    seen: List[Any] = []
    assert db.export("price_data", target, progress=lambda d, t: seen.append((d, t))).rows == 25
    assert seen == [(25, 25)] and target.exists()


# ------------------------------------------------------------------ migrations

def test_migration_status(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    names = cryptoerd.embedded_migrations()
    assert names[0] == "001_foundation" and len(names) >= 11
    st = db.migration_status()
    assert [m.name for m in st] == names
    now = datetime.now(UTC)
    for m in st:
        assert m.embedded and m.applied and m.state == "applied", m
        assert m.checksum is not None and len(m.checksum) == 16
        assert m.recorded_checksum == m.checksum
        assert m.applied_at is not None and m.applied_at.tzinfo is not None
        assert now - timedelta(days=1) < m.applied_at <= now + timedelta(minutes=1)

    # a recorded checksum that differs: "changed"; one this library lacks: "unknown"
    db.exec("UPDATE cerd_schema_migrations SET checksum = '0000000000000000' "
            "WHERE version = '002'")
    db.exec("INSERT INTO cerd_schema_migrations (version, name, checksum) "
            "VALUES ('999', 'future', 'ffffffffffffffff')")
    st = {m.name: m for m in db.migration_status()}
    assert st["002_users"].state == "changed"
    assert st["002_users"].recorded_checksum == "0000000000000000"
    unknown = [m for m in st.values() if not m.embedded]
    assert len(unknown) == 1 and unknown[0].state == "unknown" and unknown[0].checksum is None
    assert unknown[0].name == "999" and unknown[0].recorded_checksum == "ffffffffffffffff"
    with pytest.raises(cryptoerd.MigrationError):
        db.migrate()


def test_migration_status_of_a_new_database() -> None:
    name = f"cerd_py_empty_{os.getpid()}"
    with cryptoerd.connect(default_dsn()) as admin:
        admin.exec(f'DROP DATABASE IF EXISTS "{name}"')
        admin.exec(f'CREATE DATABASE "{name}"')
    try:
        with cryptoerd.connect(dsn_for(default_dsn(), name)) as db:
            st = db.migration_status()
            assert [m.name for m in st] == cryptoerd.embedded_migrations()
            assert all(m.embedded and not m.applied and m.state == "pending" for m in st)
            assert all(m.applied_at is None and m.recorded_checksum is None for m in st)
            assert db.migrate() == len(st)
            assert all(m.state == "applied" for m in db.migration_status())
    finally:
        with cryptoerd.connect(default_dsn()) as admin:
            admin.exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ------------------------------------------------------------------ pool hook

def test_pool_after_connect_runs_once_per_new_connection(cryptoerd_database: str) -> None:
    calls: List[int] = []
    threads: List[str] = []

    def hook(conn: Any) -> None:
        assert isinstance(conn, cryptoerd.Database)
        conn.exec("SET cryptoerd.hook_test = 'set-by-hook'")
        calls.append(int(conn.query("SELECT pg_backend_pid() AS pid")[0]["pid"]))
        threads.append(threading.current_thread().name)

    with cryptoerd.Pool(cryptoerd_database, min_size=2, max_size=3, after_connect=hook) as pool:
        # the first min_size connections are opened (and hooked) before Pool() returns
        assert len(calls) == 2 and len(set(calls)) == 2
        assert pool.stats()["created"] == 2
        with pool.connection() as c1, pool.connection() as c2:
            # typed operations leave the session clean: the hook does not run again
            assert c1.assets.count() == 0 and c2.assets.count() == 0
        assert len(calls) == 2
        # a third at once: the pool opens one more connection (on its own thread)
        with pool.connection() as c1, pool.connection() as c2, pool.connection() as c3:
            for c in (c1, c2, c3):
                got = c.query("SELECT current_setting('cryptoerd.hook_test') AS v, "
                              "pg_backend_pid() AS pid")[0]
                assert got["v"] == "set-by-hook"
                assert int(got["pid"]) in calls
        st = pool.stats()
        assert st["created"] == 3 and len(set(calls)) == 3
        # those borrowers ran raw SQL: each session was reset (DISCARD ALL) on release and
        # the hook ran on it again, so the setting is still there
        assert len(calls) == 6 and sorted(set(calls)) == sorted(set(calls[:3]))
        with pool.connection() as c:
            assert c.query("SELECT current_setting('cryptoerd.hook_test', true) AS v")[0]["v"] \
                == "set-by-hook"
        assert any(t != threading.current_thread().name for t in threads)  # a pool thread


def test_pool_after_connect_raising_fails_the_connection(cryptoerd_database: str) -> None:
    def bad(conn: Any) -> None:
        raise ValueError("hook refuses this session")

    with pytest.raises(cryptoerd.ConnectError) as ei:
        cryptoerd.Pool(cryptoerd_database, min_size=1, after_connect=bad)
    e = ei.value
    assert "after_connect" in str(e) and "hook refuses this session" in str(e)
    assert isinstance(e.__cause__, ValueError)

    # a library error inside the hook: its message is in the pool's
    def bad_sql(conn: Any) -> None:
        conn.exec("SET no_such_setting_without_dot = 1")

    with pytest.raises(cryptoerd.ConnectError, match="after_connect hook failed") as ei:
        cryptoerd.Pool(cryptoerd_database, min_size=1, after_connect=bad_sql)
    assert "no_such_setting_without_dot" in str(ei.value)
    assert isinstance(ei.value.__cause__, cryptoerd.Error)

    # failing later, on a connection the pool opens on its own thread: the borrower gets
    # the error (the pool stays usable), and the other connections are fine
    n = [0]

    def second_fails(conn: Any) -> None:
        n[0] += 1
        if n[0] >= 2:
            raise RuntimeError(f"attempt {n[0]} refused")

    with cryptoerd.Pool(cryptoerd_database, min_size=1, max_size=2, acquire_timeout=1.0,
                        after_connect=second_fails) as pool:
        with pool.connection() as c1:
            with pytest.raises(cryptoerd.OperationalError) as later:
                with pool.connection():
                    pass
            assert isinstance(later.value.__cause__, RuntimeError), later.value
            assert "refused" in str(later.value)
            assert c1.assets.count() == 0
        assert pool.stats()["connect_failures"] >= 1
        with pool.connection() as c:
            assert c.assets.count() == 0

    with pytest.raises(TypeError):
        cryptoerd.Pool(cryptoerd_database, after_connect="not callable")  # type: ignore[arg-type]


def test_pool_with_hook_left_open_keeps_its_callback_and_exits(cryptoerd_database: str) -> None:
    # A pool with a hook that is neither closed nor referenced any more: its callback must
    # stay alive while the C pool's threads may call it (here: replacing connections the
    # server killed, found by the pool's health checks every 5 s), and the interpreter
    # must exit without a pool thread calling into it while it finalizes.
    import subprocess
    import sys
    script = f"""
import gc, time, cryptoerd
calls = []
def hook(conn):
    conn.exec("SET application_name = 'cerd_hooked'")
    calls.append(1)
p = cryptoerd.Pool({cryptoerd_database!r}, min_size=2, max_size=4, after_connect=hook)
del p
gc.collect()
SQL = "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'cerd_hooked'"
with cryptoerd.connect({cryptoerd_database!r}) as admin:
    admin.query("SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity"
                " WHERE application_name = 'cerd_hooked'")
    deadline = time.monotonic() + 60
    while len(calls) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    n = admin.query(SQL)[0]["n"]
print("calls", len(calls), "sessions", n)
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ))
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    words = r.stdout.split()
    assert words[:1] == ["calls"] and int(words[1]) >= 4 and int(words[3]) >= 2, r.stdout
    assert "Traceback" not in r.stderr and "callback" not in r.stderr, r.stderr
