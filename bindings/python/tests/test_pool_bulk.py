"""Pool with RLS users across threads; COPY from a generator; bounded-memory streams."""
from __future__ import annotations

import os
import threading
import tracemalloc
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Dict, Iterator, List

import pytest

import cryptoerd
from cryptoerd.testing import dsn_for, make

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_pool_16_threads_each_user_sees_only_its_portfolios(cryptoerd_db: Any,
                                                            cryptoerd_database: str) -> None:
    db = cryptoerd_db
    role = f"cerd_py_rls_{os.getpid()}"
    db.exec(f"DROP ROLE IF EXISTS {role}")
    db.exec(f"CREATE ROLE {role} LOGIN PASSWORD 'rls-test' IN ROLE cryptoerd_app")
    try:
        mine: Dict[int, List[int]] = {}
        for u in range(16):
            user = db.users.insert(make(cryptoerd.Users, 500 + u))
            assert user.id is not None
            mine[user.id] = [
                int(db.portfolios.insert(make(cryptoerd.Portfolios, 1000 * u + k,
                                              parents={"users": user.id})).id or 0)
                for k in range(3)]
        dsn = cryptoerd_database + f" user={role} password=rls-test"
        errors: List[BaseException] = []
        with cryptoerd.Pool(dsn, max_size=8) as pool:
            def worker(uid: int) -> None:
                try:
                    for _ in range(5):
                        with pool.connection(as_user=uid) as conn:
                            seen = sorted(int(p.id) for p in conn.portfolios.list())
                            assert seen == sorted(mine[uid]), (uid, seen)
                            assert all(p.user_id == uid for p in conn.portfolios.list())
                except BaseException as e:  # noqa: BLE001
                    errors.append(e)

            threads = [threading.Thread(target=worker, args=(uid,)) for uid in mine]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert not errors, errors[:3]
            st = pool.stats()
            assert st["acquires"] >= 80 and st["total"] <= 8
            # outside any user, RLS shows nothing
            with pool.connection() as conn:
                assert conn.portfolios.count() == 0
    finally:
        db.exec(f"DROP OWNED BY {role}")
        db.exec(f"DROP ROLE {role}")


def candles(asset_id: int, n: int, timeframe: str = "1m") -> Iterator[cryptoerd.PriceData]:
    for i in range(n):
        p = Decimal(30000 + i % 1000) + Decimal(i % 97) / 100
        yield cryptoerd.PriceData(asset_id=asset_id, timeframe=timeframe, open_price=p,
                                  high_price=p + 5, low_price=p - 5, close_price=p + 1,
                                  volume=Decimal("12.50"), candle_time=T0 + timedelta(minutes=i))


def test_copy_100000_candles_from_a_generator(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 1))
    res = db.price_data.copy(candles(a.id, 100_000), create_partitions=True)
    assert res.rows == 100_000 and not res.rejects
    assert db.price_data.count() == 100_000
    got = db.price_data.range_by_asset_timeframe_time(asset_id=a.id, timeframe="1m", start=T0,
                                        end=T0 + timedelta(minutes=3))
    want = list(candles(a.id, 3))
    assert [(g.open_price, g.candle_time) for g in got] == [
        (w.open_price.quantize(Decimal("1e-8")), w.candle_time) for w in want]
    assert str(got[1].open_price) == "30001.01000000"
    # the whole table back by COPY out
    assert sum(1 for _ in db.price_data.copy_out()) == 100_000


def test_copy_collects_invalid_rows(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 2))
    rows = list(candles(a.id, 10))
    rows[3].high_price = Decimal(0)  # breaks chk_ohlc_logic
    res = db.price_data.copy(rows, collect_invalid=True)
    assert res.rows == 9 and res.rejects[0][0] == 3
    assert "chk_ohlc_logic" in {v.constraint for v in res.rejects[0][1]}
    with pytest.raises(cryptoerd.ValidationError):
        db.price_data.copy(rows)


def test_stream_1000000_rows_with_bounded_memory(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 3))
    n = 1_000_000
    assert db.price_data.copy(candles(a.id, n), create_partitions=True).rows == n
    tracemalloc.start()
    count = 0
    last = None
    with db.price_data.stream_by_asset_timeframe_time(asset_id=a.id, timeframe="1m", fetch_rows=5000) as s:
        for row in s:
            if last is not None:
                assert row.candle_time > last
            last = row.candle_time
            count += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == n
    assert peak < 64 * 1024 * 1024, peak  # one fetch of rows, not a million


def test_bulk_upsert_and_lists(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(cryptoerd.Assets, 4))
    rows = list(candles(a.id, 50, "1h"))
    r1 = db.price_data.bulk_upsert(rows, key="unique_asset_timeframe_candle")
    assert (r1.inserted, r1.updated) == (50, 0)
    for r in rows:
        r.volume = Decimal("99.99")
    r2 = db.price_data.bulk_upsert(rows, key="unique_asset_timeframe_candle")
    assert (r2.inserted, r2.updated) == (0, 50)
    listed = db.price_data.list_by_asset_id(a.id)
    assert len(listed) == 50 and all(r.volume == Decimal("99.99") for r in listed)
    assert len(db.price_data.list(limit=7)) == 7
    assert [r.id for r in db.price_data.list(descending=True, limit=2)] == sorted(
        (r.id for r in listed), reverse=True)[:2]


def test_transaction_context_commits_and_rolls_back(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    with db.transaction():
        a = db.assets.insert(make(cryptoerd.Assets, 5))
    assert db.assets.exists(a.id)
    with pytest.raises(RuntimeError):
        with db.transaction():
            b = db.assets.insert(make(cryptoerd.Assets, 6))
            with db.transaction():  # savepoint
                db.assets.delete(a.id)
            raise RuntimeError("roll back")
    assert not db.assets.exists(b.id) and db.assets.exists(a.id)


def test_template_clone_is_isolated(cryptoerd_db: Any, cryptoerd_database: str) -> None:
    assert cryptoerd_db.assets.count() == 0
    assert dsn_for("host=x", "y") == "host=x dbname=y"


def test_io_timeout_bounds_a_silent_server_and_follows_the_pool(cryptoerd_database: str) -> None:
    # A server that sends nothing for longer than the I/O timeout (here: pg_sleep, which
    # the client cannot tell from a silent proxy) ends the call with Timeout and closes
    # the connection.
    with cryptoerd.Connection(cryptoerd_database) as conn:
        assert conn.io_timeout == 0.0  # no statement_timeout on the test server
        conn.io_timeout = 0.3
        assert conn.io_timeout == 0.3
        with pytest.raises(cryptoerd.Timeout) as e:
            conn.query("SELECT pg_sleep(3)")
        assert "I/O timeout" in str(e.value)
        with pytest.raises(cryptoerd.ConnectionLost):
            conn.query("SELECT 1")
    with cryptoerd.Pool(cryptoerd_database, max_size=1, statement_timeout=1.5) as pool:
        with pool.connection() as conn:
            assert conn.io_timeout == 6.5
