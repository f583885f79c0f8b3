"""Rows of a CSV or JSON Lines file, read without a database (transfer.h
``cerd_import_parse``): what ``import_file`` would send, as typed row objects.

    for candle in cryptoerd.read_file(cryptoerd.PriceData, "candles.csv"):
        ...

The C reader pushes rows to a callback and cannot be paused, while a Python iterator is
pulled: the C call runs in a thread of its own (the GIL released, as for every C call) and
hands rows over in batches through a bounded queue, so memory holds a few batches
whatever the file's size. Leaving the loop early stops the reader.
"""
from __future__ import annotations

import os
import queue
import threading
from typing import Any, Iterator, List, Optional, Tuple

from ._admin import FileLike, _format, _import_error, _Reader
from ._cerror import check
from ._ffi import ffi, load
from ._table import codec_for, table_of
from ._tables import ROW_CLASSES

# cerd_import_parse's row function returns a negative code to stop, which the reader
# then returns; the iterator knows why it stopped (closed, or an exception kept).
_STOPPED = -1  # CERD_ERROR


def read_file(table: Any, source: FileLike, *, format: Optional[str] = None,
              name: Optional[str] = None, batch: int = 1000) -> Iterator[Any]:
    """The rows of ``source`` (a path or a binary or text file object) for ``table`` (a
    row class or a table name), as row objects, in the file's order; CSV unless
    ``format`` or the path's suffix says JSON Lines (``"jsonl"``). Values are read by the
    rules of ``import_file`` (numbers exact, timestamps in UTC, missing columns left to
    the server's default as ``DEFAULT``/``None``) but not validated: ``import_file``
    validates on the way into the table, ``cryptoerd.validate(row)`` does it alone.

    Text that cannot be read raises ``ValidationError`` (``DataError`` for a number out
    of range) naming the line (``err.line``), column and constraint, after the rows
    before it were yielded; an exception of the file object is raised as it is.
    """
    tname = table_of(table)
    cls = ROW_CLASSES.get(tname)
    if cls is None:
        raise ValueError(f"cryptoerd: no table {tname!r}")
    if batch < 1:
        raise ValueError("batch must be at least 1")
    label: str
    if isinstance(source, (str, os.PathLike)):
        path: Optional[str] = os.fspath(source)
        label = name or os.fspath(source)
    else:
        path = None
        given = name or getattr(source, "name", None)
        label = given if isinstance(given, str) else "input"
    fmt = _format(format, label, "csv", ("csv", "jsonl"))
    return _rows(codec_for(tname, cls), source if path is None else path, fmt, label, batch)


_FORMATS = {"csv": 1, "jsonl": 2}


def _rows(codec: Any, source: Any, fmt: str, label: str, batch: int) -> Iterator[Any]:
    close = isinstance(source, str)  # a path: opened here, at the first row asked for
    f = open(source, "rb") if close else source
    lib = load()
    t = codec.info.c
    # ("rows", [row, ...]) batches, then ("end", exception or None)
    handoff: "queue.Queue[Tuple[str, Any]]" = queue.Queue(maxsize=4)
    stop = threading.Event()
    rd = _Reader(f, None)
    cname = ffi.new("char[]", label.encode("utf-8"))
    opts = ffi.new("cerd_import_options *", {"version": 1, "format": _FORMATS[fmt],
                                             "name": cname})
    pending: List[Any] = []

    def on_row(_arg: Any, _line: int, row: Any) -> int:
        if stop.is_set() or rd.exc is not None:
            return _STOPPED
        try:
            out = ffi.new("char **")
            n = ffi.new("size_t *")
            check(lib.cerd_rows_format_text(out, n, t, row, 1))
            try:
                pending.extend(codec.decode_buffer(out[0], n[0], stored=False))
            finally:
                lib.cerd_text_free(out[0])
            if len(pending) >= batch:
                handoff.put(("rows", pending[:]))
                del pending[:]
            return 0
        except BaseException as e:  # noqa: BLE001 - raised by the iterator
            rd.fail(e)
            return _STOPPED

    c_row = ffi.callback("int(void *, int64_t, const void *)", on_row, error=_STOPPED)

    def parse() -> None:
        exc: Optional[BaseException] = None
        try:
            rc = lib.cerd_import_parse(ffi.NULL, t, rd.c_read, ffi.NULL, opts, c_row,
                                       ffi.NULL)
            if rd.exc is not None:
                exc = rd.exc
            elif rc < 0 and not stop.is_set():
                exc = _import_error(rc)  # this thread's error record
            if pending and not stop.is_set():  # the rows before the end or the error
                handoff.put(("rows", pending[:]))
        except BaseException as e:  # noqa: BLE001 - handed to the iterator
            exc = e
        handoff.put(("end", exc))

    worker = threading.Thread(target=parse, name="cryptoerd.read_file", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = handoff.get()
            if kind == "end":
                if item is not None:
                    raise item
                return
            yield from item
    finally:
        stop.set()
        while worker.is_alive():  # a reader blocked on a full queue gets room to stop
            try:
                handoff.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()
        if close:
            f.close()
