"""The typed queries (cryptoerd._queries, generated from queries/*.sql) on the seeded
scenario of the C suite (tests/queries/seed.sql): every row equals, field by field and
digit for digit, what the same SQL (the descriptor's own statement) gives through
cerd_conn_query_json, and a parameter a CHECK refuses is a ValidationError naming the
column before any round trip."""
from __future__ import annotations

import dataclasses
import os
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Optional, Sequence

import pytest

import cryptoerd
from cryptoerd import Database, NotFound, ValidationError
from cryptoerd._ffi import ffi
from cryptoerd._queries import (_ACTIVE_SIGNALS_WITH_REGIME, _EXPIRE_STALE_SIGNALS,
                                _LATEST_CANDLES_IN_SECTOR, _LATEST_CLOSE,
                                _MODEL_PERFORMANCE_HISTORY, _PORTFOLIO_POSITIONS_VALUED,
                                _RESAMPLE_CANDLES, _USER_ACTIVITY_COUNT, LatestCandlesInSectorRow,
                                LatestCloseRow, ResampleCandlesRow)
from cryptoerd._query_core import QuerySpec

SEED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "queries", "seed.sql")
UTC = timezone.utc


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


@pytest.fixture
def db(cryptoerd_db: Database) -> Iterator[Database]:
    with open(SEED, encoding="utf-8") as f:
        cryptoerd_db.exec(f.read())
    cryptoerd_db.exec("SET TimeZone = 'UTC'")
    yield cryptoerd_db


def text_param(v: Any) -> str:
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


def same_sql(db: Database, spec: QuerySpec[Any], params: Sequence[Any]) -> List[Dict[str, Any]]:
    """The rows of the query's own statement (as the server sends it, $n parameters) run
    through cerd_conn_query_json with text parameters."""
    sql = ffi.string(spec.ready().q.sql).decode()
    return db.query(sql, *(text_param(p) for p in params))


