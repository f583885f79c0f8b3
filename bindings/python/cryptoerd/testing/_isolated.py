"""Isolated databases for tests, seeded scenarios and fixture dumps, over the library's
fixtures.h (cerd_template_*, cerd_testdb_*, cerd_seed, cerd_fixture_dump): the binding
issues no SQL of its own here. Every call goes through cffi in ABI mode, which releases
the GIL while the C function runs (creating, cloning and dropping databases block on
the server)."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import (Any, Callable, Iterable, List, Mapping, Optional, Sequence, Tuple,
                    Union)

from .. import errors as E
from .._admin import seed_options
from .._cerror import _s, check
from .._ffi import ffi, load
from .._tables import Database

__all__ = ["Seed", "Template", "TestDatabase", "seed_presets", "dump_fixtures"]

PathLike = Union[str, "os.PathLike[str]"]
SeedSpec = Union["Seed", str, Mapping[str, Any]]


@dataclass(frozen=True)
class Seed:
    """A seeded scenario (cerd_seed_options): ``preset`` (see seed_presets()), ``scale``
    (>= 1) and ``seed`` (the same seed and scale give the same rows)."""

    preset: str = "demo"
    scale: int = 1
    seed: int = 0


def _seed_of(spec: SeedSpec) -> Seed:
    if isinstance(spec, Seed):
        return spec
    if isinstance(spec, str):
        return Seed(preset=spec)
    return Seed(**dict(spec))


def seed_presets() -> List[Tuple[str, str]]:
    """The library's seed presets as (name, one-line description) pairs
    (cerd_seed_preset_name / _description)."""
    lib = load()
    return [(_s(lib.cerd_seed_preset_name(i)), _s(lib.cerd_seed_preset_description(i)))
            for i in range(int(lib.cerd_seed_preset_count()))]


def _paths(fixtures: Union[PathLike, Sequence[PathLike]]) -> List[PathLike]:
    if isinstance(fixtures, (str, os.PathLike)):
        return [fixtures]
    return list(fixtures)


class TestDatabase:
    """A database cloned from a Template (cerd_testdb_clone): ``.dsn`` (a libpq
    connection string of it, cerd_testdb_conninfo), ``.name``, ``.connect()``,
    ``.drop()`` (cerd_testdb_drop: forces its sessions off). A context manager that
    drops it on exit."""

    __test__ = False  # not a test class for pytest

    def __init__(self, ptr: Any) -> None:
        self._lib = load()
        self._d: Any = ptr
        self.dsn: str = _s(self._lib.cerd_testdb_conninfo(ptr))
        self.name: str = _s(self._lib.cerd_testdb_name(ptr))

    @property
    def dropped(self) -> bool:
        return self._d is None

    def connect(self) -> Database:
        """A new connection to the clone (close it before drop(), or drop() ends it)."""
        if self._d is None:
            raise E.InterfaceError(f"the database {self.name} is dropped")
        return Database(self.dsn)

    def drop(self) -> None:
        """Drops the database (again: nothing)."""
        d, self._d = self._d, None
        if d is not None:
            check(self._lib.cerd_testdb_drop(d))

    def __enter__(self) -> "TestDatabase":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.drop()

    def __repr__(self) -> str:
        return f"<TestDatabase {self.name}{' (dropped)' if self._d is None else ''}>"


class Template:
    """A template database (cerd_template_create): created on the server of ``dsn`` (a
    libpq string or URI of a role with CREATEDB; "" for the PG* environment), named
    ``name`` (lowercase letters, digits, underscores, at most 40 bytes; a database of
    that name is replaced) or a unique ``cerd_tpl_<pid>_<n>``, migrated, then given the
    rows of ``fixtures`` (a fixture file or folder, or a list of them, loaded with
    ``fixture_seed`` and ``create_parents`` as load_fixtures does) and of ``seed`` (a
    Seed, a preset name, or a dict of Seed's fields). A failure raises the library's
    error and leaves no database.

    ``clone()`` makes a TestDatabase; ``drop()`` drops the template's database;
    ``close()`` only releases the object (the database stays, for another run or process
    to use). A context manager that drops it on exit. Clones of one template are made
    one at a time (the library uses a template from one thread at a time); use separate
    processes, or separate templates, to clone in parallel."""

    def __init__(self, dsn: Optional[str] = "", name: Optional[str] = None,
                 fixtures: Union[None, PathLike, Sequence[PathLike]] = None,
                 seed: Optional[SeedSpec] = None, *, fixture_seed: int = 0,
                 create_parents: bool = False) -> None:
        lib = self._lib = load()
        self._lock = threading.Lock()
        self._t: Any = None
        keep: List[Any] = []
        opts = ffi.new("cerd_template_options *", {"version": 1})
        setp: Any = None
        try:
            if fixtures is not None:
                setp = ffi.new("cerd_fixture_set **")
                check(lib.cerd_fixture_set_new(setp))
                for p in _paths(fixtures):
                    check(lib.cerd_fixture_set_add_path(setp[0], os.fsencode(p)))
                load_opts = ffi.new("cerd_fixture_load_options *", {
                    "version": 1, "seed": fixture_seed, "create_parents": create_parents,
                    "copy_threshold": 0, "progress": ffi.NULL, "progress_arg": ffi.NULL})
                keep.append(load_opts)
                opts.fixture = setp[0]
                opts.load = load_opts
            if seed is not None:
                sd = _seed_of(seed)
                so, borrowed = seed_options(sd.preset, sd.scale, sd.seed)
                keep += [so, *borrowed]
                opts.seed = so
            out = ffi.new("cerd_template **")
            cname = ffi.new("char[]", name.encode()) if name is not None else ffi.NULL
            check(lib.cerd_template_create(out, (dsn or "").encode(), cname, opts))
            self._t = out[0]
            self.name: str = _s(lib.cerd_template_name(self._t))
        finally:
            if setp is not None:
                lib.cerd_fixture_set_free(setp[0])

    @property
    def closed(self) -> bool:
        """True after drop() or close()."""
        return self._t is None

    def clone(self) -> TestDatabase:
        """A new database copied from the template (cerd_testdb_clone), named
        ``<template>_<pid>_<n>``."""
        out = ffi.new("cerd_testdb **")
        with self._lock:
            if self._t is None:
                raise E.InterfaceError(f"the template {self.name} is closed")
            check(self._lib.cerd_testdb_clone(out, self._t))
        return TestDatabase(out[0])

    def drop(self) -> None:
        """Drops the template's database (forcing its sessions off) and releases the
        object (cerd_template_drop). Clones stay. Again: nothing."""
        with self._lock:
            t, self._t = self._t, None
        if t is not None:
            check(self._lib.cerd_template_drop(t))

    def close(self) -> None:
        """Releases the object; the database stays (cerd_template_free)."""
        with self._lock:
            t, self._t = self._t, None
        if t is not None:
            self._lib.cerd_template_free(t)

    def __enter__(self) -> "Template":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.drop()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        return f"<Template {getattr(self, 'name', '?')}{' (closed)' if self._t is None else ''}>"


def dump_fixtures(conn: Any, path: Optional[PathLike] = None, *,
                  tables: Optional[Iterable[Union[str, type]]] = None,
                  roots: Optional[Iterable[Tuple[Union[str, type], int]]] = None,
                  progress: Optional[Callable[[int, int], None]] = None) -> str:
    """The rows of the database of ``conn`` in the fixture format (cerd_fixture_dump,
    docs/fixtures.md): tables in foreign-key order, rows in primary-key order, identity
    columns left out, references between dumped rows written as ``@table.<table>_<n>``,
    so that load_fixtures() into a fresh database gives the same rows (and the same
    dump). Returns the text and, with ``path``, writes it there (UTF-8).

    ``tables``: the tables to dump whole (names or row classes); default every table
    except those written by triggers (audit_log). ``roots``: (table, id) pairs; dump
    instead the rows reached from them (rows referring to them, transitively, then the
    rows those refer to). ``progress(done, total)`` is called after each table read (an
    exception it raises is re-raised when the dump is done). An open transaction of
    ``conn`` is used (REPEATABLE READ for a consistent snapshot of a live database)."""
    from . import table_name
    lib = load()
    keep: List[Any] = []
    opts = ffi.new("cerd_fixture_dump_options *", {"version": 1})
    if tables is not None:
        names = [ffi.new("char[]", table_name(t).encode()) for t in tables]
        keep += names
        arr = ffi.new("const char *[]", max(1, len(names)))
        for i, n in enumerate(names):
            arr[i] = n
        keep.append(arr)
        opts.tables = arr
        opts.ntables = len(names)
    if roots is not None:
        rl = list(roots)
        rarr = ffi.new("cerd_fixture_root[]", max(1, len(rl)))
        for i, (t, key) in enumerate(rl):
            n = ffi.new("char[]", table_name(t).encode())
            keep.append(n)
            rarr[i].table = n
            rarr[i].id = key
        keep.append(rarr)
        opts.roots = rarr
        opts.nroots = len(rl)
    failure: List[BaseException] = []
    if progress is not None:
        report = progress

        def on_progress(_arg: Any, done: int, total: int) -> None:
            if not failure:
                try:
                    report(int(done), int(total))
                except BaseException as e:  # noqa: BLE001 - re-raised below
                    failure.append(e)
        cb = ffi.callback("void(void *, int64_t, int64_t)", on_progress)
        keep.append(cb)
        opts.progress = cb
    out = ffi.new("char **")
    check(lib.cerd_fixture_dump(out, conn._ptr(), opts))
    try:
        text = str(ffi.string(out[0]).decode("utf-8"))
    finally:
        lib.free(out[0])
    if failure:
        raise failure[0]
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return text
