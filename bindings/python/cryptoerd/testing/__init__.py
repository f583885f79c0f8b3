"""Test helpers: rows from the library's factories, and (see pytest_plugin) databases
cloned per test from a migrated template.

``load_fixtures`` is not offered: the library has no fixtures API yet (only factories).
"""
from __future__ import annotations

import os
import re
from typing import Any, Mapping, Optional, Type, TypeVar, Union, overload
from urllib.parse import urlsplit, urlunsplit

from .._core import _Row, check, codec_for
from .._ffi import ffi, load
from .._tables import ROW_CLASSES

T = TypeVar("T")

__all__ = ["make", "dsn_for", "table_name"]


def table_name(table: Union[str, type]) -> str:
    if isinstance(table, str):
        return table
    for name, cls in ROW_CLASSES.items():
        if cls is table:
            return name
    raise LookupError(f"{table!r} is not a row class of cryptoerd")


@overload
def make(table: Type[T], seed: int = 0, *, conn: Any = None,
         parents: Optional[Mapping[str, int]] = None, violate: Optional[str] = None,
         **overrides: Any) -> T: ...


@overload
def make(table: str, seed: int = 0, *, conn: Any = None,
         parents: Optional[Mapping[str, int]] = None, violate: Optional[str] = None,
         **overrides: Any) -> Any: ...


def make(table: Any, seed: int = 0, *, conn: Any = None,
         parents: Optional[Mapping[str, int]] = None, violate: Optional[str] = None,
         **overrides: Any) -> Any:
    """A deterministic, valid row of ``table`` (a row class or a table name) from
    cerd_factory_make: the same seed gives the same row. ``parents`` maps referenced
    tables to row ids for foreign keys; with ``conn``, missing NOT NULL parents are made
    and inserted through it. ``violate`` names one constraint the row must break.
    ``overrides`` replace fields afterwards. The identity column is None (not inserted)."""
    lib = load()
    name = table_name(table)
    codec = codec_for(name)
    keep = []
    plist = list((parents or {}).items())
    parr = ffi.new("cerd_factory_parent[]", max(1, len(plist)))
    for i, (tn, pid) in enumerate(plist):
        s = ffi.new("char[]", tn.encode())
        keep.append(s)
        parr[i].table = s
        parr[i].id = pid
    vio = ffi.new("char[]", violate.encode()) if violate else ffi.NULL
    opts = ffi.new("cerd_factory_options *", {
        "version": 1, "seed": seed, "violate": vio, "parents": parr,
        "nparents": len(plist), "create_parents": conn._ptr() if conn is not None else ffi.NULL})
    row = _Row(codec.info.c, codec.info.row_size)
    try:
        check(lib.cerd_factory_make(row.buf, codec.info.c, opts))
        out = ffi.new("char **")
        n = ffi.new("size_t *")
        check(lib.cerd_rows_format_text(out, n, codec.info.c, row.buf, 1))
        try:
            obj = codec.decode_buffer(out[0], n[0])[0]
        finally:
            lib.cerd_text_free(out[0])
    finally:
        row.clear()
    for k, v in overrides.items():
        if k not in codec.info.by_name:
            raise TypeError(f"{name} has no column {k!r}")
        setattr(obj, k, v)
    return obj


def dsn_for(dsn: str, dbname: str) -> str:
    """``dsn`` (keyword/value string or URI, "" for the PG* environment) naming database
    ``dbname`` instead."""
    if "://" in dsn:
        parts = urlsplit(dsn)
        return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))
    if not re.fullmatch(r"[A-Za-z0-9_]+", dbname):
        raise ValueError(f"database name {dbname!r}")
    return (dsn + " " if dsn else "") + f"dbname={dbname}"


def default_dsn() -> str:
    return os.environ.get("CRYPTOERD_TEST_DSN", "")