def assert_rows_equal(got: Sequence[Any], want: List[Dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        names = [f.name for f in dataclasses.fields(g)]
        assert names == list(w.keys())
        for n in names:
            gv, wv = getattr(g, n), w[n]
            where = f"{type(g).__name__}.{n}: {gv!r} vs {wv!r}"
            if wv is None:
                assert gv is None, where
            elif isinstance(gv, Decimal):
                assert str(gv) == str(wv), where  # the same digits, scale included
            elif isinstance(gv, datetime):
                off = gv.utcoffset()
                assert off is not None and off.total_seconds() == 0, where
                assert gv == datetime.fromisoformat(str(wv)), where
            else:
                assert type(gv) is type(wv) and gv == wv, where


def test_many_with_left_join_nulls_equals_the_same_sql(db: Database) -> None:
    rows = db.queries.latest_candles_in_sector(timeframe="1h", sector_id=1)
    assert all(isinstance(r, LatestCandlesInSectorRow) for r in rows)
    assert_rows_equal(rows, same_sql(db, _LATEST_CANDLES_IN_SECTOR, ("1h", 1)))
    by_symbol = {r.symbol: r for r in rows}
    # AAVE has no candle: the LEFT JOIN LATERAL side is None, NOT NULL columns are values
    assert by_symbol["AAVE"].close_price is None and by_symbol["AAVE"].candle_time is None
    assert isinstance(by_symbol["UNI"].close_price, Decimal)
    assert by_symbol["UNI"].candle_time is not None
    assert by_symbol["UNI"].candle_time.tzinfo is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        rows[0].symbol = "X"  # type: ignore[misc]


def test_stream_gives_the_same_rows(db: Database) -> None:
    rows = db.queries.latest_candles_in_sector(timeframe="1h", sector_id=1)
    with db.queries.latest_candles_in_sector_stream(timeframe="1h", sector_id=1,
                                                    fetch_rows=2) as s:
        streamed = list(s)
    assert streamed == rows and len(rows) >= 3
    # the connection is usable again after the stream
    assert db.queries.latest_close(asset_id=1, timeframe="1d").close_price == Decimal("125.50000000")


def test_numeric_aggregates_are_exact(db: Database) -> None:
    p = (4, 1, ts("2026-01-01T00:00:00"), ts("2026-01-03T00:00:00"))
    rows = db.queries.resample_candles(bucket_hours=4, asset_id=1,
                                       from_time=p[2], to_time=p[3])
    assert len(rows) == 12 and all(isinstance(r, ResampleCandlesRow) for r in rows)
    assert str(rows[0].open_price) == "100.00000000"
    assert_rows_equal(rows, same_sql(db, _RESAMPLE_CANDLES, p))
    # sum(volume) keeps every digit the server computed
    assert all(isinstance(r.volume, Decimal) for r in rows)
    rows = db.queries.resample_candles(bucket_hours=24, asset_id=3,
                                       from_time=p[2], to_time=p[3])
    assert len(rows) == 2
    assert_rows_equal(rows, same_sql(db, _RESAMPLE_CANDLES, (24, 3, p[2], p[3])))


def test_portfolio_and_signals_and_models_equal_the_same_sql(db: Database) -> None:
    assert_rows_equal(db.queries.portfolio_positions_valued(timeframe="1h", portfolio_id=1),
                      same_sql(db, _PORTFOLIO_POSITIONS_VALUED, ("1h", 1)))
    now = ts("2026-01-02T00:00:00")
    assert_rows_equal(db.queries.active_signals_with_regime(regime_timeframe="4h", now=now),
                      same_sql(db, _ACTIVE_SIGNALS_WITH_REGIME, ("4h", now)))
    since = ts("2026-01-01T00:00:00")
    got = db.queries.model_performance_history(since=since)
    assert_rows_equal(got, same_sql(db, _MODEL_PERFORMANCE_HISTORY, (since,)))
    assert any(r.previous_score is None for r in got)
    assert all(isinstance(r.is_best_in_category, bool) for r in got)


def test_one_and_not_found(db: Database) -> None:
    r = db.queries.latest_close(asset_id=1, timeframe="1d")
    assert isinstance(r, LatestCloseRow)
    assert_rows_equal([r], same_sql(db, _LATEST_CLOSE, (1, "1d")))
    assert str(r.close_price) == "125.50000000"
    assert r.candle_time == ts("2026-01-02T00:00:00")
    c = db.queries.user_activity_count(user_id=1, activity_type="login")
    assert_rows_equal([c], same_sql(db, _USER_ACTIVITY_COUNT, (1, "login")))
    with pytest.raises(NotFound):
        db.queries.latest_close(asset_id=4, timeframe="1d")


def test_exec_counts_the_rows_it_changed(db: Database) -> None:
    now = ts("2026-01-02T12:00:00")
    want = db.query("SELECT count(*) AS n FROM ai_trading_signals WHERE status = 'active' AND "
                    "expires_at IS NOT NULL AND expires_at <= $1::timestamptz",
                    now.isoformat())[0]["n"]
    assert want > 0
    assert db.queries.expire_stale_signals(now=now) == want
    assert db.queries.expire_stale_signals(now=now) == 0
    assert _EXPIRE_STALE_SIGNALS.row_cls is None


def test_a_check_violating_parameter_is_a_validation_error(db: Database) -> None:
    with pytest.raises(ValidationError) as ei:
        db.queries.latest_candles_in_sector(timeframe="2h", sector_id=1)
    e = ei.value
    assert e.constraint == "chk_price_data_timeframe"
    assert e.column == "timeframe"
    assert "latest_candles_in_sector" in str(e) and "timeframe" in str(e)
    assert e.violations and e.violations[0].columns == ("timeframe",)
    with pytest.raises(ValidationError) as ei:
        db.queries.user_activity_count(user_id=1, activity_type="logout")
    assert ei.value.column == "activity_type"
    assert ei.value.constraint == "chk_user_activities_activity_type"
    # the stream checks before it opens its cursor, too
    with pytest.raises(ValidationError):
        db.queries.latest_candles_in_sector_stream(timeframe="2h", sector_id=1)
    # with validation off the server answers (no candle has that timeframe)
    db.set_validation(False)
    try:
        rows = db.queries.latest_candles_in_sector(timeframe="2h", sector_id=1)
    finally:
        db.set_validation(True)
    assert rows and all(r.close_price is None for r in rows)


def test_parameters_are_typed(db: Database) -> None:
    with pytest.raises(TypeError):
        db.queries.latest_close(asset_id=None, timeframe="1d")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.queries.resample_candles(bucket_hours=4, asset_id=1,  # naive datetime
                                    from_time=datetime(2026, 1, 1), to_time=ts("2026-01-03T00:00:00"))
    with pytest.raises(TypeError):
        db.queries.latest_close(asset_id=1.5, timeframe="1d")  # type: ignore[arg-type]


def test_exported_from_the_package() -> None:
    assert cryptoerd.LatestCloseParams(asset_id=1, timeframe="1h").timeframe == "1h"
    assert issubclass(cryptoerd.Queries, object)
    opt: Optional[Decimal] = None
    assert opt is None


def statuses(db: Database) -> str:
    rows = db.query("SELECT string_agg(id || ':' || status, ',' ORDER BY id) AS s "
                    "FROM ai_trading_signals")
    return str(rows[0]["s"])


def test_exec_many_is_one_atomic_batch(db: Database) -> None:
    from cryptoerd import ExpireStaleSignalsParams, SetSignalStatusParams
    t = ts("2026-01-03T00:00:00")
    before = statuses(db)
    assert before == "1:active,2:active,3:active,4:executed,5:active"
    bad = [SetSignalStatusParams(status="executed", now=t, signal_id=1),
           SetSignalStatusParams(status="bogus", now=t, signal_id=2)]
    with pytest.raises(ValidationError) as ei:
        db.queries.set_signal_status_many(bad)
    assert "batch operation 1 (query set_signal_status)" in str(ei.value)
    assert ei.value.constraint == "chk_ai_trading_signals_status"
    assert ei.value.column == "status"
    assert statuses(db) == before  # nothing was written
    ok = [SetSignalStatusParams(status="executed", now=t, signal_id=1),
          SetSignalStatusParams(status="cancelled", now=t, signal_id=2),
          SetSignalStatusParams(status="active", now=t, signal_id=99)]
    assert db.queries.set_signal_status_many(ok) == 2
    assert statuses(db) == "1:executed,2:cancelled,3:active,4:executed,5:active"
    now = ts("2026-01-02T12:00:00")
    assert db.queries.expire_stale_signals_many([ExpireStaleSignalsParams(now=now)] * 2) == 2
    assert statuses(db) == "1:executed,2:cancelled,3:expired,4:executed,5:expired"
    assert db.queries.set_signal_status_many([]) == 0
