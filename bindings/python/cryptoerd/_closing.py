"""``with`` support and close-on-collection for the objects that own a C resource (a
connection, a row stream, a query stream): one implementation for all of them."""
from __future__ import annotations

from typing import Any, Self


class Closing:
    """A base for objects with a ``close()`` that releases their C resource: ``with obj:``
    closes it on exit, and it is closed when collected (errors of that late close are
    dropped, as nothing could handle them)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
