"""Pipelined batches (conn.batch(), cerd_batch_*) against a real server: mixed operations
on several tables, a failing item with and without atomic, validation, a caller's
transaction."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

import cryptoerd
from cryptoerd import Assets, PriceData, Users
from cryptoerd.testing import make

T0 = datetime(2024, 3, 1, 12, tzinfo=timezone.utc)


def candle(asset_id: int, close: str = "101.5") -> PriceData:
    return PriceData(asset_id=asset_id, timeframe="1h", candle_time=T0,
                     open_price=Decimal("100.12345678"), high_price=Decimal("110"),
                     low_price=Decimal("90.5"), close_price=Decimal(close),
                     volume=Decimal("12.25"))


def test_mixed_operations_on_several_tables(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    old = db.assets.insert(Assets(symbol="OLD", name="Old name", asset_type="crypto"))
    gone = db.users.insert(make(Users, 7, deleted_at=None, deleted_by=None))
    db.price_data.insert(candle(old.id, "101.5"))

    b = db.batch()
    i_ins = b.insert(Assets(symbol="NEW", name="New coin", asset_type="crypto",
                            current_price=Decimal("0.00012345")))
    user = make(Users, 8)
    i_user = b.insert(user)
    renamed = Assets(id=old.id, symbol="OLD", name="Renamed", asset_type="crypto")
    i_upd = b.update(renamed, columns=["name"])
    i_ups = b.upsert(candle(old.id, "105.25"), key="unique_asset_timeframe_candle")
    i_get = b.get(Assets, "OLD", key="assets_symbol_key")
    i_del = b.delete(gone)
    i_miss = b.get(Assets, 999_999)
    assert len(b) == 7
    res = b.run()

    assert [r.index for r in res] == list(range(7))
    assert [r.op for r in res] == ["insert", "insert", "update", "upsert", "get", "delete", "get"]
    assert [r.table for r in res] == ["assets", "users", "assets", "price_data", "assets",
                                      "users", "assets"]
    # insert: the stored row, identity and defaults filled in
    a = res[i_ins]
    assert a.ok and a.affected == 1 and isinstance(a.row, Assets)
    assert a.row.id is not None and a.row.id > old.id
    assert (a.row.symbol, a.row.name, a.row.asset_type) == ("NEW", "New coin", "crypto")
    assert a.row.current_price == Decimal("0.00012345")
    assert a.row.is_active is True and a.row.created_at is not None
    u = res[i_user]
    assert u.ok and isinstance(u.row, Users) and u.row.email == user.email and u.row.id
    # update of one column: the other columns keep their values
    up = res[i_upd]
    assert up.ok and up.affected == 1 and up.row.id == old.id
    assert (up.row.name, up.row.symbol, up.row.created_at) == ("Renamed", "OLD", old.created_at)
    # upsert on the candle key: the existing candle, updated
    c = res[i_ups]
    assert c.ok and c.affected == 1 and isinstance(c.row, PriceData)
    assert (c.row.asset_id, c.row.timeframe, c.row.candle_time) == (old.id, "1h", T0)
    assert c.row.close_price == Decimal("105.25") and c.row.open_price == Decimal("100.12345678")
    # get by unique key, after the update in the same pipeline
    g = res[i_get]
    assert g.ok and g.affected == 1 and g.row.id == old.id and g.row.name == "Renamed"
    # delete: no row back, one affected
    d = res[i_del]
    assert d.ok and d.row is None and d.affected == 1
    # a get of a missing key: NotFound as its result, the others unaffected
    m = res[i_miss]
    assert isinstance(m.error, cryptoerd.NotFound) and m.row is None and m.affected == 0
    assert m.error.code_name == "CERD_ENOTFOUND" and "batch operation 6" in str(m.error)
    assert not m.ok and not res.ok and res.first_error is m.error

    # the database agrees
    assert db.assets.get_by_symbol("NEW").id == a.row.id
    assert db.assets.get(old.id).name == "Renamed"
    assert db.price_data.get_by_candle(old.id, "1h", T0).close_price == Decimal("105.25")
    assert not db.users.exists(gone.id) and db.users.exists(gone.id, include_deleted=True)


def test_a_unique_violation_fails_its_item_only(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    db.assets.insert(Assets(symbol="DUP", name="First", asset_type="crypto"))
    b = db.batch()
    b.insert(Assets(symbol="U1", name="One", asset_type="crypto"))
    b.insert(Assets(symbol="DUP", name="Again", asset_type="crypto"))
    b.insert(Assets(symbol="U3", name="Three", asset_type="crypto"))
    res = b.run()
    assert res[0].ok and res[2].ok and res[0].row.symbol == "U1" and res[2].row.symbol == "U3"
    err = res[1].error
    assert isinstance(err, cryptoerd.UniqueViolation) and isinstance(err, cryptoerd.IntegrityError)
    assert (err.sqlstate, err.constraint, err.table, err.code_name) == (
        "23505", "assets_symbol_key", "assets", "CERD_EUNIQUE")
    assert "batch operation 1 (insert assets)" in err.message and "DUP" in err.detail
    assert res[1].row is None and not res[1].rolled_back
    assert res.first_error is err
    assert {a.symbol for a in db.assets.list()} == {"DUP", "U1", "U3"}
    assert db.assets.get_by_symbol("DUP").name == "First"

    # the with-block form raises the first failure after running everything
    with pytest.raises(cryptoerd.UniqueViolation) as info:
        with db.batch() as b2:
            b2.insert(Assets(symbol="DUP", name="Again", asset_type="crypto"))
            b2.insert(Assets(symbol="U4", name="Four", asset_type="crypto"))
    assert info.value.constraint == "assets_symbol_key"
    assert b2.results is not None and b2.results[1].ok
    assert db.assets.get_by_symbol("U4").name == "Four"
    with pytest.raises(cryptoerd.InterfaceError):
        b2.run()  # a batch runs once


def test_atomic_batch_is_all_or_nothing(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    db.assets.insert(Assets(symbol="DUP", name="First", asset_type="crypto"))
    b = db.batch(atomic=True)
    b.insert(Assets(symbol="A1", name="One", asset_type="crypto"))
    b.insert(Assets(symbol="DUP", name="Again", asset_type="crypto"))
    b.insert(Assets(symbol="A3", name="Three", asset_type="crypto"))
    res = b.run()
    # the first ran, then was rolled back; the second failed; the third was not run
    assert res[0].error is None and res[0].rolled_back and not res[0].ok
    assert res[0].row is not None and res[0].row.symbol == "A1"
    assert isinstance(res[1].error, cryptoerd.UniqueViolation) and not res[1].rolled_back
    assert isinstance(res[2].error, cryptoerd.ServerError) and "not run" in res[2].error.message
    assert res.first_error is res[1].error
    assert [a.symbol for a in db.assets.list()] == ["DUP"]

    with db.batch(atomic=True) as ok:
        ok.insert(Assets(symbol="A4", name="Four", asset_type="crypto"))
        ok.insert(Assets(symbol="A5", name="Five", asset_type="crypto"))
    assert ok.results is not None and ok.results.ok
    assert sorted(a.symbol for a in db.assets.list()) == ["A4", "A5", "DUP"]


def test_an_invalid_row_is_refused_before_sending(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    a = db.assets.insert(make(Assets, 3))
    bad = candle(a.id)
    bad.high_price = Decimal(1)  # below the low: chk_ohlc_logic
    b = db.batch()
    b.insert(bad)
    b.insert(candle(a.id))
    res = b.run()
    err = res[0].error
    assert isinstance(err, cryptoerd.ValidationError) and err.table == "price_data"
    assert "chk_ohlc_logic" in {v.constraint for v in err.violations}
    assert res[1].ok and res[1].row.close_price == Decimal("101.5")
    assert db.price_data.count() == 1
    # atomic: the refused row means nothing is sent
    b = db.batch(atomic=True)
    b.insert(Assets(symbol="NOPE", name="x", asset_type="crypto"))
    b.insert(bad)
    res = b.run()
    assert isinstance(res[1].error, cryptoerd.ValidationError)
    assert isinstance(res[0].error, cryptoerd.ServerError) and "not run" in str(res[0].error)
    assert not db.assets.exists_pk(a.id + 1000) and db.assets.count() == 1


def test_in_a_caller_transaction_a_failure_aborts_the_rest(cryptoerd_db: Any) -> None:
    db = cryptoerd_db
    db.assets.insert(Assets(symbol="DUP", name="First", asset_type="crypto"))
    db.begin()
    try:
        b = db.batch()
        b.insert(Assets(symbol="T1", name="One", asset_type="crypto"))
        b.insert(Assets(symbol="DUP", name="Again", asset_type="crypto"))
        b.insert(Assets(symbol="T3", name="Three", asset_type="crypto"))
        res = b.run()
        assert res[0].ok
        assert isinstance(res[1].error, cryptoerd.UniqueViolation)
        # the server refused the rest of the aborted transaction
        assert isinstance(res[2].error, cryptoerd.ServerError)
        assert res[2].error.sqlstate == "25P02"
        assert "current transaction is aborted" in res[2].error.message
    finally:
        db.rollback()
    assert [a.symbol for a in db.assets.list()] == ["DUP"]


def test_queueing_errors_are_raised_at_once(cryptoerd_db: Any) -> None:
    b = cryptoerd_db.batch()
    with pytest.raises(TypeError):
        b.insert(object())  # not a row of the schema
    with pytest.raises(LookupError):
        b.upsert(Assets(symbol="X", name="x", asset_type="crypto"), key="no_such_key")
    with pytest.raises(LookupError):
        b.update(Assets(id=1, symbol="X", name="x", asset_type="crypto"), columns=["nope"])
    with pytest.raises(TypeError):
        b.get(Assets)  # key values missing
    with pytest.raises(TypeError):
        b.insert(PriceData(asset_id=1, timeframe="1h", candle_time=T0, open_price=1.5,  # type: ignore[arg-type]
                           high_price=Decimal(2), low_price=Decimal(1), close_price=Decimal(1)))
    assert len(b) == 0
    assert b.run() == []
