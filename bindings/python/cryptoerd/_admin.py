"""Administration over the public C API: monthly partitions (partitions.h), import and
export of files (transfer.h), the migrations' status (migrate.h), and the pool's
after-connect hook (pool.h ``cerd_pool_options.after_connect``).

    with cryptoerd.connect(dsn) as db:
        db.partitions.create("price_data", "2030-01", "2030-12")   # months, both included
        for p in db.partitions.list("price_data"):
            print(p.name, p.month, p.rows)
        moved = db.partitions.archive(before=date(2026, 1, 1))       # price_data -> archive
        db.import_file("price_data", "candles.csv")                   # all or nothing
        db.export("price_data", "candles.jsonl")
        [m.name for m in db.migration_status() if not m.applied]

Every C call releases the GIL (cffi ABI mode); the Python callbacks the C code calls
(file reads and writes, progress, the after-connect hook) take it back while they run.
An exception raised in a callback never crosses into C: it is kept, the C call is told to
stop, and the exception is raised once the C call has returned.
"""
from __future__ import annotations

import codecs
import io
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import (IO, Any, Callable, List, Optional, Sequence, Tuple, Type,
                    Union, cast)

from . import errors as E
from ._cerror import _s, check, error_from_record
from ._codec import UTC
from ._ffi import ffi, load
from ._table import Session, table_of


#: A calendar month (UTC): "YYYY-MM" text, a ``date`` (its month), or a timezone-aware
#: ``datetime`` (the UTC month it falls in).
MonthLike = Union[str, date, datetime]
#: A file: a path (str or os.PathLike), or an open file object (binary; text works for
#: CSV and JSON Lines, as UTF-8).
FileLike = Union[str, "os.PathLike[str]", IO[bytes], IO[str]]
#: ``progress(done, total)``: rows done; total 0 when unknown (as cerd_progress_fn).
Progress = Callable[[int, int], None]

_FORMATS = {"csv": 1, "jsonl": 2, "binary": 3}
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".bin": "binary",
             ".copy": "binary"}




# ------------------------------------------------------------------ partitions

def _cmonth(value: MonthLike, what: str) -> Any:
    m = ffi.new("cerd_month *")
    if isinstance(value, str):
        check(load().cerd_month_parse(m, value.encode("utf-8")))
        return m[0]
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{what}: a datetime must be timezone-aware, not {value!r}")
        value = value.astimezone(UTC)
    elif not isinstance(value, date):
        raise TypeError(f"{what}: expected 'YYYY-MM', a date or an aware datetime, "
                        f"not {type(value).__name__}")
    m.year = value.year
    m.month = value.month
    return m[0]


@dataclass(frozen=True)
class Partition:
    """One partition of a partitioned table (cerd_partition).

    ``month`` is the first day of the UTC month it holds; ``start`` and ``end`` are its
    bounds as aware UTC datetimes (``start <= candle_time < end``). For the DEFAULT
    partition (``is_default``) all three are None. ``rows``: its exact row count."""

    name: str
    is_default: bool
    month: Optional[date]
    start: Optional[datetime]
    end: Optional[datetime]
    rows: int


def _partition(p: Any) -> Partition:
    name = ffi.string(p.name).decode("utf-8", "replace")
    if p.is_default:
        return Partition(name, True, None, None, None, int(p.rows))
    y, mo = int(p.month.year), int(p.month.month)
    start = datetime(y, mo, 1, tzinfo=UTC)
    end = datetime(y + 1, 1, 1, tzinfo=UTC) if mo == 12 else datetime(y, mo + 1, 1, tzinfo=UTC)
    return Partition(name, False, date(y, mo, 1), start, end, int(p.rows))


def _partitions(lst: Any) -> List[Partition]:
    return [_partition(lst.items[i]) for i in range(lst.count)]


@dataclass(frozen=True)
class ArchiveResult:
    """What ``partitions.archive`` moved: the months of price_data (their partitions as
    they were before the move, row counts included) and the total of rows moved."""

    moved: List[Partition]
    rows: int


