"""Connections, pools, transactions and the generic per-table accessor, over the public
C API through cffi (ABI mode: the GIL is released during every C call)."""
from __future__ import annotations

import contextlib
import random
import threading
import time
from dataclasses import dataclass
from typing import (TYPE_CHECKING, Any, Callable, ContextManager, Dict, Generic, Iterable,
                    Iterator, List, Optional, Sequence, Tuple, Type, TypeVar, Union)

from . import errors as E
from ._admin import (AdminMixin, AfterConnect, pool_error, register_hooked_pool,
                     unregister_hooked_pool)
from ._codec import Codec, TableInfo, json_loads
from ._ffi import ffi, load

if TYPE_CHECKING:
    from ._batch import Batch
    from ._replica import LSN
    from ._queries import Queries

T = TypeVar("T")
R = TypeVar("R")

ROW_INCLUDE_DELETED = 2
DELETE_HARD = 1
VALIDATE_INSERT, VALIDATE_STORED = 1, 2
_VIOLATION_KINDS = {1: "not_null", 2: "length", 3: "numeric_precision", 4: "type",
                    5: "encoding", 6: "check"}
_ISOLATION = {None: 0, "default": 0, "read committed": 1, "repeatable read": 2,
              "serializable": 3}


def _s(p: Any) -> str:
    return str(ffi.string(p).decode("utf-8", "replace")) if p != ffi.NULL else ""


def error_from_record(rc: int, violations: Optional[List[E.Violation]] = None) -> E.Error:
    lib = load()
    rec = lib.cerd_error_last()
    cls = E.BY_CODE.get(rc, E.Error)
    kw = dict(code=rc, code_name=_s(lib.cerd_error_name(rc)),
              sqlstate=ffi.string(rec.sqlstate).decode(), table=_s(rec.table),
              column=_s(rec.column), constraint=_s(rec.constraint), detail=_s(rec.detail),
              line=int(rec.line) or None)
    msg = _s(rec.message) or _s(lib.cerd_strerror(rc))
    if cls is E.ValidationError:
        return E.ValidationError(msg, violations=violations, **kw)
    return cls(msg, **kw)


def check(rc: int) -> int:
    if rc < 0:
        raise error_from_record(rc)
    return rc


def _violations(info: TableInfo, v: Any) -> List[E.Violation]:
    out = []
    for i in range(v.count):
        it = v.items[i]
        cols = tuple(info.columns[it.columns[k]].name for k in range(it.ncolumns))
        out.append(E.Violation(_s(it.constraint), cols, _s(it.message),
                               _VIOLATION_KINDS.get(int(it.kind), "")))
    return out


class _Row:
    """A C row struct of one table, zeroed, released with cerd_row_clear."""

    __slots__ = ("t", "buf", "lib")

    def __init__(self, t: Any, size: int) -> None:
        self.lib = load()
        self.t = t
        self.buf = ffi.new("char[]", size)

    def clear(self) -> None:
        self.lib.cerd_row_clear(self.t, self.buf)


@dataclass
class CopyResult:
    """What a COPY wrote: ``rows`` written, and in collect mode the refused ``rejects``
    (ordinal, violations)."""

    rows: int
    rejects: List[Tuple[int, List[E.Violation]]]


@dataclass
class BulkResult:
    inserted: int
    updated: int
    skipped: int


