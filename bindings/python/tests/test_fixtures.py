"""load_fixtures: the library's fixture files through the binding."""
import json
from decimal import Decimal
from pathlib import Path

import pytest

import cryptoerd
from cryptoerd.testing import load_fixtures

FIXTURE = {
    "users": [{"$id": "alice", "email": "alice@example.com"}],
    "assets": [{"$id": "btc", "symbol": "BTC", "name": "Bitcoin"}],
    "portfolios": [{"$id": "main", "user_id": "@users.alice"}],
    "portfolio_assets": [
        {"portfolio_id": "@portfolios.main", "asset_id": "@btc",
         "added_by": "@users.alice", "last_modified_by": "@users.alice",
         "quantity": "1.50000001"}
    ],
}


def test_load_fixtures_resolves_references_and_fills_columns(cryptoerd_db, tmp_path: Path):
    path = tmp_path / "set.json"
    path.write_text(json.dumps(FIXTURE))
    assert load_fixtures(cryptoerd_db, path, seed=7) == 4
    alice = cryptoerd_db.users.get_by_email("alice@example.com")
    (pos,) = cryptoerd_db.portfolio_assets.list()
    assert pos.user_id == alice.id            # copied from the portfolio (composite key)
    assert pos.quantity == Decimal("1.50000001")
    assert cryptoerd_db.assets.get_by_symbol("BTC").name == "Bitcoin"


def test_load_fixtures_refuses_the_whole_set(cryptoerd_db, tmp_path: Path):
    bad = dict(FIXTURE, portfolios=[{"$id": "main", "user_id": "@users.nobody"}])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(cryptoerd.Error) as err:
        load_fixtures(cryptoerd_db, path)
    assert "nobody" in str(err.value)
    assert cryptoerd_db.users.count() == 1     # only the system user of the schema
    assert cryptoerd_db.assets.count() == 0