class Partitions:
    """Monthly partitions of the time-partitioned tables (price_data, price_data_archive):
    ``db.partitions`` (partitions.h, the schema's create_monthly_partitions() and
    archive_price_data_months()). Months are UTC calendar months."""

    def __init__(self, conn: Session) -> None:
        self._conn = conn
        self._lib = load()

    def create(self, table: Any, first: MonthLike, last: MonthLike) -> int:
        """Creates the missing partitions ``<table>_yYYYYmMM`` of every month from
        ``first`` up to and including ``last`` (cerd_partitions_create); returns how many
        were created (0 when every one existed). ``table``: a range-partitioned table's
        name or row class. Runs in the connection's transaction when one is open.
        ValidationError for text that is not "YYYY-MM", ValueError for a naive datetime,
        TypeError for anything else; InterfaceError when ``last`` is before ``first``; a
        server error when rows of a new month already sit in the DEFAULT partition
        (nothing is created then)."""
        a, b = _cmonth(first, "first"), _cmonth(last, "last")
        out = ffi.new("int *")
        check(self._lib.cerd_partitions_create(
            out, self._conn._ptr(), table_of(table).encode(), a, b))
        return int(out[0])

    def list(self, table: Any) -> List[Partition]:
        """The partitions of ``table`` with their exact row counts, read in one statement
        (cerd_partitions_list): months in order, the DEFAULT partition last."""
        lst = ffi.new("cerd_partition_list *")
        check(self._lib.cerd_partitions_list(lst, self._conn._ptr(),
                                                   table_of(table).encode()))
        try:
            return _partitions(lst)
        finally:
            self._lib.cerd_partitions_free(lst)

    def archive(self, before: MonthLike) -> ArchiveResult:
        """Moves every whole month of price_data before the month ``before`` (the first
        that stays) into price_data_archive, in one transaction of its own, with the
        counts and sums checked (cerd_partitions_archive); rows of price_data_default are
        not moved. The connection must have no transaction open (InterfaceError).
        Returns the months moved (empty when none was old enough) and the rows moved."""
        m = _cmonth(before, "before")
        lst = ffi.new("cerd_partition_list *")
        rows = ffi.new("int64_t *")
        check(self._lib.cerd_partitions_archive(lst, rows, self._conn._ptr(), m))
        try:
            return ArchiveResult(_partitions(lst), int(rows[0]))
        finally:
            self._lib.cerd_partitions_free(lst)


# ------------------------------------------------------------------ migrations

@dataclass(frozen=True)
class MigrationState:
    """One migration as cerd_migration_status reports it (in version order).

    ``name`` ("002_users"; for a migration the database records but this library does
    not have: its version only), ``embedded`` (compiled into this library), ``applied``
    (recorded in cerd_schema_migrations), ``checksum`` of the embedded text and
    ``recorded_checksum`` (16 hex digits, or None), ``applied_at`` (aware UTC datetime,
    or None)."""

    name: str
    embedded: bool
    applied: bool
    checksum: Optional[str]
    recorded_checksum: Optional[str]
    applied_at: Optional[datetime]

    @property
    def state(self) -> str:
        """"applied"; "pending" (not applied yet); "changed" (applied from a different
        text: ``migrate()`` fails with MigrationError); "unknown" (recorded, not in this
        library) — as ``cryptoerd migrate --status`` prints it."""
        if not self.embedded:
            return "unknown"
        if not self.applied:
            return "pending"
        return "applied" if self.checksum == self.recorded_checksum else "changed"


def _text(a: Any) -> Optional[str]:
    s = ffi.string(a).decode("utf-8", "replace")
    return s or None


def migration_status(conn: Session) -> List[MigrationState]:
    lib = load()
    out = ffi.new("cerd_migration_state **")
    n = ffi.new("size_t *")
    check(lib.cerd_migration_status(out, n, conn._ptr()))
    try:
        res = []
        for i in range(n[0]):
            s = out[0][i]
            at = _text(s.applied_at)
            res.append(MigrationState(
                name=ffi.string(s.name).decode("utf-8", "replace"), embedded=bool(s.embedded),
                applied=bool(s.applied), checksum=_text(s.checksum),
                recorded_checksum=_text(s.recorded_checksum),
                applied_at=(datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
                            if at else None)))
        return res
    finally:
        lib.free(out[0])


