"""Isolated databases (Template, TestDatabase), seeded scenarios and fixture dumps: the
library's cerd_template_*, cerd_testdb_*, cerd_seed and cerd_fixture_dump through the
binding."""
import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

import cryptoerd
from cryptoerd.testing import (Seed, Template, TestDatabase, dump_fixtures, load_fixtures,
                               seed_presets)
from cryptoerd.testing import default_dsn
from cryptoerd._tables import ROW_CLASSES

BASE = {
    "users": [{"$id": "alice", "email": "alice@example.com"},
              {"$id": "bob", "email": "bob@example.com"}],
    "assets": [{"$id": "zzt", "symbol": "ZZT", "name": "Test coin"},
               {"$id": "yyt", "symbol": "YYT", "name": "Other coin"}],
    "portfolios": [{"$id": "main", "user_id": "@users.alice"},
                   {"$id": "bobs", "user_id": "@users.bob"}],
    "portfolio_assets": [
        {"portfolio_id": "@portfolios.main", "asset_id": "@zzt",
         "added_by": "@users.alice", "last_modified_by": "@users.alice",
         "quantity": "2.50000001"},
        {"portfolio_id": "@portfolios.bobs", "asset_id": "@yyt",
         "added_by": "@users.bob", "last_modified_by": "@users.bob", "quantity": "7"},
    ],
}


def exists(conn: Any, dbname: str) -> bool:
    return bool(conn.query("SELECT 1 AS x FROM pg_database WHERE datname = $1", dbname))


@pytest.fixture
def base_file(tmp_path: Path) -> Path:
    p = tmp_path / "base.json"
    p.write_text(json.dumps(BASE))
    return p


def test_template_with_a_fixture_file_and_a_seed_preset(base_file: Path,
                                                        cryptoerd_conn: Any) -> None:
    with Template(default_dsn(), fixtures=base_file, seed=Seed("demo", scale=1, seed=3),
                  fixture_seed=9) as tpl:
        assert tpl.name.startswith("cerd_tpl_")
        assert exists(cryptoerd_conn, tpl.name)
        with tpl.clone() as clone, clone.connect() as db:
            assert clone.name.startswith(tpl.name + "_") and clone.name != tpl.name
            assert db.users.get_by_email("alice@example.com").email == "alice@example.com"
            assert db.assets.get_by_symbol("ZZT").name == "Test coin"
            assert db.assets.get_by_symbol("BTC").symbol == "BTC"   # from the preset
            assert db.assets.count() == 10 + 2                      # scale 1: 10 assets
            assert db.price_data.count() > 20000
        name = tpl.name
    assert not exists(cryptoerd_conn, name)                         # dropped on exit


def test_a_refused_fixture_raises_the_library_error_and_leaves_no_database(
        tmp_path: Path, cryptoerd_conn: Any) -> None:
    bad = dict(BASE, portfolios=[{"$id": "main", "user_id": "@users.nobody"}])
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(bad))
    name = f"cerd_py_bad_{os.getpid()}"
    with pytest.raises(cryptoerd.Error) as err:
        Template(default_dsn(), name=name, fixtures=[p])
    assert "nobody" in str(err.value)
    assert not exists(cryptoerd_conn, name)
    with pytest.raises(cryptoerd.InterfaceError):
        Template(default_dsn(), name="Not-A-Name")


def test_two_clones_are_independent(cryptoerd_template: Template) -> None:
    with cryptoerd_template.clone() as a, cryptoerd_template.clone() as b:
        assert a.name != b.name and a.dsn != b.dsn
        with a.connect() as ca, b.connect() as cb:
            ca.assets.insert(cryptoerd.Assets(symbol="ONLYA", name="A", asset_type="crypto"))
            assert ca.assets.count() == 1
            assert cb.assets.count() == 0
            assert ca.query("SELECT current_database() AS d")[0]["d"] == a.name
            assert cb.query("SELECT current_database() AS d")[0]["d"] == b.name


