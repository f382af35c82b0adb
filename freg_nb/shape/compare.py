"""Compare two sides' shapes per operation: what the real service has that the sandbox lacks, and back.

A shape's facts are flattened to lines — ``status 404``, ``header etag``, ``type $.navn[].fornavn: string``,
``length $.oppslag: 2–10``, ``code $.bostedsadresse[].adressegradering: UGRADERT`` — and the two sides'
sets of lines are subtracted from each other.

    >>> a = {"status": [200], "headers": [], "types": {"$": ["object"], "$.x": ["string"]}, "lengths": {}, "codes": {}}
    >>> b = {"status": [200], "headers": [], "types": {"$": ["object"]}, "lengths": {}, "codes": {}}
    >>> compare_operation(a, b)
    {'only_real': ['type $.x: string'], 'only_sandbox': []}
"""
from __future__ import annotations

from typing import Any, Mapping

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


def compare_operation(real: Mapping[str, Any] | None, sandbox: Mapping[str, Any] | None) -> dict[str, list[str]]:
    r, s = facts(real), facts(sandbox)
    return {"only_real": _fold(r - s), "only_sandbox": _fold(s - r)}


def compare_role(real: Mapping[str, Mapping], sandbox: Mapping[str, Mapping]) -> dict[str, dict[str, list[str]]]:
    """Per operation called on either side: the differences (operations without any are left out)."""
    out = {}
    for op in sorted(set(real) | set(sandbox)):
        d = compare_operation(real.get(op), sandbox.get(op))
        if d["only_real"] or d["only_sandbox"]:
            out[op] = d
    return out