def embedded_migrations() -> List[str]:
    """The names of the migrations compiled into the library, in order ("001_foundation",
    ...): cerd_migration_count / cerd_migration_name."""
    lib = load()
    return [ffi.string(lib.cerd_migration_name(i)).decode()
            for i in range(lib.cerd_migration_count())]


# ------------------------------------------------------------------ import and export

@dataclass(frozen=True)
class TransferResult:
    """What ``import_file`` or ``export`` did: the table, the rows written (imported
    into the table, or written to the file) and the format used."""

    table: str
    rows: int
    format: str


def _format(fmt: Optional[str], name: str, default: str, allowed: Sequence[str]) -> str:
    if fmt is None:
        fmt = _SUFFIXES.get(os.path.splitext(name)[1].lower(), default)
    if fmt not in allowed:
        raise ValueError(f"format must be one of {', '.join(allowed)}, not {fmt!r}")
    return fmt


class _Callbacks:
    """State shared with the C callbacks of one transfer: the first Python exception,
    after which every read or write reports failure so that the C call stops."""

    def __init__(self, progress: Optional[Progress]) -> None:
        self.exc: Optional[BaseException] = None
        self._progress = progress
        self.c_progress: Any = ffi.NULL
        if progress is not None:
            self.c_progress = ffi.callback("void(void *, int64_t, int64_t)", self._on_progress)

    def fail(self, e: BaseException) -> None:
        if self.exc is None:
            self.exc = e

    def _on_progress(self, _arg: Any, done: int, total: int) -> None:
        if self.exc is not None or self._progress is None:
            return
        try:
            self._progress(int(done), int(total))
        except BaseException as e:  # noqa: BLE001 - raised after the C call
            self.fail(e)


class _Reader(_Callbacks):
    def __init__(self, f: Any, progress: Optional[Progress]) -> None:
        super().__init__(progress)
        self._f = f
        self._pending = b""
        self.c_read = ffi.callback("long(void *, char *, size_t)", self._read, error=-1)

    def _read(self, _arg: Any, buf: Any, size: int) -> int:
        if self.exc is not None:
            return -1
        try:
            data = self._pending
            if not data:
                got = self._f.read(size)
                if isinstance(got, str):
                    got = got.encode("utf-8")
                data = bytes(got or b"")
            n = min(len(data), size)
            self._pending = data[n:]
            if n:
                ffi.memmove(buf, data[:n], n)
            return n
        except BaseException as e:  # noqa: BLE001 - raised after the C call
            self.fail(e)
            return -1


class _Writer(_Callbacks):
    def __init__(self, f: Any, text: bool, progress: Optional[Progress]) -> None:
        super().__init__(progress)
        self._f = f
        self._decoder = codecs.getincrementaldecoder("utf-8")() if text else None
        self.c_write = ffi.callback("int(void *, const char *, size_t)", self._write, error=-1)

    def _write(self, _arg: Any, data: Any, n: int) -> int:
        if self.exc is not None:
            return -1
        try:
            chunk = ffi.buffer(data, n)[:]
            if self._decoder is not None:
                self._f.write(self._decoder.decode(chunk))
            else:
                self._f.write(chunk)
            return 0
        except BaseException as e:  # noqa: BLE001 - raised after the C call
            self.fail(e)
            return -1


def _import_error(rc: int) -> E.Error:
    """The exception of a failed cerd_import: the C record names the table, column,
    constraint and the file's line (``err.line``); a value refused as invalid also comes
    as a violation."""
    rec = load().cerd_error_last()
    column = _s(rec.column)
    violations = None
    if rc == -7 and column:
        violations = [E.Violation(_s(rec.constraint), (column,), _s(rec.message))]
    return error_from_record(rc, violations)


