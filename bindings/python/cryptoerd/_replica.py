"""Read replicas with read-your-writes (pool.h, conn.h): a write committed with
``conn.commit_lsn()`` gives an LSN token; ``pool.read_connection(after=token)`` lends a
connection on which that write is visible (a standby that has replayed that far, or the
primary).

    with cryptoerd.Pool(primary_dsn, standby="host=replica1,replica2 dbname=app") as pool:
        with pool.connection() as conn:
            with conn.transaction():
                conn.assets.insert(row)
                token = conn.commit_lsn()          # commits; the block's end then does nothing
        with pool.read_connection(after=token) as conn:
            conn.assets.get_by_symbol(row.symbol)  # sees the write

``Pool(..., standby=dsn)`` opens a second, read pool on ``dsn`` (target prefer-standby)
whose fallback is the pool itself: when the standby has not replayed the token within
``replay_timeout`` seconds, a connection of the primary is lent instead. Without
``standby``, ``read_connection`` reads from the pool itself (for instance one made with
``target="prefer-standby"`` and ``fallback=`` a pool of the primary, as in C).
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Type, Union

from . import errors as E
from ._cerror import check
from ._ffi import ffi, load
from ._lend import lend
from ._table import Session

_LSN_RE = re.compile(r"^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$")


@dataclass(frozen=True, order=True)
class LSN:
    """A position in the write-ahead log (cerd_lsn, PostgreSQL's pg_lsn): the token of
    read-your-writes. A plain value: compare (positions of one cluster are ordered: after
    several writes keep the largest, ``max(a, b)``), store it as ``int(lsn)`` or
    ``str(lsn)`` ("16/B374D848", as pg_lsn prints) and read it back with ``LSN(n)`` or
    ``LSN.parse(text)``. ``LSN(0)`` is "none" and is false."""

    value: int

    def __post_init__(self) -> None:
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise TypeError(f"LSN value must be int, not {type(self.value).__name__}")
        if not 0 <= self.value < 1 << 64:
            raise ValueError(f"LSN value out of range: {self.value}")

    @classmethod
    def parse(cls, text: str) -> "LSN":
        """The LSN of pg_lsn text "16/B374D848"."""
        m = _LSN_RE.match(text.strip())
        if not m:
            raise ValueError(f"not a pg_lsn: {text!r}")
        return cls((int(m.group(1), 16) << 32) | int(m.group(2), 16))

    def __str__(self) -> str:
        return f"{self.value >> 32:X}/{self.value & 0xFFFFFFFF:X}"

    def __repr__(self) -> str:
        return f"LSN('{self}')"

    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __bool__(self) -> bool:
        return self.value != 0


def commit_lsn(conn: Session) -> LSN:
    """Commits the open transaction and gives the WAL position that covers the commit
    (cerd_conn_commit_lsn, same round trip)."""
    if conn._depth > 1:
        raise E.InterfaceError("commit_lsn(): call it at the outermost transaction level, "
                               "not inside a savepoint block")
    out = ffi.new("cerd_lsn *")
    check(load().cerd_conn_commit_lsn(out, conn._ptr()))
    if conn._depth == 1:
        conn._ended = True  # the enclosing block (transaction() or as_user) has nothing to commit
    return LSN(int(out[0].value))


def _token(after: Union[LSN, int, str, None]) -> Any:
    if after is None:
        return ffi.NULL
    if isinstance(after, str):
        after = LSN.parse(after)
    v = int(after)
    if not 0 <= v < 1 << 64:
        raise ValueError(f"LSN value out of range: {v}")
    return ffi.new("cerd_lsn *", {"value": v})


@contextlib.contextmanager
def read_connection(pool: Any, connection_class: Type[Any],
                    after: Union[LSN, int, str, None] = None, as_user: Optional[int] = None,
                    timeout: Optional[float] = None) -> Iterator[Any]:
    """Pool.read_connection (see there); ``pool`` a cryptoerd.Pool, its connections
    handed out as ``connection_class`` (the generated Database)."""
    lib = load()
    reads = pool._reads if pool._reads is not None else pool
    secs = pool.replay_timeout if timeout is None else timeout
    if secs < 0:
        raise ValueError("timeout must be >= 0")
    ms = min(int(secs * 1000), 0xFFFFFFFF)
    token = _token(after)
    out = ffi.new("cerd_conn **")
    p = reads._ptr()
    if as_user is None:
        check(lib.cerd_pool_acquire_read(out, p, token, ms))
    else:
        check(lib.cerd_pool_acquire_read_as(out, p, token, ms, as_user))
    with lend(connection_class(_ptr=out[0], _pool=reads), p, as_user) as conn:
        yield conn
