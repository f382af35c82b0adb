"""Compare two sides' shapes per operation: what the real service has that the sandbox lacks, and back.

A shape's facts are flattened to lines — ``status 404``, ``header etag``, ``type $.navn[].fornavn: string``,
``length $.oppslag: 2–10``, ``code $.bostedsadresse[].adressegradering: UGRADERT`` — and the two sides'
sets of lines are subtracted from each other.

    >>> a = {"status": [200], "headers": [], "types": {"$": ["object"], "$.x": ["string"]}, "lengths": {}, "codes": {}}
    >>> b = {"status": [200], "headers": [], "types": {"$": ["object"]}, "lengths": {}, "codes": {}}
    >>> compare_operation(a, b)
    {'only_real': ['type $.x: string'], 'only_sandbox': []}

An array one side saw only empty hides nothing about its items: an extract of three persons on Fiks
beside an empty one in the (smaller) sandbox differs in the array's length only.

    >>> a = {"status": [200], "headers": [], "types": {"$": ["object"], "$.d": ["array"], "$.d[]": ["string"]},
    ...      "lengths": {"$.d": ["2–10"]}, "codes": {}}
    >>> b = {"status": [200], "headers": [], "types": {"$": ["object"], "$.d": ["array"]},
    ...      "lengths": {"$.d": ["0"]}, "codes": {}}
    >>> compare_operation(a, b)
    {'only_real': ['length $.d: 2–10'], 'only_sandbox': ['length $.d: 0']}
"""
from __future__ import annotations

from typing import Any, Mapping

from .shape import bucket

__all__ = ["facts", "compare_operation", "compare_role"]


def facts(shape: Mapping[str, Any] | None) -> set[str]:
    if not shape:
        return set()
    out = {f"status {s}" for s in shape["status"]} | {f"header {h}" for h in shape["headers"]}
    for kind, key in (("type", "types"), ("length", "lengths"), ("code", "codes")):
        out |= {f"{kind} {path}: {v}" for path, values in shape[key].items() for v in values}
    return out


def _fold(lines: set[str]) -> list[str]:
    """Leave out what lies under a path that is itself new on this side (``type $.x: object`` covers
    ``type $.x.y: string``): a whole new subtree is named once, at its root."""
    roots = {line.split(" ", 1)[1].rsplit(": ", 1)[0] for line in lines if line.startswith("type ")}

    def covered(line: str) -> bool:
        if not line.startswith(("type ", "length ", "code ")):
            return False
        path = line.split(" ", 1)[1].rsplit(": ", 1)[0]
        return any(path != root and (path.startswith(root + ".") or path.startswith(root + "[]"))
                   for root in roots)

    return sorted(line for line in lines if not covered(line))


def _only_empty(shape: Mapping[str, Any] | None) -> set[str]:
    """Array paths a side saw only empty: it cannot know their items' shape."""
    return {path for path, values in shape["lengths"].items() if set(values) == {bucket(0)}} if shape else set()


def _unseen(lines: set[str], empty_there: set[str]) -> set[str]:
    """The lines about the items of arrays the other side saw only empty (e.g. an extract with no one in
    it, because the sandbox's population is smaller): not a difference. The array's own ``length``
    lines still show that one side had items and the other none."""
    def under(line: str) -> bool:
        path = line.split(" ", 1)[1].rsplit(": ", 1)[0] if line.startswith(("type ", "length ", "code ")) else ""
        return any(path.startswith(root + "[]") for root in empty_there)

    return {line for line in lines if under(line)} if empty_there else set()


def compare_operation(real: Mapping[str, Any] | None, sandbox: Mapping[str, Any] | None) -> dict[str, list[str]]:
    r, s = facts(real), facts(sandbox)
    only_r, only_s = r - s, s - r
    return {"only_real": _fold(only_r - _unseen(only_r, _only_empty(sandbox))),
            "only_sandbox": _fold(only_s - _unseen(only_s, _only_empty(real)))}


def compare_role(real: Mapping[str, Mapping], sandbox: Mapping[str, Mapping]) -> dict[str, dict[str, list[str]]]:
    """Per operation called on either side: the differences (operations without any are left out)."""
    out = {}
    for op in sorted(set(real) | set(sandbox)):
        d = compare_operation(real.get(op), sandbox.get(op))
        if d["only_real"] or d["only_sandbox"]:
            out[op] = d
    return out
