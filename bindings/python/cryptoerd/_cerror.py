"""The calling thread's C error record (cerd_error_last) as the package's exceptions."""
from __future__ import annotations

from typing import Any, List, Optional

from . import errors as E
from ._codec import TableInfo
from ._ffi import ffi, load

_VIOLATION_KINDS = {1: "not_null", 2: "length", 3: "numeric_precision", 4: "type",
                    5: "encoding", 6: "check"}


def _s(p: Any) -> str:
    return str(ffi.string(p).decode("utf-8", "replace")) if p != ffi.NULL else ""


def error_from_record(rc: int, violations: Optional[List[E.Violation]] = None) -> E.Error:
    lib = load()
    rec = lib.cerd_error_last()
    cls = E.BY_CODE.get(rc, E.Error)
    kw = dict(code=rc, code_name=_s(lib.cerd_error_name(rc)),
              sqlstate=ffi.string(rec.sqlstate).decode(), table=_s(rec.table),
              column=_s(rec.column), constraint=_s(rec.constraint), detail=_s(rec.detail),
              line=int(rec.line) or None)
    msg = _s(rec.message) or _s(lib.cerd_strerror(rc))
    if cls is E.ValidationError:
        return E.ValidationError(msg, violations=violations, **kw)
    return cls(msg, **kw)


def check(rc: int) -> int:
    if rc < 0:
        raise error_from_record(rc)
    return rc


def _violations(info: TableInfo, v: Any) -> List[E.Violation]:
    out = []
    for i in range(v.count):
        it = v.items[i]
        cols = tuple(info.columns[it.columns[k]].name for k in range(it.ncolumns))
        out.append(E.Violation(_s(it.constraint), cols, _s(it.message),
                               _VIOLATION_KINDS.get(int(it.kind), "")))
    return out