class Table(Generic[T]):
    """Operations on one table through one connection: ``conn.<table>.<op>(...)``.

    Generated subclasses (cryptoerd._tables) add typed key parameters (``get(id=...)``),
    ``get_by_<key>``, ``upsert_by_<key>``, ``list_by_<fk>`` and ``range_by_<key>``.
    """

    table_name: str = ""
    row_class: Type[Any] = object

    def __init__(self, conn: "Connection", codec: Codec) -> None:
        self._conn = conn
        self._codec = codec
        self.info = codec.info
        self._t = codec.info.c
        self._lib = load()

    # -------------------------------------------------------------- helpers

    def _cptr(self) -> Any:
        return self._conn._ptr()

    def _load(self, row: _Row, obj: Any) -> None:
        text = self._codec.encode_row(obj).encode("utf-8")
        check(self._lib.cerd_row_parse_text(row.buf, self._t, text, len(text)))

    def _key_row(self, cols: Sequence[int], values: Sequence[Any]) -> _Row:
        if len(cols) != len(values):
            raise TypeError(f"{self.info.name}: expected {len(cols)} key values, got {len(values)}")
        obj = _KeyObj()
        for c in self.info.columns:
            setattr(obj, c.name, None)
        for ci, v in zip(cols, values):
            if v is None:
                raise TypeError(f"{self.info.name}.{self.info.columns[ci].name}: key value is None")
            setattr(obj, self.info.columns[ci].name, v)
        row = _Row(self._t, self.info.row_size)
        text = ("e" + "\x1f".join(self._codec._fields(obj)) + "\x1e").encode("utf-8")
        rc = self._lib.cerd_row_parse_text(row.buf, self._t, text, len(text))
        if rc < 0:
            row.clear()
            raise error_from_record(rc)
        return row

    def _decode_one(self, row: _Row) -> T:
        out = ffi.new("char **")
        n = ffi.new("size_t *")
        try:
            check(self._lib.cerd_rows_format_text(out, n, self._t, row.buf, 1))
            try:
                return self._codec.decode_buffer(out[0], n[0])[0]  # type: ignore[no-any-return]
            finally:
                self._lib.cerd_text_free(out[0])
        finally:
            row.clear()

    def _decode_rows(self, rows: Any) -> List[T]:
        if rows.count == 0:
            return []
        out = ffi.new("char **")
        n = ffi.new("size_t *")
        check(self._lib.cerd_rows_format_text(out, n, self._t, rows.rows, rows.count))
        try:
            return self._codec.decode_buffer(out[0], n[0])
        finally:
            self._lib.cerd_text_free(out[0])

    def _write(self, op: Callable[[Any, Any], int], obj: Any, mode: int) -> T:
        src = _Row(self._t, self.info.row_size)
        dst = _Row(self._t, self.info.row_size)
        try:
            self._load(src, obj)
            rc = op(dst.buf, src.buf)
            if rc < 0:
                viol = None
                if rc == -7:
                    viol = self._validate_row(src, mode)
                err = error_from_record(rc, viol)
                raise err
            return self._decode_one(dst)
        finally:
            src.clear()
            dst.clear()

    def _validate_row(self, row: _Row, mode: int) -> List[E.Violation]:
        v = ffi.new("cerd_violations *")
        try:
            self._lib.cerd_row_validate(v, self._t, row.buf, mode)
            return _violations(self.info, v)
        finally:
            self._lib.cerd_violations_free(v)

    # -------------------------------------------------------------- single rows

    def insert(self, row: T) -> T:
        """Inserts ``row``; returns the stored row (identity and defaults filled in).
        Fields that are None follow the write rule (a NOT NULL column with a default is
        left to its default, others are NULL); fields set to DEFAULT are written DEFAULT."""
        c = self._cptr()
        return self._write(lambda out, src: int(self._lib.cerd_row_insert(out, c, self._t, src)),
                           row, VALIDATE_INSERT)

    def update(self, row: T, columns: Optional[Iterable[str]] = None) -> T:
        """Updates the row with ``row``'s primary key: every non-key column, or only
        ``columns``. Returns the stored row; raises NotFound."""
        c = self._cptr()
        cols = self._colset(columns) if columns is not None else ffi.NULL
        return self._write(lambda out, src: int(self._lib.cerd_row_update(out, c, self._t, src, cols)),
                           row, VALIDATE_STORED)

    def upsert(self, row: T, key: Optional[str] = None) -> T:
        """Inserts ``row`` or, on a conflict on the primary key (or unique key ``key``, by
        constraint name), updates the existing row."""
        c = self._cptr()
        k = -1 if key is None else self.info.unique_key_index(key)
        return self._write(lambda out, src: int(self._lib.cerd_row_upsert(out, c, self._t, k, src)),
                           row, VALIDATE_INSERT)

    def _get(self, key: int, cols: Sequence[int], values: Sequence[Any], flags: int = 0) -> T:
        kr = self._key_row(cols, values)
        dst = _Row(self._t, self.info.row_size)
        try:
            check(self._lib.cerd_row_get(dst.buf, self._cptr(), self._t, key, kr.buf, flags))
            return self._decode_one(dst)
        finally:
            kr.clear()
            dst.clear()

    def get_pk(self, *values: Any, include_deleted: bool = False) -> T:
        """Reads by primary key (values in key order); raises NotFound."""
        return self._get(-1, self.info.primary_key.columns, values,
                         ROW_INCLUDE_DELETED if include_deleted else 0)

    def get_by(self, key: str, *values: Any, include_deleted: bool = False) -> T:
        """Reads by unique key ``key`` (constraint or index name)."""
        k = self.info.unique_key_index(key)
        return self._get(k, self.info.unique_keys[k].columns, values,
                         ROW_INCLUDE_DELETED if include_deleted else 0)

    def delete_pk(self, *values: Any, hard: bool = False) -> None:
        kr = self._key_row(self.info.primary_key.columns, values)
        try:
            check(self._lib.cerd_row_delete(self._cptr(), self._t, kr.buf,
                                            DELETE_HARD if hard else 0))
        finally:
            kr.clear()

    def exists_pk(self, *values: Any, include_deleted: bool = False) -> bool:
        kr = self._key_row(self.info.primary_key.columns, values)
        out = ffi.new("bool *")
        try:
            check(self._lib.cerd_row_exists(out, self._cptr(), self._t, kr.buf,
                                            ROW_INCLUDE_DELETED if include_deleted else 0))
            return bool(out[0])
        finally:
            kr.clear()

    def count(self, include_deleted: bool = False) -> int:
        out = ffi.new("int64_t *")
        check(self._lib.cerd_row_count(out, self._cptr(), self._t,
                                       ROW_INCLUDE_DELETED if include_deleted else 0))
        return int(out[0])

    # -------------------------------------------------------------- lists

    def _pages(self, fk: int, values: Sequence[Any], limit: Optional[int], page_size: int,
               descending: bool, include_deleted: bool) -> Iterator[T]:
        vr = (self._key_row(self.info.foreign_keys[fk].columns, tuple(values))
              if fk >= 0 else None)
        page = ffi.new("cerd_page *")
        page.descending = descending
        page.include_deleted = include_deleted
        rows = ffi.new("cerd_rows *")
        left = limit
        try:
            while left is None or left > 0:
                page.limit = page_size if left is None else min(page_size, left)
                check(self._lib.cerd_row_list(rows, self._cptr(), self._t, fk,
                                              vr.buf if vr else ffi.NULL, page))
                try:
                    got = self._decode_rows(rows)
                    nxt = rows.next
                    valid = bool(nxt.valid)
                    if valid:
                        ffi.memmove(ffi.addressof(page, "after"), ffi.addressof(rows, "next"),
                                    ffi.sizeof("cerd_cursor"))
                finally:
                    self._lib.cerd_rows_free(self._t, rows)
                yield from got
                if left is not None:
                    left -= len(got)
                if not valid or not got:
                    break
        finally:
            if vr:
                vr.clear()

    def list(self, *, limit: Optional[int] = None, descending: bool = False,
             include_deleted: bool = False, page_size: int = 1000) -> List[T]:
        """Rows in primary-key order (keyset pages of ``page_size`` under the hood)."""
        return list(self._pages(-1, (), limit, page_size, descending, include_deleted))

    def iter(self, *, descending: bool = False, include_deleted: bool = False,
             page_size: int = 1000) -> Iterator[T]:
        """Every row, one page in memory at a time."""
        return self._pages(-1, (), None, page_size, descending, include_deleted)

    def list_by(self, foreign_key: str, *values: Any, limit: Optional[int] = None,
                descending: bool = False, include_deleted: bool = False,
                page_size: int = 1000) -> List[T]:
        """Rows whose foreign key (named by its constraint) has these values, one per
        column of the key in key order, in primary-key order."""
        fk = next(i for i, f in enumerate(self.info.foreign_keys) if f.name == foreign_key)
        return list(self._pages(fk, values, limit, page_size, descending, include_deleted))

    def _range(self, cols: Sequence[int], equal: Sequence[Any], start: Any, end: Any,
               descending: bool, limit: Optional[int]) -> Tuple[Any, List[_Row]]:
        rng = ffi.new("cerd_range *")
        rng.ncolumns = len(cols)
        for i, c in enumerate(cols):
            rng.columns[i] = c
        rng.nequal = len(equal)
        keep: List[_Row] = []
        if equal:
            r = self._key_row(cols[:len(equal)], equal)
            keep.append(r)
            rng.equal = r.buf
        nxt = cols[len(equal)] if len(equal) < len(cols) else None
        for bound, attr in ((start, "from"), (end, "to")):
            if bound is not None:
                if nxt is None:
                    raise TypeError("a bound needs a range column after the equal ones")
                r = self._key_row((nxt,), (bound,))
                keep.append(r)
                setattr(rng, attr, r.buf)
        rng.descending = descending
        rng.limit = limit or 0
        return rng, keep

    def range(self, columns: Sequence[str], equal: Sequence[Any] = (), start: Any = None,
              end: Any = None, *, descending: bool = False, limit: Optional[int] = None,
              page_size: int = 5000) -> List[T]:
        """Rows with the leading ``columns`` equal to ``equal`` and the next column in
        [start, end), ordered by the remaining columns then the primary key."""
        cols = [self.info.by_name[c].index for c in columns]
        out: List[T] = []
        rng, keep = self._range(cols, equal, start, end, descending, None)
        rows = ffi.new("cerd_rows *")
        last: Optional[_Row] = None
        try:
            while True:
                want = page_size if limit is None else min(page_size, limit - len(out))
                if want <= 0:
                    break
                rng.limit = want
                check(self._lib.cerd_row_range(rows, self._cptr(), self._t, rng))
                try:
                    got = self._decode_rows(rows)
                    full = bool(rows.next.valid) and rows.count > 0
                    if full:
                        nl = _Row(self._t, self.info.row_size)
                        self._load(nl, got[-1])
                        if last:
                            last.clear()
                        last = nl
                        rng.after = last.buf
                finally:
                    self._lib.cerd_rows_free(self._t, rows)
                out.extend(got)
                if not full:
                    break
        finally:
            for r in keep:
                r.clear()
            if last:
                last.clear()
        return out

    def stream(self, columns: Sequence[str] = (), equal: Sequence[Any] = (), start: Any = None,
               end: Any = None, *, descending: bool = False, fetch_rows: int = 5000) -> "RowStream[T]":
        """A server-side cursor over the whole table (primary-key order) or over a range as
        in range(): iterate it; memory holds one fetch of rows."""
        return RowStream(self, columns, equal, start, end, descending, fetch_rows)

    def copy_out(self, batch: int = 5000) -> Iterator[T]:
        """Every row by binary COPY out (whole table)."""
        lib = self._lib
        r = ffi.new("cerd_copy_out **")
        check(lib.cerd_copy_out_open(r, self._cptr(), self._t))
        reader = r[0]
        out = ffi.new("char **")
        n = ffi.new("size_t *")
        nrows = ffi.new("size_t *")
        try:
            while True:
                check(lib.cerd_copy_out_read_text(out, n, nrows, reader, self._t, batch))
                if nrows[0] == 0:
                    break
                try:
                    rows = self._codec.decode_buffer(out[0], n[0])
                finally:
                    lib.cerd_text_free(out[0])
                yield from rows
        finally:
            rc = lib.cerd_copy_out_close(reader)
            if rc < 0:
                check(rc)

    # -------------------------------------------------------------- bulk

    def copy(self, rows: Iterable[T], *, columns: Optional[Iterable[str]] = None,
             collect_invalid: bool = False, create_partitions: bool = False,
             batch: int = 2000) -> CopyResult:
        """Loads rows (any iterable, consumed lazily) by binary COPY; returns the count.
        Validation as for insert: by default the first invalid row aborts the COPY
        (ValidationError, nothing written); with ``collect_invalid`` invalid rows are
        skipped and returned in ``rejects``."""
        lib = self._lib
        opts = ffi.new("cerd_copy_options *", {"version": 1, "collect_invalid": collect_invalid,
                                               "flush_bytes": 0,
                                               "create_partitions": create_partitions})
        cols = self._colset(columns) if columns is not None else ffi.NULL
        w = ffi.new("cerd_copy **")
        check(lib.cerd_copy_begin(w, self._cptr(), self._t, cols, opts))
        writer = w[0]
        enc = self._codec.encode_many
        buf: List[T] = []
        try:
            for obj in rows:
                buf.append(obj)
                if len(buf) >= batch:
                    text = enc(buf).encode("utf-8")
                    buf.clear()
                    self._put(writer, text)
            if buf:
                self._put(writer, enc(buf).encode("utf-8"))
            rejects: List[Tuple[int, List[E.Violation]]] = []
            if collect_invalid:
                rj = ffi.new("cerd_copy_rejects *")
                check(lib.cerd_copy_take_rejects(rj, writer))
                try:
                    for i in range(rj.count):
                        it = rj.items[i]
                        rejects.append((int(it.ordinal), _violations(self.info, it.violations)))
                finally:
                    lib.cerd_copy_rejects_free(rj)
        except BaseException:
            if writer is not None:
                lib.cerd_copy_abort(writer)
            raise
        written = ffi.new("int64_t *")
        writer, wr = None, writer
        check(lib.cerd_copy_end(written, wr))
        return CopyResult(int(written[0]), rejects)

    def _put(self, writer: Any, text: bytes) -> None:
        rc = self._lib.cerd_copy_put_text(writer, self._t, text, len(text))
        if rc < 0:
            raise error_from_record(rc)

    def bulk_upsert(self, rows: Sequence[T], *, key: Optional[str] = None,
                    last_wins: bool = False) -> BulkResult:
        """Inserts or updates rows on the primary key (or unique key ``key``) in one
        transaction, through a staging table."""
        lib = self._lib
        text = self._codec.encode_many(list(rows)).encode("utf-8") if rows else b""
        block = ffi.new("cerd_rows *")
        check(lib.cerd_rows_parse_text(block, self._t, text, len(text)))
        res = ffi.new("cerd_bulk_result *")
        opts = ffi.new("cerd_bulk_options *", {"version": 1, "last_wins": last_wins})
        k = -1 if key is None else self.info.unique_key_index(key)
        try:
            check(lib.cerd_bulk_upsert(res, self._cptr(), self._t, k, block.rows, block.count,
                                       opts))
        finally:
            lib.cerd_rows_free(self._t, block)
        return BulkResult(int(res.inserted), int(res.updated), int(res.skipped))

    # -------------------------------------------------------------- validation

    def validate(self, row: T, mode: str = "insert") -> List[E.Violation]:
        """Every rule ``row`` breaks, as PostgreSQL would judge it, without a round trip
        (mode "insert" or "stored"). Empty when valid."""
        r = _Row(self._t, self.info.row_size)
        try:
            self._load(r, row)
            return self._validate_row(r, VALIDATE_INSERT if mode == "insert" else VALIDATE_STORED)
        finally:
            r.clear()

    def _colset(self, columns: Iterable[str]) -> Any:
        cs = ffi.new("cerd_colset *")
        for name in columns:
            i = self.info.by_name[name].index
            cs.bits[i // 64] |= 1 << (i % 64)
        return cs


class _KeyObj:
    """A bare object carrying key fields for _key_row."""


class RowStream(Generic[T]):
    """Iterator over a server-side cursor; a context manager that closes it."""

    def __init__(self, table: Table[T], columns: Sequence[str], equal: Sequence[Any],
                 start: Any, end: Any, descending: bool, fetch_rows: int) -> None:
        self._table = table
        self._lib = table._lib
        self._fetch = fetch_rows
        keep: List[_Row] = []
        rng: Any = ffi.NULL
        if columns:
            cols = [table.info.by_name[c].index for c in columns]
            rng, keep = table._range(cols, equal, start, end, descending, None)
        s = ffi.new("cerd_stream **")
        try:
            check(self._lib.cerd_stream_open(s, table._cptr(), table._t, rng, fetch_rows))
        finally:
            for r in keep:
                r.clear()
        self._s: Any = s[0]
        self._out = ffi.new("char **")
        self._n = ffi.new("size_t *")
        self._nrows = ffi.new("size_t *")
        self._buf: List[T] = []
        self._pos = 0

    def __iter__(self) -> "RowStream[T]":
        return self

    def __next__(self) -> T:
        if self._pos < len(self._buf):
            v = self._buf[self._pos]
            self._pos += 1
            return v
        if self._s is None:
            raise StopIteration
        lib = self._lib
        t = self._table
        check(lib.cerd_stream_read_text(self._out, self._n, self._nrows, self._s, t._t,
                                        self._fetch))
        if self._nrows[0] == 0:
            self.close()
            raise StopIteration
        try:
            self._buf = t._codec.decode_buffer(self._out[0], self._n[0])
        finally:
            lib.cerd_text_free(self._out[0])
        self._pos = 1
        return self._buf[0]

    def batches(self) -> Iterator[List[T]]:
        """The rows one fetch (list) at a time: the fastest way through a stream."""
        lib = self._lib
        t = self._table
        while self._s is not None:
            check(lib.cerd_stream_read_text(self._out, self._n, self._nrows, self._s, t._t,
                                            self._fetch))
            if self._nrows[0] == 0:
                self.close()
                return
            try:
                rows = t._codec.decode_buffer(self._out[0], self._n[0])
            finally:
                lib.cerd_text_free(self._out[0])
            yield rows

    def close(self) -> None:
        if self._s is not None:
            s, self._s = self._s, None
            check(self._lib.cerd_stream_close(s))

    def __enter__(self) -> "RowStream[T]":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# ------------------------------------------------------------------ connections

_codecs: Dict[str, Codec] = {}
_codecs_lock = threading.Lock()


def codec_for(name: str, cls: Optional[type] = None) -> Codec:
    c = _codecs.get(name)
    if c is None:
        with _codecs_lock:
            c = _codecs.get(name)
            if c is None:
                from . import _tables
                if cls is None:
                    cls = _tables.ROW_CLASSES.get(name) or _dynamic_class(name)
                c = Codec(TableInfo(name), cls)
                _codecs[name] = c
    return c


def _dynamic_class(name: str) -> type:
    """A dataclass for a table the generated module does not know (a newer library)."""
    import dataclasses
    info = TableInfo(name)
    return dataclasses.make_dataclass(
        "".join(p.capitalize() for p in name.split("_")),
        [(c.name, Any, dataclasses.field(default=None)) for c in info.columns],  # type: ignore[misc]
        slots=True, kw_only=True)


class Transaction:
    def __init__(self, conn: "Connection", savepoint: Optional[str]) -> None:
        self.conn = conn
        self.savepoint = savepoint


class Connection(AdminMixin):
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

    def table(self, name: str) -> Table[Any]:
        """The accessor of table ``name`` (generic, untyped)."""
        t = self._tables.get(name)
        if t is None:
            from . import _tables
            cls = _tables.TABLE_CLASSES.get(name, Table)
            t = cls(self, codec_for(name))
            self._tables[name] = t
        return t

    @property
    def queries(self) -> "Queries":
        """The typed queries of queries/*.sql through this connection:
        ``conn.queries.latest_close(asset_id=1, timeframe="1h")`` (cryptoerd._queries)."""
        from ._queries import Queries
        return Queries(self)

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

    def seed(self, preset: str = "demo", *, scale: int = 1, seed: int = 0) -> int:
        """Fills the (migrated, empty) database with the library's scenario ``preset``
        (cryptoerd.testing.seed_presets()) at ``scale``, all or nothing (cerd_seed); the
        same seed and scale give the same rows. Returns the number of rows written."""
        from .testing._isolated import seed_options
        opts, _keep = seed_options(preset, scale, seed)
        rows = ffi.new("int64_t *")
        check(self._lib.cerd_seed(rows, self._ptr(), opts))
        return int(rows[0])

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

    def commit_lsn(self) -> "LSN":
        """Commits the open transaction and returns the write-ahead-log position that
        covers the commit (cerd_conn_commit_lsn): the token for
        ``pool.read_connection(after=...)``. Inside ``with conn.transaction():`` (or a
        connection from ``pool.connection(as_user=...)``) call it last: the block's end
        then has nothing left to commit."""
        from ._replica import commit_lsn
        return commit_lsn(self)

    def batch(self, *, atomic: bool = False) -> "Batch":
        """A pipelined batch of operations on rows of any tables (cerd_batch_*): see
        cryptoerd.Batch. ``atomic``: all or nothing."""
        from ._batch import Batch
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

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, et: Any, ev: Any, tb: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def connect(dsn: Optional[str] = "") -> Connection:
    """Opens a connection (libpq connection string or URI; "" uses the PG* environment)."""
    from ._tables import Database
    return Database(dsn)


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
        self._hook = AfterConnect(after_connect) if after_connect is not None else None
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
        from ._tables import Database
        out = ffi.new("cerd_conn **")
        p = self._ptr()
        if as_user is None:
            self._check(lambda: int(self._lib.cerd_pool_acquire(out, p)))
        else:
            self._check(lambda: int(self._lib.cerd_pool_acquire_as(out, p, as_user)))
        conn = Database(_ptr=out[0], _pool=self)
        if as_user is not None:
            conn._depth = 1
        try:
            yield conn
            if as_user is not None:
                conn._depth = 0
                if conn._ended:  # committed by commit_lsn()
                    conn._ended = False
                else:
                    check(self._lib.cerd_conn_commit(out[0]))
        finally:
            conn._c = None
            self._lib.cerd_pool_release(self._p, out[0])

    def read_connection(self, after: Union["LSN", int, str, None] = None,
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
        from ._replica import read_connection
        return read_connection(self, after, as_user, timeout)

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
