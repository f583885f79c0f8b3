#!/usr/bin/env python3
"""Quickstart of the cryptoerd Python binding: connect, migrate, insert, read, stream.

    CRYPTOERD_LIBRARY=build/libcryptoerd.so python3 examples/python/quickstart.py [DSN]
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Iterator

import cryptoerd
from cryptoerd import DEFAULT, Assets, PriceData


def candles(asset_id: int, start: datetime, n: int) -> Iterator[PriceData]:
    for i in range(n):
        p = Decimal("64000.12345678") + i
        yield PriceData(asset_id=asset_id, timeframe="1h", open_price=p, high_price=p + 10,
                        low_price=p - 10, close_price=p + 1, candle_time=start + timedelta(hours=i))


def main(dsn: str) -> None:
    with cryptoerd.connect(dsn) as db:
        db.migrate()
        try:
            btc = db.assets.get_by_symbol("BTC")
        except cryptoerd.NotFound:
            btc = db.assets.insert(Assets(symbol="BTC", name="Bitcoin", asset_type="crypto",
                                          current_price=Decimal("64000.12"),
                                          data_source=DEFAULT))
        assert btc.id is not None
        print("asset", btc.id, btc.symbol, btc.current_price, btc.created_at)

        t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
        with db.transaction():
            written = db.price_data.copy(candles(btc.id, t0, 48), create_partitions=True)
        print("copied", written.rows, "candles")

        day = db.price_data.range_by_asset_timeframe_time(asset_id=btc.id, timeframe="1h", start=t0,
                                            end=t0 + timedelta(days=1))
        closes = [c.close_price for c in day]
        print("first day:", len(day), "candles, max close", max(closes))

        bad = PriceData(asset_id=btc.id, timeframe="1h", open_price=Decimal(1),
                        high_price=Decimal(0), low_price=Decimal(2), close_price=Decimal(1),
                        candle_time=t0)
        for v in db.price_data.validate(bad):
            print("invalid:", v.constraint, v.columns)

        with db.price_data.stream_by_asset_timeframe_time(asset_id=btc.id, timeframe="1h") as stream:
            total = sum((c.volume or Decimal(0)) for c in stream)
        print("total volume", total)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
