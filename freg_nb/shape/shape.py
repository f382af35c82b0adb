"""The shape of one answer: JSON paths with their types, array lengths in buckets, the values of enumerated
code fields only (``vocab``), the status code and the header NAMES. Nothing else of the answer is kept.

    >>> s = shape_of({"navn": [{"fornavn": "Kari"}], "status": [{"status": "bosatt"}]})
    >>> s["types"]["$.navn[].fornavn"], s["lengths"]["$.navn"], s["codes"]["$.status[].status"]
    (['string'], ['1'], ['bosatt'])

Paths: ``$`` is the body, ``.name`` a key, ``[]`` every item of an array (items are merged). A key that is
not a plain field name (letters, digits, ``_``, starting with a letter, at most 60 characters, no
run of digits) is shown as ``KEY`` — a body keyed by identifiers must not leak them.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from .vocab import code_value

__all__ = ["KEY", "bucket", "empty", "freeze", "observation", "shape_of"]

KEY = "<nøkkel>"
_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z_]*[0-9]?")
_HEADER = re.compile(r"[a-z0-9-]{1,60}")
_BUCKETS = ((0, "0"), (1, "1"), (10, "2–10"), (1000, "11–1000"))


def bucket(n: int) -> str:
    """An array length as its bucket: 0, 1, 2–10, 11–1000, over 1000."""
    return next((label for top, label in _BUCKETS if n <= top), "over 1000")


def _type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


def _key(k: str) -> str:
    return k if len(k) <= 60 and _PLAIN_KEY.fullmatch(k) else KEY


def _field(path: str) -> str:
    """The field a value at ``path`` belongs to: the last key (items of a code array belong to it)."""
    last = path.rsplit(".", 1)[-1]
    return last.removesuffix("[]").removesuffix("[]")


def empty() -> dict[str, Any]:
    return {"status": set(), "headers": set(), "types": {}, "lengths": {}, "codes": {}}


def _walk(v: Any, path: str, out: dict) -> None:
    out["types"].setdefault(path, set()).add(_type(v))
    if isinstance(v, dict):
        for k, item in v.items():
            _walk(item, f"{path}.{_key(str(k))}", out)
    elif isinstance(v, list):
        out["lengths"].setdefault(path, set()).add(bucket(len(v)))
        for item in v:
            _walk(item, path + "[]", out)
    elif isinstance(v, str):
        shown = code_value(_field(path), v)
        if shown is not None:
            out["codes"].setdefault(path, set()).add(shown)


def observation(status: int, headers: Iterable[str], body: Any, into: dict | None = None) -> dict:
    """Add one answer (status, header names, parsed JSON body or None) to a shape (a new one by default)."""
    out = empty() if into is None else into
    out["status"].add(int(status))
    out["headers"].update(h.lower() for h in headers if _HEADER.fullmatch(h.lower()))
    if body is not None:
        _walk(body, "$", out)
    return out


def shape_of(body: Any) -> dict[str, Any]:
    """The shape of one parsed JSON body, as sorted lists (see the module docstring)."""
    return freeze(observation(200, (), body))


def freeze(shape: Mapping[str, Any]) -> dict[str, Any]:
    """Sets → sorted lists (JSON)."""
    return {"status": sorted(shape["status"]), "headers": sorted(shape["headers"]),
            **{k: {p: sorted(v) for p, v in sorted(shape[k].items())} for k in ("types", "lengths", "codes")}}