def test_clones_from_several_threads(cryptoerd_template: Template, cryptoerd_conn: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(4) as ex:
        clones = list(ex.map(lambda _: cryptoerd_template.clone(), range(8)))
    try:
        assert len({c.name for c in clones}) == 8
        assert all(exists(cryptoerd_conn, c.name) for c in clones)
    finally:
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda c: c.drop(), clones))
    assert not any(exists(cryptoerd_conn, c.name) for c in clones)


def test_drop_removes_the_database(cryptoerd_template: Template, cryptoerd_conn: Any) -> None:
    clone = cryptoerd_template.clone()
    assert isinstance(clone, TestDatabase)
    assert exists(cryptoerd_conn, clone.name)
    open_conn = clone.connect()          # drop forces sessions off
    clone.drop()
    assert clone.dropped
    assert not exists(cryptoerd_conn, clone.name)
    clone.drop()                         # again: nothing
    with pytest.raises(cryptoerd.InterfaceError):
        clone.connect()
    with pytest.raises(cryptoerd.Error):
        open_conn.query("SELECT 1 AS x")
    open_conn.close()


def test_close_keeps_the_template_and_a_named_one_is_replaced(cryptoerd_conn: Any) -> None:
    name = f"cerd_py_keep_{os.getpid()}"
    tpl = Template(default_dsn(), name=name)
    assert tpl.name == name
    with tpl.clone() as c, c.connect() as db:  # a database of this name is replaced below:
        db.assets.insert(cryptoerd.Assets(symbol="X", name="X", asset_type="crypto"))
    tpl.close()
    assert tpl.closed
    assert exists(cryptoerd_conn, name)
    with pytest.raises(cryptoerd.InterfaceError):
        tpl.clone()
    with Template(default_dsn(), name=name) as again:
        assert again.name == name
        assert exists(cryptoerd_conn, name)
    assert not exists(cryptoerd_conn, name)


def _counts(conn: Any) -> Dict[str, int]:
    return {name: conn.table(name).count(include_deleted=True) for name in ROW_CLASSES
            if name != "audit_log"}        # audit_log: written by triggers


def test_seed_returns_the_row_count_and_the_same_seed_gives_the_same_rows(
        cryptoerd_template: Template) -> None:
    presets = seed_presets()
    assert [p[0] for p in presets] == ["demo"]
    assert "candles" in presets[0][1]
    with cryptoerd_template.clone() as a, cryptoerd_template.clone() as b, \
            cryptoerd_template.clone() as c:
        with a.connect() as ca, b.connect() as cb, c.connect() as cc:
            before = _counts(ca)
            n = ca.seed(seed=5)
            after = _counts(ca)
            assert n > 20000
            assert n == sum(after.values()) - sum(before.values())
            assert after["assets"] == 10 and after["price_data"] > 20000
            assert cb.seed("demo", scale=1, seed=5) == n
            rows_a = ca.query("SELECT symbol, name FROM assets ORDER BY symbol")
            assert rows_a == cb.query("SELECT symbol, name FROM assets ORDER BY symbol")
            assert dump_fixtures(ca) == dump_fixtures(cb)
            cc.seed(seed=6)
            assert dump_fixtures(cc, tables=["price_data"]) != \
                dump_fixtures(ca, tables=["price_data"])
            with pytest.raises(cryptoerd.InterfaceError) as err:
                cc.seed("nonesuch")
            assert "nonesuch" in str(err.value)
            with pytest.raises(ValueError):
                cc.seed(scale=0)


def _portfolio_rows(conn: Any) -> List[Tuple[Any, ...]]:
    return [(r["email"], r["symbol"], r["quantity"]) for r in conn.query(
        "SELECT u.email, a.symbol, pa.quantity FROM portfolio_assets pa "
        "JOIN users u ON u.id = pa.user_id JOIN assets a ON a.id = pa.asset_id "
        "ORDER BY u.email")]


