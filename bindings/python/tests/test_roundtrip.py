"""Every table's factory rows survive insert and get field for field; exact values."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

import cryptoerd
from cryptoerd import DEFAULT
from cryptoerd.testing import make

TABLES = list(cryptoerd.ROW_CLASSES)


def _expected(conn: Any, table: str, made: Any, col: str) -> Any:
    info = conn.table(table).info.by_name[col]
    v = getattr(made, col)
    if isinstance(v, Decimal) and info.scale is not None and v.is_finite():
        return v.quantize(Decimal(1).scaleb(-info.scale), rounding=ROUND_HALF_UP)
    return v


@pytest.mark.parametrize("table", TABLES)
def test_factory_rows_round_trip_field_for_field(cryptoerd_conn: Any, table: str) -> None:
    conn = cryptoerd_conn
    acc = conn.table(table)
    for seed in (1, 2, 3):
        made = make(table, seed, conn=conn)
        stored = acc.insert(made)
        pk = [getattr(stored, acc.info.columns[i].name) for i in acc.info.primary_key.columns]
        got = acc.get_pk(*pk, include_deleted=True) if acc.info.soft_delete else acc.get_pk(*pk)
        assert got == stored
        for c in acc.info.columns:
            v = getattr(made, c.name)
            if v is None or c.identity:
                continue
            assert getattr(got, c.name) == _expected(conn, table, made, c.name), (table, c.name)
            if isinstance(v, Decimal) and c.scale is not None and v.is_finite():
                assert getattr(got, c.name).as_tuple().exponent == -c.scale, (table, c.name)


def test_numeric_rounding_at_scale_plus_one_matches_postgresql(cryptoerd_conn: Any) -> None:
    conn = cryptoerd_conn
    asset = conn.assets.insert(make(cryptoerd.Assets, 7))
    t0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
    cases = ["1.123456785", "1.123456784", "-1.123456785", "0.000000005", "99999999999.999999995",
             "123.000000015", "-0.000000004"]
    for i, text in enumerate(cases):
        row = make(cryptoerd.PriceData, 100 + i, parents={"assets": asset.id},
                   candle_time=t0 + timedelta(hours=i), vwap=Decimal(text))
        stored = conn.price_data.insert(row)
        pg = conn.query("SELECT ($1::numeric)::numeric(20,8)::text AS v", text)[0]["v"]
        assert stored.vwap.as_tuple() == Decimal(pg).as_tuple()  # digit for digit
        assert stored.vwap == Decimal(text).quantize(Decimal("1e-8"), ROUND_HALF_UP)
        assert stored.vwap.as_tuple().exponent == -8


def test_datetimes_to_the_microsecond_and_utc(cryptoerd_conn: Any) -> None:
    conn = cryptoerd_conn
    asset = conn.assets.insert(make(cryptoerd.Assets, 8))
    tz = timezone(timedelta(hours=5, minutes=30))
    t = datetime(2024, 5, 6, 7, 8, 9, 123457, tzinfo=tz)
    row = conn.price_data.insert(make(cryptoerd.PriceData, 1, parents={"assets": asset.id},
                                      candle_time=t))
    assert row.candle_time == t
    assert row.candle_time.tzinfo == timezone.utc
    assert row.candle_time.microsecond == 123457
    with pytest.raises(TypeError):
        conn.price_data.insert(make(cryptoerd.PriceData, 2, parents={"assets": asset.id},
                                    candle_time=datetime(2024, 1, 1)))


def test_json_keeps_big_and_exact_numbers(cryptoerd_conn: Any) -> None:
    conn = cryptoerd_conn
    doc = {"big": 123456789012345678901234567890, "exact": Decimal("0.1000000000000000000000001"),
           "f": Decimal("1.5"), "neg": -7, "list": [1, Decimal("2.50"), None, "x\x1fy"],
           "nested": {"ok": True}}
    a = conn.assets.insert(make(cryptoerd.Assets, 9, metrics_details=doc))
    got = conn.assets.get(a.id)
    assert got.metrics_details["big"] == 123456789012345678901234567890
    assert got.metrics_details["exact"] == Decimal("0.1000000000000000000000001")
    assert str(got.metrics_details["exact"]) == "0.1000000000000000000000001"
    assert got.metrics_details["list"][3] == "x\x1fy"
    assert got.metrics_details["nested"] == {"ok": True}


def test_text_with_separator_bytes_round_trips(cryptoerd_conn: Any) -> None:
    conn = cryptoerd_conn
    name = "a\x1fb\x1ec\x1bd \u00e9\u4e2d"
    a = conn.assets.insert(make(cryptoerd.Assets, 10, description=name))
    assert conn.assets.get(a.id).description == name


def test_null_versus_default(cryptoerd_conn: Any) -> None:
    conn = cryptoerd_conn
    info = conn.model_jobs.info.by_name["max_retries"]
    assert info.nullable and info.has_default
    base = make(cryptoerd.ModelJobs, 3, conn=conn)
    base.retry_count = None
    as_null = conn.model_jobs.insert(dataclasses.replace(base, max_retries=None))
    assert as_null.max_retries is None
    as_default = conn.model_jobs.insert(dataclasses.replace(make(cryptoerd.ModelJobs, 4, conn=conn),
                                                            max_retries=DEFAULT, retry_count=None))
    assert as_default.max_retries is not None
    # NOT NULL with a default, left None: the server default (absent)
    a = conn.assets.insert(make(cryptoerd.Assets, 11, created_at=None, is_active=None))
    assert a.created_at is not None and a.is_active is True


def test_floats_are_refused_for_numerics(cryptoerd_conn: Any) -> None:
    row = make(cryptoerd.Assets, 12, current_price=1.5)
    with pytest.raises(TypeError):
        cryptoerd_conn.assets.insert(row)


def test_an_identity_of_zero_reads_as_zero(cryptoerd_conn: Any) -> None:
    # The reserved system user has id 0; C row structs use an identity of 0 for "not
    # numbered yet", which must not turn the stored 0 into None on the way to Python.
    conn = cryptoerd_conn
    assert conn.query("SELECT id FROM users WHERE id = 0")[0]["id"] == 0
    assert conn.users.get(0).id == 0
    assert [u.id for u in conn.users.list() if u.email.startswith("system@")] == [0]
    assert [u.id for u in conn.users.stream() if u.id == 0] == [0]
    # a row built on the client has no id yet
    assert make(cryptoerd.Users, 5).id is None
    stored = conn.users.insert(make(cryptoerd.Users, 5))
    assert isinstance(stored.id, int) and stored.id > 0


def test_every_row_class_names_its_table() -> None:
    from cryptoerd._tables import ROW_CLASSES, TABLE_CLASSES
    assert len(ROW_CLASSES) == 36
    for name, cls in ROW_CLASSES.items():
        assert cls.__tablename__ == name  # type: ignore[attr-defined]
        assert TABLE_CLASSES[name].row_class is cls  # type: ignore[attr-defined]
