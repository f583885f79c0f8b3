"""Test helpers: rows from the library's factories, fixture files (``load_fixtures``,
docs/fixtures.md) and dumps back to them (``dump_fixtures``), seeded scenarios
(``seed_presets``, ``Database.seed``), and isolated databases: a migrated ``Template``
cloned into a ``TestDatabase`` per test (the library's cerd_template_* and cerd_testdb_*;
see pytest_plugin for the fixtures built on them).
"""
from __future__ import annotations

import os
import re
from typing import Any, Mapping, Optional, Type, TypeVar, Union, overload
from urllib.parse import urlsplit, urlunsplit

from .._cerror import check
from .._table import _Row, codec_for
from .._ffi import ffi, load
from .._tables import ROW_CLASSES
from ._isolated import Seed, Template, TestDatabase, dump_fixtures, seed_presets

T = TypeVar("T")

__all__ = ["make", "load_fixtures", "dsn_for", "table_name", "Seed", "Template",
           "TestDatabase", "seed_presets", "dump_fixtures"]


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
    codec = codec_for(name, ROW_CLASSES.get(name))
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
            obj = codec.decode_buffer(out[0], n[0], stored=False)[0]
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


def load_fixtures(conn: Any, *paths: Union[str, "os.PathLike[str]"], seed: int = 0,
                  create_parents: bool = False) -> int:
    """Loads fixture files or folders (docs/fixtures.md) through ``conn`` with the
    library's cerd_fixture_load: rows in foreign-key order, references resolved, the
    columns a row leaves out filled by the factories (deterministic per ``seed``), all or
    nothing. Returns the number of rows written; a refused set raises the library's
    error, whose message names the file, line, table, row and constraint."""
    lib = load()
    setp = ffi.new("cerd_fixture_set **")
    check(lib.cerd_fixture_set_new(setp))
    try:
        for p in paths:
            check(lib.cerd_fixture_set_add_path(setp[0], os.fsencode(p)))
        opts = ffi.new("cerd_fixture_load_options *", {
            "version": 1, "seed": seed, "create_parents": create_parents,
            "copy_threshold": 0, "progress": ffi.NULL, "progress_arg": ffi.NULL})
        out = ffi.new("cerd_fixture_result *")
        check(lib.cerd_fixture_load(out, conn._ptr(), setp[0], opts))
        return int(out.rows)
    finally:
        lib.cerd_fixture_set_free(setp[0])
