"""pytest fixtures for code that uses cryptoerd. Enable with
``pytest_plugins = ["cryptoerd.testing.pytest_plugin"]`` in a conftest.py (or
``pytest -p cryptoerd.testing.pytest_plugin``).

The server: ``CRYPTOERD_TEST_DSN`` (a libpq connection string or URI of a role allowed
to create databases), else libpq's PG* environment (as under pg_virtualenv).

The databases are made and dropped by the library (cryptoerd.testing.Template and
TestDatabase over cerd_template_create and cerd_testdb_clone): the plugin issues no SQL
of its own.

Fixtures:
- ``cryptoerd_template`` (session): a cryptoerd.testing.Template, a database migrated
  once (cerd_migrate) under a unique name (``.name``), the template every per-test
  database is cloned from; dropped at the end. Override it in a conftest.py (a
  session fixture of the same name yielding a Template) to give every clone a base
  fixture or a seeded scenario: ``Template(dsn, fixtures="tests/base.json",
  seed="demo")``.
- ``cryptoerd_database`` (function): the DSN of a fresh clone of the template
  (cerd_testdb_clone), dropped after the test: full isolation, commits allowed.
- ``cryptoerd_db`` (function): a connection (cryptoerd.Database) to such a clone.
- ``cryptoerd_shared_dsn`` (session): the DSN of one clone of the template shared by the
  tests that only need a rolled-back transaction.
- ``cryptoerd_conn`` (function): a connection to the shared database inside a
  transaction that is rolled back after the test (fast isolation).
"""
from __future__ import annotations

from typing import Iterator

import pytest

from .._tables import Database
from . import default_dsn
from ._isolated import Template


@pytest.fixture(scope="session")
def cryptoerd_template() -> Iterator[Template]:
    with Template(default_dsn()) as tpl:
        yield tpl


@pytest.fixture
def cryptoerd_database(cryptoerd_template: Template) -> Iterator[str]:
    with cryptoerd_template.clone() as db:
        yield db.dsn


@pytest.fixture
def cryptoerd_db(cryptoerd_database: str) -> Iterator[Database]:
    db = Database(cryptoerd_database)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture(scope="session")
def cryptoerd_shared_dsn(cryptoerd_template: Template) -> Iterator[str]:
    with cryptoerd_template.clone() as db:
        yield db.dsn


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