def import_file(conn: Session, table: Any, source: FileLike, *,
                format: Optional[str] = None, name: Optional[str] = None,
                create_partitions: bool = False,
                progress: Optional[Progress] = None) -> TransferResult:
    tname = table_of(table)
    t = conn.table(tname)
    f: Any
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label = name or path
        fmt = _format(format, path, "csv", ("csv", "jsonl"))
        f = open(path, "rb")
        close = True
    else:
        f = source
        label = name or (getattr(source, "name", None) if isinstance(
            getattr(source, "name", None), str) else None) or "input"
        fmt = _format(format, label, "csv", ("csv", "jsonl"))
        close = False
    lib = load()
    try:
        rd = _Reader(f, progress)
        cname = ffi.new("char[]", label.encode("utf-8"))
        opts = ffi.new("cerd_import_options *", {
            "version": 1, "format": _FORMATS[fmt], "name": cname,
            "create_partitions": create_partitions, "progress": rd.c_progress,
            "progress_arg": ffi.NULL})
        rows = ffi.new("int64_t *")
        # With a progress function, in a transaction of our own unless the caller has one:
        # its last call comes before cerd_import commits, and an exception there must still
        # leave nothing written. Without one, cerd_import's own transaction (which defers
        # the foreign-key checks to its COMMIT) does; an exception of the reader aborts it.
        c = conn._ptr()
        own = False
        if progress is not None and conn._depth == 0:
            rc = lib.cerd_conn_begin(c)
            if rc == 0:
                own = True
            elif rc != -12:  # CERD_EMISUSE: the caller's conn.begin() is open; use it
                check(rc)
        try:
            rc = lib.cerd_import(rows, c, t._t, rd.c_read, ffi.NULL, opts)
            if rd.exc is not None:
                raise rd.exc
            if rc < 0:
                raise _import_error(rc)
            if own:
                own = False
                check(lib.cerd_conn_commit(c))
        except BaseException:
            if own:
                lib.cerd_conn_rollback(c)
            raise
        return TransferResult(tname, int(rows[0]), fmt)
    finally:
        if close:
            f.close()


def export(conn: Session, table: Any, dest: FileLike, *, format: Optional[str] = None,
           columns: Sequence[str] = (), equal: Sequence[Any] = (), start: Any = None,
           end: Any = None, descending: bool = False, limit: Optional[int] = None,
           progress: Optional[Progress] = None) -> TransferResult:
    tname = table_of(table)
    t = conn.table(tname)
    if not columns and (equal or start is not None or end is not None or descending or limit):
        raise ValueError("equal, start, end, descending and limit need columns=")
    f: Any = None
    path: Optional[str] = None
    if isinstance(dest, (str, os.PathLike)):
        path = os.fspath(dest)
        fmt = _format(format, path, "jsonl", ("csv", "jsonl", "binary"))
        text = False
    else:
        f = dest
        dname = getattr(dest, "name", None)
        fmt = _format(format, dname if isinstance(dname, str) else "", "jsonl",
                      ("csv", "jsonl", "binary"))
        text = isinstance(dest, io.TextIOBase)
        if text and fmt == "binary":
            raise TypeError("the binary format needs a file opened in binary mode")
    keep: List[Any] = []
    rng: Any = ffi.NULL
    lib = load()
    try:
        if columns:
            cols = [t.info.by_name[c].index for c in columns]
            rng, keep = t._range(cols, equal, start, end, descending, None)
            rng.limit = limit or 0
        if path is not None:
            f = open(path, "wb")
        wr = _Writer(f, text, progress)
        opts = ffi.new("cerd_export_options *", {
            "version": 1, "format": _FORMATS[fmt], "range": rng,
            "progress": wr.c_progress, "progress_arg": ffi.NULL})
        rows = ffi.new("int64_t *")
        rc = lib.cerd_export(rows, conn._ptr(), t._t, opts, wr.c_write, ffi.NULL)
        if wr.exc is not None:
            raise wr.exc
        check(rc)
        if path is not None:
            f.close()
        return TransferResult(tname, int(rows[0]), fmt)
    except BaseException:
        if path is not None and f is not None:  # no partial file left behind
            f.close()
            try:
                os.unlink(path)
            except OSError:
                pass
        raise
    finally:
        for r in keep:
            r.clear()


