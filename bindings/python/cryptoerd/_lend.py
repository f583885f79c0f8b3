"""A pooled connection lent to the caller for a ``with`` block: the one way Pool.connection
and Pool.read_connection hand out a cerd_conn and take it back."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

from ._cerror import check
from ._ffi import load


@contextlib.contextmanager
def lend(conn: Any, pool_ptr: Any, as_user: Optional[int]) -> Iterator[Any]:
    """Yields ``conn`` (a Database over a cerd_conn acquired from ``pool_ptr``). With
    ``as_user`` the acquire opened that user's transaction: committed on a normal exit
    (unless conn.commit_lsn() already ended it), rolled back by the release after an
    exception. The cerd_conn goes back to the pool in every case, and ``conn`` is closed
    for the caller (it may not keep it)."""
    lib = load()
    ptr = conn._c
    if as_user is not None:
        conn._depth = 1
    try:
        yield conn
        if as_user is not None:
            conn._depth = 0
            if conn._ended:  # committed by commit_lsn()
                conn._ended = False
            else:
                check(lib.cerd_conn_commit(ptr))
    finally:
        conn._c = None
        lib.cerd_pool_release(pool_ptr, ptr)
