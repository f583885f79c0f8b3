"""The thread-safe pool (cerd_pool) and connect(): both hand out the generated, typed
Database connections."""
from __future__ import annotations

import contextlib
from typing import Any, Callable, ContextManager, Dict, Iterator, Optional, TypeVar, Union

from . import errors as E
from ._admin import AfterConnect, pool_error, register_hooked_pool, unregister_hooked_pool
from ._cerror import check
from ._connection import retry
from ._ffi import ffi, load
from ._lend import lend
from ._replica import LSN, read_connection
from ._tables import Database

R = TypeVar("R")


def connect(dsn: Optional[str] = "") -> Database:
    """Opens a connection (libpq connection string or URI; "" uses the PG* environment)."""
    return Database(dsn)


_TARGETS = {"read-write": 0, "prefer-standby": 1, "any": 2}


class Pool:
    """A thread-safe pool (cerd_pool). ``with Pool(dsn, max_size=8) as pool:``;
    ``with pool.connection(as_user=42) as conn:``.

    Read replicas: ``target`` is which servers the pool uses ("read-write", the default:
    only a primary; "prefer-standby": a standby among the hosts while there is one;
    "any"); ``fallback`` is the pool (of the primary) whose connections
    ``read_connection`` lends when this pool's standby has not replayed a token within
    ``replay_timeout`` seconds (it must outlive this pool). ``standby`` (a connection
    string of the standbys) makes both at once: a read pool on it with this pool as its
    fallback, used by ``read_connection`` and closed with this pool.

    ``after_connect(conn)`` runs on every session the pool opens (and again after the pool
    resets a session on which raw SQL ran), before the session is lent: SET a GUC, prepare
    something. It runs on the pool's threads too; ``conn`` is valid during the call only
    and must be left with no transaction open; it must not use this pool. An exception
    fails that connection attempt: ``Pool()`` or ``connection()`` raise ConnectError
    naming it (chained as ``__cause__``)."""

    def __init__(self, dsn: Optional[str] = "", *, min_size: int = 1, max_size: int = 10,
                 acquire_timeout: float = 5.0, connect_timeout: float = 5.0,
                 statement_timeout: float = 0.0, named_statements: bool = True,
                 target: str = "read-write", fallback: Optional["Pool"] = None,
                 standby: Optional[str] = None, replay_timeout: float = 1.0,
                 after_connect: Optional[Callable[[Any], None]] = None) -> None:
        self._lib = load()
        self._p: Any = None
        self._reads: Optional[Pool] = None
        self._hook = AfterConnect(after_connect, Database) if after_connect is not None else None
        if target not in _TARGETS:
            raise ValueError(f"target must be one of {sorted(_TARGETS)}, not {target!r}")
        self._fallback = fallback  # kept alive: the C pool borrows it
        self.replay_timeout = replay_timeout
        self._dsn = ffi.new("char[]", (dsn or "").encode())
        opts = ffi.new("cerd_pool_options *", {
            "version": 2, "conninfo": self._dsn, "min_size": min_size, "max_size": max_size,
            "acquire_timeout_ms": int(acquire_timeout * 1000),
            "connect_timeout_ms": int(connect_timeout * 1000), "idle_timeout_ms": 600000,
            "max_lifetime_ms": 1800000, "lifetime_jitter_ms": 60000,
            "health_check_period_ms": 5000, "idle_check_ms": 500,
            "statement_timeout_ms": int(statement_timeout * 1000),
            "idle_in_transaction_timeout_ms": 0, "target": _TARGETS[target],
            "named_statements": 1 if named_statements else 0,
            "fallback": fallback._ptr() if fallback is not None else ffi.NULL,
            "after_connect": self._hook.c_func if self._hook else ffi.NULL})
        out = ffi.new("cerd_pool **")
        self._check(lambda: int(self._lib.cerd_pool_new(out, opts)))
        self._p = out[0]
        if self._hook is not None:
            register_hooked_pool(self)
        if standby is not None:
            try:
                self._reads = Pool(standby, min_size=min_size, max_size=max_size,
                                   acquire_timeout=acquire_timeout,
                                   connect_timeout=connect_timeout,
                                   statement_timeout=statement_timeout,
                                   named_statements=named_statements, target="prefer-standby",
                                   fallback=self, replay_timeout=replay_timeout,
                                   after_connect=after_connect)
            except BaseException:
                self.close()
                raise

    def _ptr(self) -> Any:
        if self._p is None:
            raise E.InterfaceError("the pool is closed")
        return self._p

    def _check(self, call: Callable[[], int]) -> None:
        mark = self._hook.mark() if self._hook is not None else 0
        rc = call()
        if rc < 0:
            raise pool_error(rc, self._hook, mark)

    @contextlib.contextmanager
    def connection(self, as_user: Optional[int] = None) -> Iterator[Any]:
        """Borrows a connection. With ``as_user``, a transaction is open on it acting as
        that user for row-level security: committed on exit, rolled back on an exception.
        The connection goes back to the pool on exit."""
        out = ffi.new("cerd_conn **")
        p = self._ptr()
        if as_user is None:
            self._check(lambda: int(self._lib.cerd_pool_acquire(out, p)))
        else:
            self._check(lambda: int(self._lib.cerd_pool_acquire_as(out, p, as_user)))
        with lend(Database(_ptr=out[0], _pool=self), p, as_user) as conn:
            yield conn

    def read_connection(self, after: Union[LSN, int, str, None] = None,
                        as_user: Optional[int] = None,
                        timeout: Optional[float] = None) -> ContextManager[Any]:
        """Borrows a connection for reading on which the write of token ``after`` (an LSN
        from ``conn.commit_lsn()``) is visible (cerd_pool_acquire_read): from the read pool
        (``standby=``) or this pool, once its server is a primary or a standby that has
        replayed ``after``; waits at most ``timeout`` seconds (default
        ``replay_timeout``), then lends a connection of the fallback pool, or raises
        Timeout when there is none. ``after=None``: any connection, no condition. With
        ``as_user``, a transaction acting as that user is open (committed on exit, as in
        ``connection``). Released on exit."""
        return read_connection(self, Database, after, as_user, timeout)

    def transact(self, fn: Callable[[Any], R], *, as_user: Optional[int] = None,
                 isolation: Optional[str] = None, max_attempts: int = 10) -> R:
        """Runs ``fn(conn)`` in a retried transaction on a borrowed connection (acting as
        ``as_user`` when given)."""
        if as_user is None:
            with self.connection() as conn:
                value: R = conn.transact(fn, isolation=isolation, max_attempts=max_attempts)
                return value
        # as_user: the pool begins the user's transaction; retry around the whole borrow
        def once() -> R:
            with self.connection(as_user=as_user) as c:
                return fn(c)
        return retry(once, attempts=max_attempts)

    @property
    def read_pool(self) -> Optional["Pool"]:
        """The read pool made by ``standby=`` (for its ``stats()``: replay_waits,
        replay_fallbacks, replay_timeouts), or None."""
        return self._reads

    def stats(self) -> Dict[str, int]:
        st = ffi.new("cerd_pool_statistics *", {"version": 2})
        check(self._lib.cerd_pool_stats(st, self._ptr()))
        return {f: int(getattr(st, f)) for f, _ in ffi.typeof("cerd_pool_statistics").fields
                if f != "version"}

    def close(self) -> None:
        if self._reads is not None:  # before the pool it falls back on
            reads, self._reads = self._reads, None
            reads.close()
        if self._p is not None:
            p, self._p = self._p, None
            self._lib.cerd_pool_free(p)
        if self._hook is not None:  # the callback stays referenced by self._hook
            unregister_hooked_pool(self)

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