def seed_options(preset: str, scale: int, seed: int) -> Tuple[Any, List[Any]]:
    """A cerd_seed_options and the C objects it borrows (keep them alive)."""
    if scale < 1:
        raise ValueError(f"seed: scale must be >= 1, not {scale}")
    if not 0 <= seed < 2 ** 64:
        raise ValueError(f"seed: seed must be in [0, 2**64), not {seed}")
    name = ffi.new("char[]", preset.encode())
    opts = ffi.new("cerd_seed_options *", {
        "version": 1, "preset": name, "scale": scale, "seed": seed,
        "progress": ffi.NULL, "progress_arg": ffi.NULL})
    return opts, [name]


class AdminMixin:
    """The administration methods of a Connection (mixed into cryptoerd.Connection)."""

    def seed(self, preset: str = "demo", *, scale: int = 1, seed: int = 0) -> int:
        """Fills the (migrated, empty) database with the library's scenario ``preset``
        (cryptoerd.testing.seed_presets()) at ``scale``, all or nothing (cerd_seed); the
        same seed and scale give the same rows. Returns the number of rows written."""
        opts, _keep = seed_options(preset, scale, seed)
        rows = ffi.new("int64_t *")
        check(load().cerd_seed(rows, cast(Session, self)._ptr(), opts))
        return int(rows[0])

    @property
    def partitions(self) -> Partitions:
        """Monthly partitions: ``db.partitions.create / list / archive`` (Partitions)."""
        return Partitions(cast(Session, self))

    def migration_status(self) -> List[MigrationState]:
        """Every migration, embedded or recorded, in version order, with whether it is
        applied, both checksums and when it was applied (cerd_migration_status; reads
        only). ``[m for m in db.migration_status() if m.state != "applied"]`` is what
        ``migrate()`` would apply or refuse."""
        return migration_status(cast(Session, self))

    def import_file(self, table: Any, source: FileLike, *,
                    format: Optional[str] = None, name: Optional[str] = None,
                    create_partitions: bool = False,
                    progress: Optional[Progress] = None) -> TransferResult:
        """Imports the rows of a CSV (header row naming the columns) or JSON Lines file
        into ``table`` (name or row class) through one binary COPY, all or nothing
        (cerd_import): in the caller's transaction when one is open, else in one of its
        own. ``source``: a path or an open file (binary, or text read as UTF-8).
        ``format``: "csv" or "jsonl"; None: from the file name's suffix (.csv, .jsonl,
        .ndjson), else "csv". ``name``: the input's name in messages (default: the path,
        or the file's name). ``create_partitions``: create missing monthly partitions
        first. ``progress(done, total)``: every 10000 rows and at the end (total 0).

        A row that cannot be read or fails validation raises ValidationError (RangeError
        for a number out of range) whose message starts with ``name:line:`` and whose
        ``.line``, ``.table``, ``.column`` and ``.constraint`` say where and why; server
        refusals (UniqueViolation, ForeignKeyViolation ...) name no line. An exception
        raised by reading ``source`` or by ``progress`` stops the import and is raised."""
        return import_file(cast(Session, self), table, source, format=format, name=name,
                           create_partitions=create_partitions, progress=progress)

    def export(self, table: Any, dest: FileLike, *,
               format: Optional[str] = None, columns: Sequence[str] = (),
               equal: Sequence[Any] = (), start: Any = None, end: Any = None,
               descending: bool = False, limit: Optional[int] = None,
               progress: Optional[Progress] = None) -> TransferResult:
        """Writes rows of ``table`` (name or row class) to ``dest`` (a path, or an open
        file: binary, or text for CSV and JSON Lines), streamed (cerd_export). ``format``:
        "jsonl" (cerd_row_to_json per line), "csv" (header with every column; what
        ``import_file`` reads back) or "binary" (PostgreSQL's binary COPY format); None:
        from the suffix (.jsonl, .ndjson, .csv, .bin, .copy), else "jsonl". The whole
        table in primary-key order by COPY, or with ``columns`` a range as in
        ``Table.range``: the leading columns equal to ``equal``, the next in
        [start, end), ``descending``, at most ``limit`` rows. ``progress(done, total)``:
        every 10000 rows and at the end (total = done). A path is written whole or
        removed on failure."""
        return export(cast(Session, self), table, dest, format=format, columns=columns, equal=equal,
                      start=start, end=end, descending=descending, limit=limit,
                      progress=progress)


