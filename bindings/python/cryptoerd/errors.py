"""Exceptions mirroring libcryptoerd's error codes (error.h), arranged like DB-API 2.0:
IntegrityError for constraint violations, OperationalError for the connection and
transaction conditions a caller retries or reconnects on, DataError for values.

Every exception carries what the library's per-thread error record held: ``code`` (the
negative C code), ``code_name`` ("CERD_EUNIQUE"), ``sqlstate``, ``table``, ``column``,
``constraint``, ``detail`` (empty strings when the failure did not concern them), and
``line``: the 1-based line of an imported file the failure is about (``import_file``),
else None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Type


@dataclass(frozen=True)
class Violation:
    """One rule a row breaks (cerd_violation): the constraint ("not_null", "length",
    "numeric_precision", "type", "encoding" or a CHECK's name), the columns it concerns
    and a readable message."""

    constraint: str
    columns: Tuple[str, ...]
    message: str
    kind: str = ""


class Error(Exception):
    """Base of every exception of the package (DB-API ``Error``)."""

    code: int = -1
    code_name: str = "CERD_ERROR"
    line: Optional[int] = None

    def __init__(self, message: str = "", *, code: Optional[int] = None, code_name: str = "",
                 sqlstate: str = "", table: str = "", column: str = "", constraint: str = "",
                 detail: str = "", line: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if code_name:
            self.code_name = code_name
        self.sqlstate = sqlstate
        self.table = table
        self.column = column
        self.constraint = constraint
        self.detail = detail
        if line is not None:
            self.line = line


class InterfaceError(Error):
    """The API was used incorrectly (CERD_EMISUSE), or the library cannot be loaded."""


class DatabaseError(Error):
    """Errors related to the database (DB-API ``DatabaseError``)."""


class IntegrityError(DatabaseError):
    """The server refused a row for a constraint."""


class UniqueViolation(IntegrityError):
    """CERD_EUNIQUE, SQLSTATE 23505."""


class ForeignKeyViolation(IntegrityError):
    """CERD_EFOREIGNKEY, SQLSTATE 23503."""


class CheckViolation(IntegrityError):
    """CERD_ECHECK, SQLSTATE 23514."""


class NotNullViolation(IntegrityError):
    """CERD_ENOTNULL, SQLSTATE 23502."""


class DataError(DatabaseError):
    """A value the library or server cannot take."""


class ValidationError(DataError):
    """CERD_EINVALID: the row failed client-side validation (PostgreSQL's verdict without a
    round trip), or a value could not be read. ``violations`` lists every broken rule."""

    def __init__(self, message: str = "", *, violations: Optional[List[Violation]] = None,
                 **kw: str) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.violations: List[Violation] = list(violations or [])


class RangeError(DataError):
    """CERD_ERANGE: a value out of range for its type."""


class EncodingError(DataError):
    """CERD_EENCODING: text that is not UTF-8 or holds a NUL byte."""


class NotFound(DatabaseError, LookupError):
    """CERD_ENOTFOUND: no such row."""


class OperationalError(DatabaseError):
    """Conditions of the connection or transaction (DB-API ``OperationalError``)."""


class ConnectionLost(OperationalError):
    """CERD_ECONNLOST: the connection to the server was lost."""


class ConnectError(OperationalError):
    """CERD_ECONNECT: could not connect."""


class Timeout(OperationalError):
    """CERD_ETIMEOUT."""


class SerializationFailure(OperationalError):
    """CERD_ESERIALIZATION (SQLSTATE 40001 or 40P01): retry the transaction."""


class CommitOutcomeUnknown(OperationalError):
    """CERD_ECOMMITUNKNOWN: the connection was lost while COMMIT was under way; whether
    the transaction committed is unknown (docs/reliability.md)."""


class Canceled(OperationalError):
    """CERD_ECANCELED: the statement was canceled (cerd_conn_cancel)."""


class ProgrammingError(DatabaseError):
    """DB-API ``ProgrammingError``."""


class InsufficientPrivilege(ProgrammingError):
    """CERD_EPRIVILEGE, SQLSTATE 42501: refused by a grant or row-level security."""


class MigrationError(DatabaseError):
    """CERD_EMIGRATION: the database's schema history does not match the library."""


class ServerError(DatabaseError):
    """CERD_ESERVER: another error the server reported (see ``sqlstate``)."""


class InternalError(DatabaseError):
    """CERD_ERROR, CERD_ENOMEM."""


#: C error code -> exception class.
BY_CODE: Dict[int, Type[Error]] = {
    -1: InternalError,
    -2: NotFound,
    -3: UniqueViolation,
    -4: ForeignKeyViolation,
    -5: CheckViolation,
    -6: NotNullViolation,
    -7: ValidationError,
    -8: Timeout,
    -9: ConnectionLost,
    -10: ConnectError,
    -11: SerializationFailure,
    -12: InterfaceError,
    -13: InternalError,
    -14: ServerError,
    -15: MigrationError,
    -16: RangeError,
    -17: EncodingError,
    -18: InsufficientPrivilege,
    -19: CommitOutcomeUnknown,
    -20: Canceled,
}

__all__ = [name for name, v in list(globals().items())
           if isinstance(v, type) and issubclass(v, (Error,)) or name == "Violation"]
