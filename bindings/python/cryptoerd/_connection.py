"""Connections and transactions (cerd_conn) over the public C API through cffi (ABI mode:
the GIL is released during every C call)."""
from __future__ import annotations

import contextlib
import random
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Type, TypeVar

from . import errors as E
from ._admin import AdminMixin
from ._batch import Batch
from ._cerror import check, error_from_record
from ._closing import Closing
from ._codec import json_loads
from ._ffi import ffi, load
from ._replica import LSN, commit_lsn
from ._table import Table, codec_for

R = TypeVar("R")

_ISOLATION = {None: 0, "default": 0, "read committed": 1, "repeatable read": 2,
              "serializable": 3}


class Transaction:
    def __init__(self, conn: "Connection", savepoint: Optional[str]) -> None:
        self.conn = conn
        self.savepoint = savepoint


class Connection(AdminMixin, Closing):
    """One connection (cerd_conn). A context manager that closes it on exit (a
    transaction still open is rolled back: use ``with conn.transaction():`` to commit).
    Statements outside a transaction commit one by one. Used by one thread at a time;
    tables are attributes: ``conn.assets.get(1)``."""

    def __init__(self, dsn: Optional[str] = "", *, _ptr: Any = None, _pool: Any = None) -> None:
        self._lib = load()
        self._tables: Dict[str, Table[Any]] = {}
        self._depth = 0
        self._sp = 0
        self._ended = False  # commit_lsn() ended the outermost transaction
        self._pool = _pool
        if _ptr is not None:
            self._c: Any = _ptr
            return
        out = ffi.new("cerd_conn **")
        check(self._lib.cerd_conn_open(out, (dsn or "").encode()))
        self._c = out[0]

    def _ptr(self) -> Any:
        if self._c is None:
            raise E.InterfaceError("the connection is closed")
        return self._c

    #: The typed accessor class of each table (the generated Database sets it); a table
    #: not in it gets the generic Table with a row class made from its descriptor.
    _table_classes: Dict[str, Type[Table[Any]]] = {}

    def table(self, name: str) -> Table[Any]:
        """The accessor of table ``name``."""
        t = self._tables.get(name)
        if t is None:
            cls = self._table_classes.get(name, Table)
            t = cls(self, codec_for(name, getattr(cls, "row_class", None)))
            self._tables[name] = t
        return t

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        lib = load()
        if lib.cerd_table_find(name.encode()) == ffi.NULL:
            raise AttributeError(f"{type(self).__name__} has no attribute or table {name!r}")
        return self.table(name)

    # -------------------------------------------------------------- session

    def exec(self, sql: str) -> None:
        """Runs fixed SQL statements (DDL, SET...) through cerd_conn_exec: never format
        values into it."""
        check(self._lib.cerd_conn_exec(self._ptr(), sql.encode()))

    def query(self, sql: str, *params: Optional[str]) -> List[Dict[str, Any]]:
        """Rows of any SELECT as dicts, through cerd_conn_query_json (numbers exact as
        Decimal/int, timestamps as ISO strings); params are text, $1, $2, ..."""
        out = ffi.new("void **")
        cparams = [ffi.new("char[]", p.encode()) if p is not None else ffi.NULL for p in params]
        arr = ffi.new("const char *[]", cparams) if cparams else ffi.NULL
        check(self._lib.cerd_conn_query_json(out, self._ptr(), sql.encode(), len(cparams), arr))
        try:
            text = ffi.new("char **")
            check(self._lib.cerd_json_print(text, out[0], 0))
            try:
                return json_loads(ffi.string(text[0]).decode())  # type: ignore[no-any-return]
            finally:
                self._lib.free(text[0])
        finally:
            self._lib.cJSON_Delete(out[0])

    def migrate(self) -> int:
        """Applies the library's migrations; returns how many were applied."""
        n = ffi.new("int *")
        check(self._lib.cerd_migrate(n, self._ptr()))
        return int(n[0])

    def set_validation(self, on: bool) -> None:
        self._lib.cerd_conn_set_validation(self._ptr(), on)

    @property
    def io_timeout(self) -> float:
        """Seconds every wait for the server may go without progress before the call
        gives up with ``Timeout`` (an OperationalError, CERD_ETIMEOUT) and the connection is closed
        (cerd_conn_set_io_timeout): the bound against a server or proxy that goes silent
        while TCP looks healthy. Default: the session's statement_timeout (a pool's
        ``statement_timeout``) plus 5 s; 0.0: off."""
        return int(self._lib.cerd_conn_io_timeout(self._ptr())) / 1000

    @io_timeout.setter
    def io_timeout(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("io_timeout must be >= 0")
        self._lib.cerd_conn_set_io_timeout(self._ptr(), round(seconds * 1000))

    @property
    def ok(self) -> bool:
        return self._c is not None and bool(self._lib.cerd_conn_ok(self._c))

    # -------------------------------------------------------------- transactions

    def begin(self) -> None:
        check(self._lib.cerd_conn_begin(self._ptr()))

    def commit(self) -> None:
        check(self._lib.cerd_conn_commit(self._ptr()))

    def rollback(self) -> None:
        check(self._lib.cerd_conn_rollback(self._ptr()))

    def commit_lsn(self) -> LSN:
        """Commits the open transaction and returns the write-ahead-log position that
        covers the commit (cerd_conn_commit_lsn): the token for
        ``pool.read_connection(after=...)``. Inside ``with conn.transaction():`` (or a
        connection from ``pool.connection(as_user=...)``) call it last: the block's end
        then has nothing left to commit."""
        return commit_lsn(self)

    def batch(self, *, atomic: bool = False) -> Batch:
        """A pipelined batch of operations on rows of any tables (cerd_batch_*): see
        cryptoerd.Batch. ``atomic``: all or nothing."""
        return Batch(self, atomic=atomic)

    @contextlib.contextmanager
    def transaction(self) -> Iterator["Connection"]:
        """``with conn.transaction():`` commits on exit, rolls back on an exception;
        nested, a savepoint. (A connection from ``pool.connection(as_user=...)`` already
        is in a transaction: the outer block then is a savepoint.)"""
        lib = self._lib
        c = self._ptr()
        if self._depth == 0:
            check(lib.cerd_conn_begin(c))
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                self._ended = False
                lib.cerd_conn_rollback(c)
                raise
            self._depth -= 1
            if self._ended:  # committed inside the block by commit_lsn()
                self._ended = False
                return
            check(lib.cerd_conn_commit(c))
            return
        self._sp += 1
        name = f"cerd_py_sp{self._sp}"
        check(lib.cerd_conn_savepoint(c, name.encode()))
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth -= 1
            lib.cerd_conn_rollback_to(c, name.encode())
            lib.cerd_conn_release(c, name.encode())
            raise
        self._depth -= 1
        check(lib.cerd_conn_release(c, name.encode()))

    def transact(self, fn: Callable[["Connection"], R], *, isolation: Optional[str] = None,
                 max_attempts: int = 10) -> R:
        """Runs ``fn(conn)`` in a transaction with cerd_conn_transact: commits, and on a
        serialization failure or deadlock rolls back, waits a growing randomised time and
        runs ``fn`` again (at most ``max_attempts`` times). ``fn`` must be safe to re-run."""
        lib = self._lib
        result: List[Any] = []
        failure: List[BaseException] = []

        @ffi.callback("int(cerd_conn *, void *)")  # type: ignore[misc]
        def attempt(_c: Any, _arg: Any) -> int:
            result.clear()
            failure.clear()
            self._depth += 1
            try:
                result.append(fn(self))
                return 0
            except E.Error as e:
                failure.append(e)
                return e.code if e.code < 0 else -1
            except BaseException as e:  # noqa: BLE001 - re-raised below
                failure.append(e)
                return -1
            finally:
                self._depth -= 1

        opts = ffi.new("cerd_txn_options *", {"version": 2, "isolation": _ISOLATION[isolation],
                                              "max_attempts": max_attempts})
        rc = lib.cerd_conn_transact(self._ptr(), opts, attempt, ffi.NULL)
        if rc < 0:
            if failure:
                raise failure[0]
            raise error_from_record(rc)
        value: R = result[0]
        return value

    # -------------------------------------------------------------- lifetime

    def close(self) -> None:
        if self._c is not None and self._pool is None:
            self._lib.cerd_conn_free(self._c)
        self._c = None


def retry(fn: Callable[[], R], *, attempts: int = 10, base_delay: float = 0.005) -> R:
    """Calls ``fn()`` again after SerializationFailure (randomised growing back-off)."""
    for i in range(attempts):
        try:
            return fn()
        except E.SerializationFailure:
            if i == attempts - 1:
                raise
            time.sleep(random.uniform(0, base_delay * (2 ** i)))
    raise AssertionError("unreachable")