def test_dump_then_load_into_a_fresh_clone_gives_equal_rows(
        cryptoerd_template: Template, base_file: Path, tmp_path: Path) -> None:
    with cryptoerd_template.clone() as a, cryptoerd_template.clone() as b:
        with a.connect() as ca, b.connect() as cb:
            assert load_fixtures(ca, base_file, seed=4) == 8
            # other keys in the second database: the dump must not depend on them
            cb.exec("SELECT nextval(pg_get_serial_sequence('users', 'id')) "
                    "FROM generate_series(1, 17)")
            out = tmp_path / "dump.json"
            steps: List[Tuple[int, int]] = []
            text = dump_fixtures(ca, out, progress=lambda d, t: steps.append((d, t)))
            assert out.read_text() == text
            assert steps and steps[-1][0] == steps[-1][1] == len(steps)
            assert '"@users.users_' in text      # references written symbolically
            loaded = load_fixtures(cb, out)
            assert loaded == sum(len(rows) for rows in json.loads(text).values()) == 8
            assert _portfolio_rows(cb) == _portfolio_rows(ca) == [
                ("alice@example.com", "ZZT", Decimal("2.50000001")),
                ("bob@example.com", "YYT", Decimal("7"))]
            assert cb.users.get_by_email("bob@example.com").id != \
                ca.users.get_by_email("bob@example.com").id
            assert dump_fixtures(cb) == text


def test_dump_options_tables_roots_and_errors(cryptoerd_db: Any, base_file: Path) -> None:
    load_fixtures(cryptoerd_db, base_file)
    only = json.loads(dump_fixtures(cryptoerd_db, tables=[cryptoerd.Assets]))
    assert list(only) == ["assets"]
    assert sorted(r["symbol"] for r in only["assets"]) == ["YYT", "ZZT"]
    main = cryptoerd_db.query("SELECT p.id FROM portfolios p JOIN users u ON u.id = p.user_id "
                              "WHERE u.email = $1", "alice@example.com")
    assert len(main) == 1
    reached = json.loads(dump_fixtures(cryptoerd_db, roots=[("portfolios", int(main[0]["id"]))]))
    assert [u["email"] for u in reached["users"]] == ["alice@example.com"]
    assert [a["symbol"] for a in reached["assets"]] == ["ZZT"]
    assert len(reached["portfolio_assets"]) == 1

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt(f"{done}/{total}")
    with pytest.raises(KeyboardInterrupt, match="1/"):   # re-raised after the dump
        dump_fixtures(cryptoerd_db, progress=stop)
    with pytest.raises(cryptoerd.InterfaceError) as err:
        dump_fixtures(cryptoerd_db, tables=["no_such_table"])
    assert "no_such_table" in str(err.value)
    with pytest.raises(cryptoerd.InterfaceError):
        dump_fixtures(cryptoerd_db, roots=[("portfolios", 987654321)])


def test_plugin_fixtures_are_clones_of_the_session_template(
        cryptoerd_template: Template, cryptoerd_database: str, cryptoerd_db: Any,
        cryptoerd_conn: Any) -> None:
    assert isinstance(cryptoerd_template, Template) and not cryptoerd_template.closed
    mine = cryptoerd_db.query("SELECT current_database() AS d")[0]["d"]
    shared = cryptoerd_conn.query("SELECT current_database() AS d")[0]["d"]
    assert mine != shared
    for d in (mine, shared):
        assert d.startswith(cryptoerd_template.name + "_")
        assert exists(cryptoerd_conn, d)
    assert cryptoerd_db.assets.count() == 0      # migrated, empty
    cryptoerd_db.assets.insert(cryptoerd.Assets(symbol="MINE", name="M", asset_type="crypto"))
    assert cryptoerd_conn.assets.count() == 0    # another database


def test_the_package_issues_no_database_ddl_of_its_own() -> None:
    root = Path(cryptoerd.__file__).parent
    ddl = re.compile(r"\b(create|drop)\s+database\b", re.IGNORECASE)
    files = list(root.rglob("*.py"))
    assert len(files) > 5
    for p in files:
        found = ddl.search(p.read_text())
        assert found is None, f"{p}: {found and found.group(0)}"
