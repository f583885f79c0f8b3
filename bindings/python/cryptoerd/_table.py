"""The generic per-table accessor (Table), row streams and the per-table codecs, over
the public C API through cffi (ABI mode: the GIL is released during every C call)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import (Any, Callable, Dict, Generic, Iterable, Iterator, List, Optional,
                    Protocol, Sequence, Tuple, Type, TypeVar)

from . import errors as E
from ._cerror import _violations, check, error_from_record
from ._closing import Closing
from ._codec import Codec, TableInfo
from ._ffi import ffi, load

T = TypeVar("T")

ROW_INCLUDE_DELETED = 2
DELETE_HARD = 1
VALIDATE_INSERT, VALIDATE_STORED = 1, 2


class Session(Protocol):
    """What the modules below cryptoerd.Connection (tables, batches, replicas,
    administration) use of it."""

    _c: Any
    _depth: int
    _ended: bool

    def _ptr(self) -> Any: ...

    def begin(self) -> None: ...

    def table(self, name: str) -> "Table[Any]": ...


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

    def __init__(self, conn: Session, codec: Codec) -> None:
        self._conn = conn
        self._codec = codec
        self.info = codec.info
        self._t = codec.info.c
        self._lib = load()

    # -------------------------------------------------------------- helpers

    def _cptr(self) -> Any:
        return self._conn._ptr()

    def _load(self, row: _Row, obj: Any) -> None:
        _load_row(self._codec, row, obj)

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
        return _row_violations(self.info, row, mode)

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
        (mode "insert" or "stored"). Empty when valid. (``cryptoerd.validate(row)`` is
        the same without a connection.)"""
        return _validate_obj(self._codec, row, mode)

    def _colset(self, columns: Iterable[str]) -> Any:
        cs = ffi.new("cerd_colset *")
        for name in columns:
            i = self.info.by_name[name].index
            cs.bits[i // 64] |= 1 << (i % 64)
        return cs


class _KeyObj:
    """A bare object carrying key fields for _key_row."""


class _TextStream(Closing, Generic[T]):
    """Rows of an open cerd_stream, read a fetch at a time as row text and decoded by a
    codec: an iterator, ``batches()``, and a context manager that closes the stream. What
    opens the stream (a table's range, a typed query) is the subclass's."""

    def _start(self, s: Any, codec: Codec, fetch_rows: int) -> None:
        self._lib = load()
        self._s: Any = s
        self._codec = codec
        self._fetch = fetch_rows or 1000  # reading 0 rows would look like the end
        self._out = ffi.new("char **")
        self._n = ffi.new("size_t *")
        self._nrows = ffi.new("size_t *")
        self._buf: List[T] = []
        self._pos = 0

    def __iter__(self) -> "_TextStream[T]":
        return self

    def _fill(self) -> bool:
        if self._s is None:
            return False
        lib = self._lib
        check(lib.cerd_stream_read_text(self._out, self._n, self._nrows, self._s,
                                        self._codec.info.c, self._fetch))
        if self._nrows[0] == 0:
            self.close()
            return False
        try:
            self._buf = self._codec.decode_buffer(self._out[0], self._n[0])
        finally:
            lib.cerd_text_free(self._out[0])
        self._pos = 0
        return True

    def __next__(self) -> T:
        if self._pos >= len(self._buf) and not self._fill():
            raise StopIteration
        v = self._buf[self._pos]
        self._pos += 1
        return v

    def batches(self) -> Iterator[List[T]]:
        """The rows one fetch (list) at a time: the fastest way through a stream."""
        if self._pos < len(self._buf):
            rest = self._buf[self._pos:]
            self._pos = len(self._buf)
            yield rest
        while self._fill():
            self._pos = len(self._buf)
            yield self._buf

    def close(self) -> None:
        if self._s is not None:
            s, self._s = self._s, None
            check(self._lib.cerd_stream_close(s))


class RowStream(_TextStream[T]):
    """Iterator over a server-side cursor on a table's rows; a context manager that
    closes it."""

    def __init__(self, table: Table[T], columns: Sequence[str], equal: Sequence[Any],
                 start: Any, end: Any, descending: bool, fetch_rows: int) -> None:
        keep: List[_Row] = []
        rng: Any = ffi.NULL
        if columns:
            cols = [table.info.by_name[c].index for c in columns]
            rng, keep = table._range(cols, equal, start, end, descending, None)
        s = ffi.new("cerd_stream **")
        try:
            check(table._lib.cerd_stream_open(s, table._cptr(), table._t, rng, fetch_rows))
        finally:
            for r in keep:
                r.clear()
        self._start(s[0], table._codec, fetch_rows)

    def __iter__(self) -> "RowStream[T]":
        return self


# ------------------------------------------------------------------ validation

_VALIDATE_MODES = {"insert": VALIDATE_INSERT, "stored": VALIDATE_STORED}


def _load_row(codec: Codec, row: _Row, obj: Any) -> None:
    text = codec.encode_row(obj).encode("utf-8")
    check(load().cerd_row_parse_text(row.buf, codec.info.c, text, len(text)))


def _row_violations(info: TableInfo, row: _Row, mode: int) -> List[E.Violation]:
    lib = load()
    v = ffi.new("cerd_violations *")
    try:
        lib.cerd_row_validate(v, info.c, row.buf, mode)
        return _violations(info, v)
    finally:
        lib.cerd_violations_free(v)


def _validate_obj(codec: Codec, obj: Any, mode: str) -> List[E.Violation]:
    if mode not in _VALIDATE_MODES:
        raise ValueError(f'mode must be "insert" or "stored", not {mode!r}')
    r = _Row(codec.info.c, codec.info.row_size)
    try:
        _load_row(codec, r, obj)
        return _row_violations(codec.info, r, _VALIDATE_MODES[mode])
    finally:
        r.clear()


def validate(row: Any, mode: str = "insert") -> List[E.Violation]:
    """Every rule ``row`` (a row object of a generated class) breaks, as PostgreSQL would
    judge it (cerd_row_validate: CHECKs, NOT NULL, lengths, numeric precision), without a
    database; ``mode`` "insert" (an identity may be unset, defaults may come) or
    "stored" (the row as read back). Empty when valid."""
    return _validate_obj(codec_for(table_of(row), type(row)), row, mode)


# ------------------------------------------------------------------ codecs

_codecs: Dict[Tuple[str, Optional[type]], Codec] = {}
_codecs_lock = threading.Lock()


def codec_for(name: str, cls: Optional[type] = None) -> Codec:
    """The codec of table ``name`` for row class ``cls`` (the generated one; None: a
    dataclass made from the table's descriptor), made once."""
    key = (name, cls)
    c = _codecs.get(key)
    if c is None:
        with _codecs_lock:
            c = _codecs.get(key)
            if c is None:
                c = Codec(TableInfo(name), cls or _dynamic_class(name))
                _codecs[key] = c
    return c


def table_of(row_or_class: Any) -> str:
    """The table of a row object or row class (its ``__tablename__``), or a table name."""
    if isinstance(row_or_class, str):
        return row_or_class
    cls = row_or_class if isinstance(row_or_class, type) else type(row_or_class)
    name = getattr(cls, "__tablename__", None)
    if not isinstance(name, str):
        raise TypeError(f"cryptoerd: {cls.__name__} is not a row class of the schema")
    return name


def _dynamic_class(name: str) -> type:
    """A dataclass for a table the generated module does not know (a newer library)."""
    import dataclasses
    info = TableInfo(name)
    return dataclasses.make_dataclass(
        "".join(p.capitalize() for p in name.split("_")),
        [(c.name, Any, dataclasses.field(default=None)) for c in info.columns],  # type: ignore[misc]
        namespace={"__tablename__": name}, slots=True, kw_only=True)