# ------------------------------------------------------------------ pool hook

class AfterConnect:
    """A pool's after-connect hook: ``fn(conn)`` as a cffi callback (cerd_pool_connect_fn).

    The C pool calls it on every connection it opens (in cerd_pool_new for the first
    min_size connections, then on its own threads) and again after it resets a session
    (a released connection on which raw SQL ran). ``conn`` is a cryptoerd.Database valid
    during the call only. An exception is kept (``error_since``) and makes the C hook
    return a failure: the pool closes that connection and counts a failed attempt."""

    def __init__(self, fn: Callable[[Any], None], connection_class: Type[Any]) -> None:
        if not callable(fn):
            raise TypeError("after_connect must be callable")
        self._fn = fn
        self._wrap = connection_class  # the generated Database
        self._lock = threading.Lock()
        self._seq = 0
        self._errors: List[Tuple[int, BaseException]] = []
        self._lib = load()
        # kept alive (with the Pool that holds this object) for the C pool's life
        self._cb = ffi.callback("int(cerd_conn *, void *)", self._call, error=-1)
        self.c_func = ffi.cast("void *", self._cb)

    def _call(self, c: Any, _arg: Any) -> int:
        self._lib.cerd_error_clear()
        conn = None
        try:
            conn = self._wrap(_ptr=c, _pool=self)  # _pool set: close() never frees it
            self._fn(conn)
            return 0
        except BaseException as e:  # noqa: BLE001 - reported through the pool's error
            with self._lock:
                self._seq += 1
                self._errors = (self._errors + [(self._seq, e)])[-8:]
            if isinstance(e, E.Error) and e.code < 0:
                return int(e.code)
            return -1
        finally:
            if conn is not None:
                conn._c = None  # a connection kept by the hook is closed for it

    def mark(self) -> int:
        with self._lock:
            return self._seq

    def error_since(self, mark: int) -> Optional[BaseException]:
        """The last exception the hook raised after ``mark()`` returned ``mark``."""
        with self._lock:
            for seq, e in reversed(self._errors):
                if seq > mark:
                    return e
        return None


def pool_error(rc: int, hook: Optional[AfterConnect], mark: int) -> BaseException:
    """The exception of a failed pool call: the C error, with the hook's exception (when it
    raised during the call) named in the message and chained as ``__cause__``."""
    err = error_from_record(rc)
    exc = hook.error_since(mark) if hook is not None else None
    if exc is None:
        return err
    if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: as they are
        return exc
    if type(exc).__name__ not in err.message or str(exc) not in err.message:
        err.message = f"{err.message} (after_connect raised {type(exc).__name__}: {exc})"
        err.args = (err.message,)
    err.__cause__ = exc
    return err


_hooked_pools: "set[Any]" = set()
_hooked_lock = threading.Lock()
_atexit_registered = False


def register_hooked_pool(pool: Any) -> None:
    """Keeps a pool with an after-connect hook (and so its callback) alive until it is
    closed, and closes it at interpreter exit, before its threads could call into a
    finalizing interpreter."""
    global _atexit_registered
    with _hooked_lock:
        if not _atexit_registered:
            import atexit
            atexit.register(_close_hooked_pools)
            _atexit_registered = True
        _hooked_pools.add(pool)


def unregister_hooked_pool(pool: Any) -> None:
    with _hooked_lock:
        _hooked_pools.discard(pool)


def _close_hooked_pools() -> None:
    with _hooked_lock:
        pools = list(_hooked_pools)
    for p in pools:
        try:
            p.close()
        except Exception:  # noqa: BLE001 - exiting anyway
            pass


__all__ = ["ArchiveResult", "MigrationState", "Partition", "Partitions", "TransferResult",
           "embedded_migrations"]
