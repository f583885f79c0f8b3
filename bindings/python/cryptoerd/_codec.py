"""Rows between Python objects and the library's row text (include/cryptoerd/rowtext.h).

Everything here is driven by the runtime descriptor (cerd_table_find): the encoder and
decoder of each table are compiled once from its columns, so a table's layout is never
written down in Python. Values stay exact: numerics as decimal text both ways, never float.
"""
from __future__ import annotations

import dataclasses
import ipaddress
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from ._ffi import ffi, load

#: An inet value: an address (full prefix) or an interface (address with a prefix).
IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Interface,
                  ipaddress.IPv6Interface]
#: A jsonb value: dict, list, str, int, Decimal, bool or None.
Json = Any

FS = "\x1f"
RS = "\x1e"
ESC = "\x1b"
NULL = "\x00"
DEFAULT_MARK = "\x00D"

# cerd_type
INT64, INT32, BOOL, NUMERIC, TIMESTAMPTZ, TEXT, JSONB, INET, INT32_ARRAY, TEXT_ARRAY = range(1, 11)
TYPE_NAMES = {INT64: "bigint", INT32: "integer", BOOL: "boolean", NUMERIC: "numeric",
              TIMESTAMPTZ: "timestamptz", TEXT: "text", JSONB: "jsonb", INET: "inet",
              INT32_ARRAY: "integer[]", TEXT_ARRAY: "text[]"}
COL_NOT_NULL, COL_HAS_DEFAULT, COL_IDENTITY, COL_OPTIONAL, COL_PRIMARY_KEY = 1, 2, 4, 8, 16

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


class _Default:
    """The DEFAULT sentinel: write the column as SQL DEFAULT (its server default, or NULL
    when it has none). Put it in any field: ``row.created_at = DEFAULT``."""

    _instance: Optional["_Default"] = None

    def __new__(cls) -> "_Default":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DEFAULT"

    def __reduce__(self) -> str:
        return "DEFAULT"


#: Typed as Any so that it may be assigned to a field of any type.
DEFAULT: Any = _Default()


@dataclass(frozen=True)
class ColumnInfo:
    """A column as the descriptor describes it."""

    name: str
    index: int
    type: int
    type_name: str
    not_null: bool
    has_default: bool
    identity: bool
    primary_key: bool
    max_chars: Optional[int]
    precision: Optional[int]
    scale: Optional[int]

    @property
    def nullable(self) -> bool:
        return not self.not_null


@dataclass(frozen=True)
class KeyInfo:
    name: str
    columns: Tuple[int, ...]
    predicate: Optional[str]


@dataclass(frozen=True)
class ForeignKeyInfo:
    name: str
    columns: Tuple[int, ...]
    ref_table: str
    ref_columns: Tuple[str, ...]


class TableInfo:
    """Everything the runtime knows about one table (from its C descriptor)."""

    def __init__(self, name: str) -> None:
        lib = load()
        t = lib.cerd_table_find(name.encode())
        if t == ffi.NULL:
            raise LookupError(f"cryptoerd: the library has no table {name!r}")
        self.c = t
        self.name = name
        self.row_size = int(t.row_size)
        cols = []
        for i in range(t.ncolumns):
            c = t.columns[i]
            cols.append(ColumnInfo(
                name=ffi.string(c.name).decode(), index=i, type=int(c.type),
                type_name=TYPE_NAMES.get(int(c.type), "?"),
                not_null=bool(c.flags & COL_NOT_NULL),
                has_default=bool(c.flags & COL_HAS_DEFAULT),
                identity=bool(c.flags & COL_IDENTITY),
                primary_key=bool(c.flags & COL_PRIMARY_KEY),
                max_chars=int(c.max_chars) if c.max_chars >= 0 else None,
                precision=int(c.precision) if c.precision >= 0 else None,
                scale=int(c.scale) if c.scale >= 0 else None))
        self.columns: Tuple[ColumnInfo, ...] = tuple(cols)
        self.by_name: Dict[str, ColumnInfo] = {c.name: c for c in cols}
        self.primary_key = self._key(t.primary_key)
        self.unique_keys = tuple(self._key(t.unique_keys[i]) for i in range(t.nunique))
        self.foreign_keys = tuple(
            ForeignKeyInfo(ffi.string(f.name).decode(),
                           tuple(int(f.columns[i]) for i in range(f.ncolumns)),
                           ffi.string(f.ref_table).decode(),
                           tuple(ffi.string(f.ref_columns[i]).decode()
                                 for i in range(f.ncolumns)))
            for f in (t.foreign_keys[i] for i in range(t.nforeign)))
        self.soft_delete = int(t.soft_delete_column) >= 0

    @staticmethod
    def _key(k: Any) -> KeyInfo:
        return KeyInfo(ffi.string(k.name).decode() if k.name != ffi.NULL else "",
                       tuple(int(k.columns[i]) for i in range(k.ncolumns)),
                       ffi.string(k.predicate).decode() if k.predicate != ffi.NULL else None)

    def unique_key_index(self, name: str) -> int:
        for i, k in enumerate(self.unique_keys):
            if k.name == name:
                return i
        raise LookupError(f"{self.name}: no unique key {name!r}")


