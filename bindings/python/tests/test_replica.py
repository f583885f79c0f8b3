"""Read replicas with read-your-writes on a REAL primary and streaming standby of the
test's own (scripts/pg_pair.sh: initdb, pg_basebackup -R, asynchronous replication, the
shell twin of the C tests' pt_pair_start): conn.commit_lsn() tokens, pool.read_connection()
on the standby, a paused standby timing out or falling back to the primary."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import pytest

import cryptoerd
from cryptoerd import LSN, Assets

ROOT = Path(__file__).resolve().parents[3]
PAIR = ROOT / "scripts" / "pg_pair.sh"
PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")


def dsn(port: int) -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname=postgres"


@pytest.fixture(scope="module")
def pair() -> Iterator[Tuple[str, str, str]]:
    """(primary DSN, standby DSN, both hosts DSN) of a primary + streaming standby."""
    if not os.access(os.path.join(PGBIN, "initdb"), os.X_OK):
        pytest.skip(f"no PostgreSQL server binaries in {PGBIN} to make a primary and a "
                    "standby of the test's own (set PGBIN)")
    base = f"/tmp/cerd_pypair_{os.getpid()}"
    subprocess.run([str(PAIR), "stop", base], check=False, capture_output=True)
    p = subprocess.run([str(PAIR), "start", base], capture_output=True, text=True, timeout=180)
    if p.returncode != 0:
        subprocess.run([str(PAIR), "stop", base], check=False, capture_output=True)
        pytest.fail(f"scripts/pg_pair.sh could not start a primary and a standby:\n{p.stderr}")
    ports: Dict[str, int] = {}
    for line in p.stdout.split():
        k, _, v = line.partition("=")
        ports[k] = int(v)
    try:
        primary, standby = dsn(ports["PRIMARY_PORT"]), dsn(ports["STANDBY_PORT"])
        with cryptoerd.connect(primary) as db:
            db.migrate()
        both = (f"host=127.0.0.1,127.0.0.1 port={ports['PRIMARY_PORT']},{ports['STANDBY_PORT']}"
                " user=postgres dbname=postgres")
        yield primary, standby, both
    finally:
        subprocess.run([str(PAIR), "stop", base], check=False, capture_output=True)


def server(conn: Any) -> Tuple[bool, int]:
    """(in recovery, port) of the server conn is on."""
    r = conn.query("SELECT pg_is_in_recovery() AS standby, inet_server_port() AS port")[0]
    return bool(r["standby"]), int(r["port"])


def sees(conn: Any, symbol: str) -> bool:
    try:
        conn.assets.get_by_symbol(symbol)
        return True
    except cryptoerd.NotFound:
        return False


def write(pool: cryptoerd.Pool, symbol: str) -> LSN:
    with pool.connection() as conn:
        assert server(conn)[0] is False
        with conn.transaction():
            conn.assets.insert(Assets(symbol=symbol, name="Read your writes", asset_type="crypto"))
            token: LSN = conn.commit_lsn()  # commits; the block's end has nothing left to do
    assert token
    return token


def pause_replay(standby: str, on: bool) -> None:
    with cryptoerd.connect(standby) as s:
        s.exec("SELECT pg_wal_replay_pause()" if on else "SELECT pg_wal_replay_resume()")
        want = "paused" if on else "not paused"
        for _ in range(1000):
            if s.query("SELECT pg_get_wal_replay_pause_state() AS s")[0]["s"] == want:
                return
            time.sleep(0.02)
    raise AssertionError(f"the standby's replay is not {want} after 20 s")


def test_lsn_is_a_plain_value() -> None:
    a = LSN.parse("16/B374D848")
    assert int(a) == 0x16B374D848 and str(a) == "16/B374D848" and repr(a) == "LSN('16/B374D848')"
    assert LSN(int(a)) == a and hash(LSN(int(a))) == hash(a)
    assert LSN(5) < LSN(0x100000000) and max(LSN(7), LSN(3)) == LSN(7)
    assert str(LSN(0x100000000)) == "1/0" and not LSN(0) and LSN(1)
    with pytest.raises(ValueError):
        LSN.parse("nope")
    with pytest.raises(ValueError):
        LSN(-1)
    with pytest.raises(TypeError):
        LSN("1/2")  # type: ignore[arg-type]


def test_a_read_with_the_token_sees_the_write_on_the_standby(pair: Tuple[str, str, str]) -> None:
    primary, standby, both = pair
    standby_port = int(standby.split("port=")[1].split()[0])
    with cryptoerd.Pool(primary, max_size=2, standby=both, replay_timeout=10.0) as pool:
        previous = LSN(0)
        for i in range(50):
            symbol = f"PYRYW{i}"
            token = write(pool, symbol)
            assert token > previous  # each commit's position is past the one before
            previous = token
            after: "LSN | int | str" = (str(token) if i % 3 == 1
                                        else int(token) if i % 3 == 2 else token)
            with pool.read_connection(after=after) as r:
                assert server(r) == (True, standby_port)  # a read on the standby...
                assert sees(r, symbol)                    # ...that sees the write
        assert pool.read_pool is not None
        st = pool.read_pool.stats()
        assert st["replay_fallbacks"] == 0 and st["replay_timeouts"] == 0
        assert st["in_use"] == 0 and pool.stats()["in_use"] == 0


def test_a_paused_standby_times_out_or_falls_back(pair: Tuple[str, str, str]) -> None:
    primary, standby, both = pair
    with cryptoerd.Pool(primary, max_size=2) as writes, \
            cryptoerd.Pool(both, max_size=2, target="prefer-standby", fallback=writes) as reads_fb, \
            cryptoerd.Pool(both, max_size=2, target="prefer-standby") as reads:
        token = write(writes, "PYCAUGHTUP")
        with reads.read_connection(after=token, timeout=10) as r:
            assert sees(r, "PYCAUGHTUP")
        pause_replay(standby, True)
        try:
            token = write(writes, "PYPAUSED")
            # without a fallback: Timeout after the bound
            t0 = time.monotonic()
            with pytest.raises(cryptoerd.Timeout) as info:
                with reads.read_connection(after=token, timeout=0.3):
                    pass
            assert time.monotonic() - t0 >= 0.3
            assert "replayed" in info.value.message
            st = reads.stats()
            assert (st["replay_timeouts"], st["replay_fallbacks"], st["in_use"]) == (1, 0, 0)
            # with a fallback: a connection to the primary, which sees the write
            with reads_fb.read_connection(after=token, timeout=0.3) as r:
                assert server(r)[0] is False and sees(r, "PYPAUSED")
            # acting as a user: a transaction with the user set, on the primary
            with reads_fb.read_connection(after=token, timeout=0, as_user=42) as r:
                assert server(r)[0] is False
                assert r.query("SELECT current_setting('app.current_user_id') AS u")[0]["u"] == "42"
            st = reads_fb.stats()
            assert (st["replay_fallbacks"], st["replay_timeouts"], st["in_use"]) == (2, 0, 0)
            assert writes.stats()["in_use"] == 0
            # no token: no condition, the standby (which does not have the write)
            with reads.read_connection() as r:
                assert server(r)[0] is True and not sees(r, "PYPAUSED")
        finally:
            pause_replay(standby, False)
        # replay resumes: on the standby again, and the write is there
        with reads_fb.read_connection(after=token, timeout=10, as_user=42) as r:
            assert server(r)[0] is True and sees(r, "PYPAUSED")


def test_commit_lsn_ends_a_users_transaction(pair: Tuple[str, str, str]) -> None:
    primary, _, both = pair
    with cryptoerd.Pool(primary, standby=both, replay_timeout=10.0) as pool:
        with pool.connection(as_user=7) as conn:
            conn.assets.insert(Assets(symbol="PYASUSER", name="x", asset_type="crypto"))
            token = conn.commit_lsn()  # the pool's user transaction: nothing left to commit
        with pool.read_connection(after=token, as_user=7) as r:
            assert sees(r, "PYASUSER")
        with pool.connection() as conn:
            with conn.transaction():
                with conn.transaction():  # a savepoint: commit_lsn belongs to the outer level
                    with pytest.raises(cryptoerd.InterfaceError):
                        conn.commit_lsn()
        with pool.connection() as conn:
            conn.begin()
            conn.assets.insert(Assets(symbol="PYBEGIN", name="x", asset_type="crypto"))
            token = conn.commit_lsn()
        with pool.read_connection(after=token) as r:
            assert sees(r, "PYBEGIN")
