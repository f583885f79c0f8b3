"""Pipelined batches (bulk.h ``cerd_batch_*``): operations on rows of any tables, queued,
then sent in libpq pipeline mode without waiting for each answer, with one result per
operation.

    with conn.batch() as b:                       # runs on leaving the block
        b.insert(Assets(symbol="BTC", name="Bitcoin", asset_type="crypto"))
        b.update(user, columns=["bio"])
        b.delete(Notifications, 17)
    print(b.results[0].row.id)

    b = conn.batch(atomic=True)                   # all or nothing
    i = b.upsert(candle, key="unique_asset_timeframe_candle")
    results = b.run()                             # never raises for one operation's failure
    if results.first_error: ...

The row's class tells the table. Each queued row is converted to the library's row text
when it is queued (later changes to the object do not reach the batch) and into a C row
only for the call that queues it into the C batch; the C batch lives until ``run()``
(or ``close()``) frees it, after copying every result into Python objects.

Semantics are the C library's (cerd_batch_options.atomic):
- not atomic (default): each operation stands alone (its own implicit transaction when no
  transaction is open), so a failing operation does not stop the others. Inside a
  transaction of the caller, a failure aborts that transaction and the later operations
  fail too (ServerError "not run: an earlier operation failed").
- atomic: one transaction (the batch's own, or a savepoint of the caller's); after a
  failure the later operations are not run (ServerError "not run") and the earlier ones
  are rolled back (their results have ``rolled_back`` set).
A row refused by client-side validation takes its place in the results with a
ValidationError and is not sent (in atomic mode the batch then sends nothing).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from . import errors as E
from ._codec import Codec
from ._cerror import _s, check, error_from_record
from ._table import (DELETE_HARD, VALIDATE_INSERT, VALIDATE_STORED, Session, Table, _Row,
                     table_of)
from ._ffi import ffi, load

_OP_NAMES = ("insert", "update", "upsert", "delete", "get")

@dataclass
class BatchResult:
    """The outcome of one queued operation (cerd_batch_result).

    ``row``: the stored row (insert, update, upsert) or the row read (get), as an object
    of the table's row class; None for a delete or a failure. ``affected``: rows the
    statement affected (delete: 0 or 1). ``error``: None, or the exception the operation
    alone would have raised (NotFound for a get, update or delete that found no row,
    UniqueViolation, ValidationError with ``.violations``, ServerError "not run" ...).
    ``rolled_back``: atomic mode, the operation succeeded but the batch failed, so its
    effect was rolled back."""

    index: int
    op: str
    table: str
    row: Optional[Any]
    affected: int
    error: Optional[E.Error]
    rolled_back: bool

    @property
    def ok(self) -> bool:
        """Succeeded and was not rolled back."""
        return self.error is None and not self.rolled_back


class BatchResults(List[BatchResult]):
    """The results of a run, one per operation in queue order."""

    @property
    def first_error(self) -> Optional[E.Error]:
        """The error of the first failed operation (what cerd_batch_run() returns), or None."""
        for r in self:
            if r.error is not None:
                return r.error
        return None

    @property
    def ok(self) -> bool:
        """Every operation succeeded (and nothing was rolled back)."""
        return all(r.ok for r in self)


@dataclass
class _Op:
    kind: int            # index into _OP_NAMES
    table: str
    text: bytes          # row text (insert/update/upsert), b"" for key operations
    key: int             # -1: primary key, else a unique key index
    key_values: Tuple[Any, ...]
    columns: Optional[Tuple[str, ...]]
    flags: int


class Batch:
    """A pipelined batch on one connection (``conn.batch()``). Queue operations with
    insert/update/upsert/delete/get (each returns the operation's index), then ``run()``
    once. Also a context manager: the block's end runs it and raises the first
    operation's error, if any (the results stay in ``.results``); an exception inside the
    block discards the batch unsent."""

    def __init__(self, conn: Session, *, atomic: bool = False) -> None:
        self._conn = conn
        self._lib = load()
        self.atomic = atomic
        self._ops: List[_Op] = []
        self._ran = False
        self.results: Optional[BatchResults] = None

    def __len__(self) -> int:
        return len(self._ops)

    def _codec(self, name: str) -> Codec:
        return self._conn.table(name)._codec

    # -------------------------------------------------------------- queueing

    def _queue(self, op: _Op) -> int:
        if self._ran:
            raise E.InterfaceError("batch: already run (a batch runs once)")
        self._ops.append(op)
        return len(self._ops) - 1

    def insert(self, row: Any) -> int:
        """Queues an insert of ``row`` (write rule as Table.insert); the result's row is
        the stored row."""
        name = table_of(row)
        return self._queue(_Op(0, name, self._codec(name).encode_row(row).encode("utf-8"),
                               -1, (), None, 0))

    def update(self, row: Any, columns: Optional[Iterable[str]] = None) -> int:
        """Queues an update by ``row``'s primary key: every non-key column, or only
        ``columns``."""
        name = table_of(row)
        codec = self._codec(name)
        cols = None if columns is None else tuple(columns)
        for c in cols or ():
            if c not in codec.info.by_name:
                raise LookupError(f"{name}: no column {c!r}")
        return self._queue(_Op(1, name, codec.encode_row(row).encode("utf-8"), -1, (), cols, 0))

    def upsert(self, row: Any, key: Optional[str] = None) -> int:
        """Queues an insert-or-update on the primary key, or on unique key ``key``
        (constraint name)."""
        name = table_of(row)
        codec = self._codec(name)
        k = -1 if key is None else codec.info.unique_key_index(key)
        return self._queue(_Op(2, name, codec.encode_row(row).encode("utf-8"), k, (), None, 0))

    def _key(self, codec: Codec, row_or_class: Any, values: Sequence[Any], key: Optional[str],
             ) -> Tuple[int, Tuple[Any, ...]]:
        info = codec.info
        k = -1 if key is None else info.unique_key_index(key)
        cols = info.primary_key.columns if k < 0 else info.unique_keys[k].columns
        if not isinstance(row_or_class, type) and not isinstance(row_or_class, str):
            if values:
                raise TypeError("give a row, or a row class with key values, not both")
            values = tuple(getattr(row_or_class, info.columns[c].name) for c in cols)
        if len(values) != len(cols):
            raise TypeError(f"{info.name}: expected {len(cols)} key values, got {len(values)}")
        for c, v in zip(cols, values):
            if v is None:
                raise TypeError(f"{info.name}.{info.columns[c].name}: key value is None")
        return k, tuple(values)

    def delete(self, row_or_class: Any, *key: Any, hard: bool = False) -> int:
        """Queues a delete by primary key: ``delete(row)`` (its key fields) or
        ``delete(Assets, 17)``. Soft delete on tables with deleted_at unless ``hard``."""
        name = table_of(row_or_class)
        k, values = self._key(self._codec(name), row_or_class, key, None)
        return self._queue(_Op(3, name, b"", k, values, None, DELETE_HARD if hard else 0))

    def get(self, row_or_class: Any, *values: Any, key: Optional[str] = None) -> int:
        """Queues a read by primary key, or by unique key ``key``: ``get(Assets, 17)``,
        ``get(Assets, "BTC", key="assets_symbol_key")`` or ``get(row)``; the result's
        row is the row read (NotFound as its error when there is none)."""
        name = table_of(row_or_class)
        k, vals = self._key(self._codec(name), row_or_class, values, key)
        return self._queue(_Op(4, name, b"", k, vals, None, 0))

    # -------------------------------------------------------------- running

    def run(self) -> BatchResults:
        """Sends every queued operation in one pipeline and returns one result per
        operation. Raises only when the batch as a whole could not run (a row that cannot
        be converted, a busy or closed connection, a failed BEGIN); an operation's
        failure is in its result."""
        if self._ran:
            raise E.InterfaceError("batch: already run (a batch runs once)")
        self._ran = True
        lib = self._lib
        conn = self._conn
        cconn = conn._ptr()
        opts = ffi.new("cerd_batch_options *", {"version": 1, "atomic": self.atomic})
        bp = ffi.new("cerd_batch **")
        check(lib.cerd_batch_new(bp, opts))
        b = bp[0]
        try:
            tables = [conn.table(op.table) for op in self._ops]
            for i, (op, tbl) in enumerate(zip(self._ops, tables)):
                self._put(b, i, op, tbl)
            rc = lib.cerd_batch_run(b, cconn)
            results = BatchResults(self._result(b, i, op, tbl)
                                   for i, (op, tbl) in enumerate(zip(self._ops, tables)))
            if rc < 0 and results.first_error is None:
                raise error_from_record(rc)
        finally:
            lib.cerd_batch_free(b)
        self.results = results
        return results

    def _put(self, b: Any, index: int, op: _Op, tbl: Table[Any]) -> None:
        lib = self._lib
        t = tbl._t
        if op.kind <= 2:
            row = _Row(t, tbl.info.row_size)
            rc = lib.cerd_row_parse_text(row.buf, t, op.text, len(op.text))
        else:
            info = tbl.info
            cols = info.primary_key.columns if op.key < 0 else info.unique_keys[op.key].columns
            row = tbl._key_row(cols, op.key_values)
            rc = 0
        try:
            if rc == 0:
                if op.kind == 0:
                    rc = lib.cerd_batch_insert(b, t, row.buf)
                elif op.kind == 1:
                    cs = tbl._colset(op.columns) if op.columns is not None else ffi.NULL
                    rc = lib.cerd_batch_update(b, t, row.buf, cs)
                elif op.kind == 2:
                    rc = lib.cerd_batch_upsert(b, t, op.key, row.buf)
                elif op.kind == 3:
                    rc = lib.cerd_batch_delete(b, t, row.buf, op.flags)
                else:
                    rc = lib.cerd_batch_get(b, t, op.key, row.buf)
        finally:
            row.clear()
        if rc < 0:
            err = error_from_record(rc)
            err.message = f"batch operation {index} ({_OP_NAMES[op.kind]} {op.table}): " \
                          f"{err.message}"
            err.args = (err.message,)
            raise err

    def _result(self, b: Any, index: int, op: _Op, tbl: Table[Any]) -> BatchResult:
        lib = self._lib
        r = lib.cerd_batch_result_at(b, index)
        row = None
        error: Optional[E.Error] = None
        code = int(r.code)
        if code < 0:
            error = self._error(code, r, op, tbl)
        elif r.row != ffi.NULL:
            out = ffi.new("char **")
            n = ffi.new("size_t *")
            check(lib.cerd_rows_format_text(out, n, tbl._t, r.row, 1))
            try:
                row = tbl._codec.decode_buffer(out[0], n[0])[0]
            finally:
                lib.cerd_text_free(out[0])
        return BatchResult(index, _OP_NAMES[op.kind], op.table, row, int(r.affected), error,
                           bool(r.rolled_back))

    def _error(self, code: int, r: Any, op: _Op, tbl: Table[Any]) -> E.Error:
        lib = self._lib
        cls = E.BY_CODE.get(code, E.Error)
        kw: Dict[str, Any] = dict(code=code, code_name=_s(lib.cerd_error_name(code)),
                                  sqlstate=ffi.string(r.sqlstate).decode(), table=op.table,
                                  column=_s(r.column), constraint=_s(r.constraint),
                                  detail=_s(r.detail))
        msg = _s(r.message) or _s(lib.cerd_strerror(code))
        if cls is E.ValidationError:
            return E.ValidationError(msg, violations=self._violations(op, tbl), **kw)
        return cls(msg, **kw)

    def _violations(self, op: _Op, tbl: Table[Any]) -> List[E.Violation]:
        """What the row of a write refused client-side breaks (validated again here: the
        C batch keeps only the verdict's message)."""
        if op.kind > 2:
            return []
        row = _Row(tbl._t, tbl.info.row_size)
        try:
            if self._lib.cerd_row_parse_text(row.buf, tbl._t, op.text, len(op.text)) < 0:
                return []
            found = tbl._validate_row(row, VALIDATE_STORED if op.kind == 1 else VALIDATE_INSERT)
        finally:
            row.clear()
        if op.kind == 1 and op.columns is not None:
            wanted = set(op.columns)
            found = [v for v in found if not v.columns or wanted.intersection(v.columns)]
        return found

    def close(self) -> None:
        """Discards the batch without sending it."""
        self._ran = True
        self._ops.clear()

    def __enter__(self) -> "Batch":
        return self

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        if et is not None:
            self.close()
            return
        err = self.run().first_error
        if err is not None:
            raise err
