"""cryptoerd: the Python binding of libcryptoerd, the data layer of the crypto-market
analytics platform.

    import cryptoerd
    with cryptoerd.connect("dbname=app") as db:
        asset = db.assets.get_by_symbol("BTC")

Every call goes through the library's public C API (cffi, ABI mode): the same
validation, exact numerics, pool and row-level security as C programs get. The library
is found through CRYPTOERD_LIBRARY (path of libcryptoerd.so), else the install prefix
and pkg-config.
"""
from __future__ import annotations

from ._admin import (ArchiveResult, MigrationState, Partition, Partitions, TransferResult,
                     embedded_migrations)
from ._batch import Batch, BatchResult, BatchResults
from ._codec import DEFAULT, UTC, ColumnInfo, IPAddress, Json, TableInfo
from ._connection import Connection, retry
from ._pool import Pool, connect
from ._table import BulkResult, CopyResult, RowStream, Table, validate
from ._replica import LSN
from ._tables import *  # noqa: F401,F403 - the generated row and accessor classes
from ._tables import Database
from ._query_core import QueryStream
from ._queries import *  # noqa: F401,F403 - the generated query dataclasses
from ._queries import Queries
from ._read_file import read_file
from .errors import (CheckViolation, ConnectError, ConnectionLost, DatabaseError, DataError,
                     EncodingError, Error, ForeignKeyViolation, InsufficientPrivilege,
                     IntegrityError, InterfaceError, InternalError, MigrationError, NotFound,
                     NotNullViolation, OperationalError, ProgrammingError, RangeError,
                     SerializationFailure, ServerError, Timeout, UniqueViolation,
                     ValidationError, Violation)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT", "UTC", "ColumnInfo", "IPAddress", "Json", "TableInfo", "BulkResult",
    "Batch", "BatchResult", "BatchResults", "LSN",
    "ArchiveResult", "MigrationState", "Partition", "Partitions", "TransferResult",
    "embedded_migrations",
    "Connection", "CopyResult", "Database", "Queries", "QueryStream", "Pool", "RowStream", "Table",
    "connect", "read_file", "retry", "validate",
    "CheckViolation", "ConnectError", "ConnectionLost", "DatabaseError", "DataError",
    "EncodingError", "Error", "ForeignKeyViolation", "InsufficientPrivilege",
    "IntegrityError", "InterfaceError", "InternalError", "MigrationError", "NotFound",
    "NotNullViolation", "OperationalError", "ProgrammingError", "RangeError",
    "SerializationFailure", "ServerError", "Timeout", "UniqueViolation", "ValidationError",
    "Violation",
]