# ------------------------------------------------------------------ value helpers

_json_dec = json.JSONDecoder(parse_float=Decimal)
json_loads = _json_dec.decode


def _json_exact(v: Any) -> str:
    """JSON text of v with Decimal kept digit for digit."""
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + _json_exact(x) for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(_json_exact(x) for x in v) + "]"
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ValueError(f"JSON cannot hold {v}")
        return str(v)
    return json.dumps(v, allow_nan=False)


def enc_json(v: Any) -> str:
    try:
        return json.dumps(v, allow_nan=False, separators=(",", ":"))
    except TypeError:
        return _json_exact(v)


def enc_numeric(v: Any) -> str:
    if isinstance(v, Decimal):
        return str(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, str):
        return v
    raise TypeError(f"numeric value must be Decimal or int, not {type(v).__name__} "
                    "(floats are refused: they are not exact)")


def enc_ts(v: Any) -> str:
    if isinstance(v, datetime):
        if v.tzinfo is None or v.utcoffset() is None:
            raise TypeError(f"timestamptz value must be timezone-aware: {v!r}")
        return str((v - EPOCH) // ONE_US)
    raise TypeError(f"timestamptz value must be a datetime, not {type(v).__name__}")


def enc_bool(v: Any) -> str:
    if v is True:
        return "t"
    if v is False:
        return "f"
    raise TypeError(f"boolean value must be True or False, not {v!r}")


def enc_int(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise TypeError(f"integer value must be int, not {type(v).__name__}")


def enc_text(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(f"text value must be str, not {type(v).__name__}")
    if NULL in v:
        raise ValueError("text value contains a NUL byte, which PostgreSQL text cannot hold")
    return v


def enc_inet(v: Any) -> str:
    if isinstance(v, (ipaddress.IPv4Address, ipaddress.IPv6Address, ipaddress.IPv4Interface,
                      ipaddress.IPv6Interface, ipaddress.IPv4Network, ipaddress.IPv6Network, str)):
        return str(v)
    raise TypeError(f"inet value must be an ipaddress object or str, not {type(v).__name__}")


def enc_array(v: Any) -> str:
    if not isinstance(v, (list, tuple)):
        raise TypeError(f"array value must be a list, not {type(v).__name__}")
    return json.dumps(list(v), allow_nan=False)


def dec_ts(s: str) -> datetime:
    if s == "infinity":
        return datetime.max.replace(tzinfo=UTC)
    if s == "-infinity":
        return datetime.min.replace(tzinfo=UTC)
    return datetime.fromisoformat(s)


def dec_inet(s: str) -> Any:
    if "/" in s:
        return ipaddress.ip_interface(s)
    return ipaddress.ip_address(s)


_unesc_re = re.compile("\x1b(.)", re.S)


def unescape(s: str) -> str:
    return _unesc_re.sub(lambda m: chr(ord(m.group(1)) ^ 0x40), s)


def escape(s: str) -> str:
    if not any(ch in s for ch in (ESC, FS, RS, NULL)):
        return s
    return "".join(ESC + chr(ord(ch) ^ 0x40) if ch in (ESC, FS, RS, NULL) else ch for ch in s)


_ENCODERS: Dict[int, Tuple[str, Callable[[Any], str]]] = {
    INT64: ("_int", enc_int), INT32: ("_int", enc_int), BOOL: ("_bool", enc_bool),
    NUMERIC: ("_num", enc_numeric), TIMESTAMPTZ: ("_ts", enc_ts), TEXT: ("_text", enc_text),
    JSONB: ("_json", enc_json), INET: ("_inet", enc_inet), INT32_ARRAY: ("_arr", enc_array),
    TEXT_ARRAY: ("_arr", enc_array),
}


class Codec:
    """The compiled encoder and decoder of one table's rows."""

    def __init__(self, info: TableInfo, cls: type) -> None:
        self.info = info
        self.cls = cls
        self.names = [c.name for c in info.columns]
        fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
        missing = [n for n in self.names if n not in fields]
        if missing:
            raise TypeError(f"cryptoerd: class {cls.__name__} lacks columns {missing} of table "
                            f"{info.name}: regenerate the bindings (cmake --build build --target regen)")
        self._compile()

    def _compile(self) -> None:
        info = self.info
        g: Dict[str, Any] = {"_D": Decimal, "_DEF": DEFAULT, "_new": object.__new__,
                             "_cls": self.cls, "_fromiso": datetime.fromisoformat,
                             "_dts": dec_ts, "_inetd": dec_inet, "_jl": json_loads,
                             "_E": EPOCH, "_U": ONE_US, "_dt": datetime, "_Dec": Decimal}
        for name, fn in _ENCODERS.values():
            g[name] = fn
        # encoder: object -> row text (without flag and RS)
        parts = []
        for c in info.columns:
            fname = _ENCODERS[c.type][0]
            a = f"o.{c.name}"
            if c.type == NUMERIC:
                conv = "(str(v) if v.__class__ is _Dec else _num(v))"
            elif c.type == TEXT:
                conv = "(v if v.__class__ is str and '\\x00' not in v else _text(v))"
            elif c.type == TIMESTAMPTZ:
                # naive datetimes fail the subtraction (TypeError), as enc_ts says
                conv = "(str((v - _E) // _U) if v.__class__ is _dt else _ts(v))"
            elif c.type in (INT64, INT32):
                conv = "(str(v) if v.__class__ is int else _int(v))"
            else:
                conv = f"{fname}(v)"
            parts.append(f"('\\x00' if (v := {a}) is None else '\\x00D' if v is _DEF else {conv})")
        src = "def enc(o):\n    return '\\x1f'.join((" + ", ".join(parts) + ",))\n"
        # decoder: fields -> object
        lines = ["def dec(f):", "    o = _new(_cls)"]
        for i, c in enumerate(info.columns):
            x = f"f[{i}]"
            conv = {INT64: "int({})", INT32: "int({})", BOOL: "{} == 't'", NUMERIC: "_D({})",
                    TIMESTAMPTZ: "_fromiso({})", TEXT: "{}", INET: "_inetd({})"}.get(c.type, "_jl({})")
            if c.not_null:
                lines.append(f"    o.{c.name} = {conv.format(x)}")
            else:
                conv = conv.format("x")
                lines.append(f"    x = {x}")
                lines.append(f"    o.{c.name} = None if x == '\\x00' else {conv}")
        lines.append("    return o")
        src += "\n".join(lines) + "\n"
        # slow decoder (infinity timestamps, odd values)
        # An identity field of a C row struct holds 0 for "not numbered yet" (the write rule,
        # docs/conventions.md) and row text writes that as NULL. A stored row's identity is
        # never NULL, so in a row read from the server NULL there is the value 0 (the
        # reserved system user, id 0); `unset` is 0 for stored rows, None for rows built
        # on the client (factories).
        slow = ["def dec_slow(f, unset):", "    o = _new(_cls)"]
        for i, c in enumerate(info.columns):
            sconv = {TIMESTAMPTZ: "_dts(x)"}.get(c.type)
            if sconv is None:
                sconv = {INT64: "int(x)", INT32: "int(x)", BOOL: "x == 't'", NUMERIC: "_D(x)",
                        TEXT: "x", INET: "_inetd(x)"}.get(c.type, "_jl(x)")
            null = "unset" if c.identity else "None"
            slow.append(f"    x = f[{i}]")
            slow.append(f"    o.{c.name} = {null} if x == '\\x00' else {sconv}")
        slow.append("    return o")
        src += "\n".join(slow) + "\n"
        exec(compile(src, f"<cryptoerd codec {info.name}>", "exec"), g)
        self._enc = g["enc"]
        self._dec = g["dec"]
        self._dec_slow = g["dec_slow"]
        self.nfields = len(info.columns)

    # -------------------------------------------------------------- encode

    def encode_row(self, obj: Any) -> str:
        """One row's text, flag and RS included."""
        body: str = self._enc(obj)
        if body.count(FS) == self.nfields - 1 and RS not in body and ESC not in body:
            return "p" + body + RS
        return "e" + FS.join(self._fields(obj)) + RS

    def _fields(self, obj: Any) -> List[str]:
        out = []
        for c in self.info.columns:
            v = getattr(obj, c.name)
            if v is None:
                out.append(NULL)
            elif v is DEFAULT:
                out.append(DEFAULT_MARK)
            else:
                out.append(escape(_ENCODERS[c.type][1](v)))
        return out

    def encode_many(self, objs: Sequence[Any]) -> str:
        enc = self._enc
        body = [enc(o) for o in objs]
        s = "p" + (RS + "p").join(body) + RS
        n = len(objs)
        if s.count(FS) == n * (self.nfields - 1) and s.count(RS) == n and ESC not in s:
            return s
        return "".join(self.encode_row(o) for o in objs)

    # -------------------------------------------------------------- decode

    def decode_text(self, s: str, stored: bool = True) -> List[Any]:
        """The rows of row text; ``stored``: read from the server (not built by a factory),
        where an identity written as NULL is the value 0."""
        unset = 0 if stored else None
        rows = s.split(RS)
        rows.pop()  # after the last RS
        dec = self._dec
        out: List[Any] = []
        append = out.append
        for r in rows:
            if r[0] == "p":
                f = r[1:].split(FS)
                try:
                    append(dec(f))
                except ValueError:
                    append(self._dec_slow(f, unset))
            else:
                f = [x if x == NULL else unescape(x) for x in r[1:].split(FS)]
                append(self._dec_slow(f, unset))
        return out

    def decode_buffer(self, ptr: Any, n: int, stored: bool = True) -> List[Any]:
        if n == 0:
            return []
        return self.decode_text(ffi.unpack(ptr, n).decode("utf-8"), stored)
