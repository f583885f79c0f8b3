"""Every exception class from a real violation, with its attributes."""
from __future__ import annotations

import threading
from typing import Any

import pytest

import cryptoerd
from cryptoerd.testing import make


def test_unique_violation(cryptoerd_conn: Any) -> None:
    a = cryptoerd_conn.assets.insert(make(cryptoerd.Assets, 1))
    with pytest.raises(cryptoerd.UniqueViolation) as ei:
        cryptoerd_conn.assets.insert(make(cryptoerd.Assets, 2, symbol=a.symbol))
    e = ei.value
    assert isinstance(e, cryptoerd.IntegrityError)
    assert e.sqlstate == "23505" and e.table == "assets" and e.constraint == "assets_symbol_key"
    assert e.code_name == "CERD_EUNIQUE"


def test_foreign_key_violation(cryptoerd_db: Any) -> None:
    with pytest.raises(cryptoerd.ForeignKeyViolation) as ei:
        cryptoerd_db.price_data.insert(make(cryptoerd.PriceData, 1, parents={"assets": 999999}))
    assert ei.value.sqlstate == "23503" and ei.value.table == "price_data"
    assert ei.value.constraint


def test_check_violation_from_the_server(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    db.set_validation(False)
    a = db.assets.insert(make(cryptoerd.Assets, 1))
    with pytest.raises(cryptoerd.CheckViolation) as ei:
        db.price_data.insert(make(cryptoerd.PriceData, 1, parents={"assets": a.id},
                                  violate="chk_ohlc_logic"))
    assert ei.value.sqlstate == "23514" and ei.value.constraint == "chk_ohlc_logic"


def test_not_null_violation_from_the_server(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    db.set_validation(False)
    with pytest.raises(cryptoerd.NotNullViolation) as ei:
        db.assets.insert(make(cryptoerd.Assets, 1, name=None))
    assert ei.value.sqlstate == "23502" and ei.value.column == "name" and ei.value.table == "assets"


def test_validation_error_lists_every_violation(cryptoerd_conn: Any) -> None:
    a = cryptoerd_conn.assets.insert(make(cryptoerd.Assets, 3))
    row = make(cryptoerd.PriceData, 1, parents={"assets": a.id}, violate="chk_ohlc_logic")
    row.timeframe = None
    with pytest.raises(cryptoerd.ValidationError) as ei:
        cryptoerd_conn.price_data.insert(row)
    cons = {v.constraint for v in ei.value.violations}
    assert {"chk_ohlc_logic", "not_null"} <= cons
    nn = [v for v in ei.value.violations if v.constraint == "not_null"][0]
    assert nn.columns == ("timeframe",) and "timeframe" in nn.message
    assert ei.value.table == "price_data"
    assert cryptoerd_conn.price_data.validate(row)


def test_not_found(cryptoerd_conn: Any) -> None:
    with pytest.raises(cryptoerd.NotFound) as ei:
        cryptoerd_conn.assets.get(987654321)
    assert isinstance(ei.value, LookupError) and ei.value.code_name == "CERD_ENOTFOUND"


def test_insufficient_privilege(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    db.exec("DROP ROLE IF EXISTS cerd_py_nobody")
    db.exec("CREATE ROLE cerd_py_nobody")
    try:
        db.exec("SET ROLE cerd_py_nobody")
        with pytest.raises(cryptoerd.InsufficientPrivilege) as ei:
            db.assets.count()
        assert ei.value.sqlstate == "42501"
        assert isinstance(ei.value, cryptoerd.ProgrammingError)
    finally:
        db.exec("RESET ROLE")
        db.exec("DROP ROLE cerd_py_nobody")


def test_serialization_failure_and_retry(cryptoerd_database: str) -> None:
    with cryptoerd.connect(cryptoerd_database) as a, cryptoerd.connect(cryptoerd_database) as b:
        asset = a.assets.insert(make(cryptoerd.Assets, 1))
        a.begin()
        a.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        a.assets.get(asset.id)
        b.assets.update(_renamed(asset, "by b"))
        with pytest.raises(cryptoerd.SerializationFailure) as ei:
            a.assets.update(_renamed(asset, "by a"))
        assert ei.value.sqlstate == "40001" and isinstance(ei.value, cryptoerd.OperationalError)
        a.rollback()
        # the retry helper runs the work again in a fresh transaction
        calls = []

        def work(c: Any) -> str:
            calls.append(1)
            if len(calls) == 1:
                raise cryptoerd.SerializationFailure("simulated", code=-11)
            return str(c.assets.update(_renamed(asset, "by retry")).name)

        assert a.transact(work, isolation="serializable") == "by retry"
        assert len(calls) == 2


def _renamed(row: Any, name: str) -> Any:
    import dataclasses
    return dataclasses.replace(row, name=name)


def test_connection_lost(cryptoerd_database: str) -> None:
    with cryptoerd.connect(cryptoerd_database) as victim, \
            cryptoerd.connect(cryptoerd_database) as admin:
        pid = victim.query("SELECT pg_backend_pid() AS pid")[0]["pid"]
        admin.query("SELECT pg_terminate_backend($1::int) AS ok", str(pid))
        with pytest.raises(cryptoerd.ConnectionLost) as ei:
            victim.assets.count()
        assert ei.value.code_name == "CERD_ECONNLOST"


def test_blocking_calls_release_the_gil(cryptoerd_conn: Any) -> None:
    ticks = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(1)
            stop.wait(0.001)

    th = threading.Thread(target=spin)
    th.start()
    cryptoerd_conn.query("SELECT pg_sleep(0.5) AS s")
    n = len(ticks)
    stop.set()
    th.join()
    assert n > 50, n
