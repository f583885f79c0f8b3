"""pytest fixtures for code that uses cryptoerd. Enable with
``pytest_plugins = ["cryptoerd.testing.pytest_plugin"]`` in a conftest.py (or
``pytest -p cryptoerd.testing.pytest_plugin``).

The server: ``CRYPTOERD_TEST_DSN`` (a libpq connection string or URI of a role allowed
to create databases), else libpq's PG* environment (as under pg_virtualenv).

Fixtures:
- ``cryptoerd_template`` (session): name of a database migrated once (cerd_migrate), the
  template every per-test database is cloned from; dropped at the end.
- ``cryptoerd_database`` (function): the DSN of a fresh clone of the template
  (CREATE DATABASE ... TEMPLATE), dropped after the test: full isolation, commits allowed.
- ``cryptoerd_db`` (function): a connection (cryptoerd.Database) to such a clone.
- ``cryptoerd_shared_dsn`` (session): the DSN of one migrated database shared by the tests
  that only need a rolled-back transaction.
- ``cryptoerd_conn`` (function): a connection to the shared database inside a
  transaction that is rolled back after the test (fast isolation).
"""
from __future__ import annotations

import itertools
import os
from typing import Iterator

import pytest

from .._tables import Database
from . import default_dsn, dsn_for

_counter = itertools.count()


def _admin() -> Database:
    return Database(default_dsn())


def _create(name: str, template: str = "") -> None:
    with _admin() as a:
        a.exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        a.exec(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def _drop(name: str) -> None:
    with _admin() as a:
        a.exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def cryptoerd_template() -> Iterator[str]:
    name = f"cerd_py_tpl_{os.getpid()}"
    _create(name)
    try:
        with Database(dsn_for(default_dsn(), name)) as db:
            db.migrate()
        yield name
    finally:
        _drop(name)


@pytest.fixture
def cryptoerd_database(cryptoerd_template: str) -> Iterator[str]:
    name = f"cerd_py_{os.getpid()}_{next(_counter)}"
    _create(name, cryptoerd_template)
    try:
        yield dsn_for(default_dsn(), name)
    finally:
        _drop(name)


@pytest.fixture
def cryptoerd_db(cryptoerd_database: str) -> Iterator[Database]:
    db = Database(cryptoerd_database)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="session")
def cryptoerd_shared_dsn(cryptoerd_template: str) -> Iterator[str]:
    name = f"cerd_py_shared_{os.getpid()}"
    _create(name, cryptoerd_template)
    try:
        yield dsn_for(default_dsn(), name)
    finally:
        _drop(name)


@pytest.fixture
def cryptoerd_conn(cryptoerd_shared_dsn: str) -> Iterator[Database]:
    db = Database(cryptoerd_shared_dsn)
    db.begin()
    db._depth = 1  # conn.transaction() inside the test: a savepoint
    try:
        yield db
    finally:
        try:
            db.rollback()
        finally:
            db.close()
