"""``SandboxConfig(shapes=…)``: what a municipality's shape report saw at Fiks, served back as untidy variants.

A shape report (``freg-nb shape-report``, format ``freg-nb-shape-report/1``) lists per role and operation
what the real service answered that the sandbox did not (``differences[op]["only_real"]``). Two kinds
of those lines become variants of every untidy document (person documents from the ``oppslag``
operation, event documents from ``hendelse``):

* ``type PATH: T`` — a field the real answers carry: added where its parent exists and it is missing,
  with an empty value of its type (``""``, ``0``, ``false``, ``null``, ``{}``, ``[]``);
* ``code PATH: V`` — a spelling of a code the real answers use (``UGRADERT``): applied where the document
  has the same code in another case (never a different code: a grading must stay what it is).

The report holds no values, so nothing here can carry personal data. The report is read by hand here
(the sandbox does not import the client side's ``freg_nb.shape``); its format is that module's contract.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["FORMAT", "load", "apply"]

FORMAT = "freg-nb-shape-report/1"
_KINDS = {"oppslag": "person", "hendelse": "event"}
_EMPTY = {"string": "", "number": 0, "boolean": False, "null": None, "object": {}, "array": []}
_LINE = re.compile(r"(type|code) (\$(?:\.[A-Za-z][A-Za-z0-9_]*(?:\[\])*)+): (.+)")
_OTHER = "<annen verdi>"


def load(source: str | Path | dict) -> dict[str, tuple]:
    """The variants of a report (a path to its JSON file, or the parsed report): ``{"person": …, "event": …}``."""
    try:
        report = source if isinstance(source, dict) else json.loads(Path(source).read_text(encoding="utf-8"))
    except OSError as e:
        raise ValueError(f"shapes: cannot read {source}: {e.strerror or e}") from None
    if not isinstance(report, dict) or report.get("format") != FORMAT:
        raise ValueError(f"shapes: not a shape report (expected format {FORMAT!r}, made by freg-nb shape-report)")
    out: dict[str, list] = {"person": [], "event": []}
    for role in (report.get("roles") or {}).values():
        for op, diff in (role.get("differences") or {}).items():
            if op not in _KINDS:
                continue
            for line in diff.get("only_real") or []:
                m = _LINE.fullmatch(line)
                if m and (m[1] == "type" and m[3] in _EMPTY or m[1] == "code" and m[3] != _OTHER):
                    variant = (m[1], tuple(m[2].split(".")[1:]), m[3])
                    if variant not in out[_KINDS[op]]:
                        out[_KINDS[op]].append(variant)
    return {k: tuple(v) for k, v in out.items()}


def _parents(node: Any, segments: tuple[str, ...]):
    """The dicts that hold the last segment's field (arrays on the way are walked item by item)."""
    if not segments[:-1]:
        yield from [node] if isinstance(node, dict) else []
        return
    head, rest = segments[0], segments[1:]
    name, depth = head.rstrip("[]"), head.count("[]")
    if not isinstance(node, dict) or name not in node:
        return
    items = [node[name]]
    for _ in range(depth):
        items = [x for item in items if isinstance(item, list) for x in item]
    for item in items:
        yield from _parents(item, rest)


def apply(doc: dict, variants: tuple) -> None:
    """Apply a report's variants to one document in place (see the module docstring)."""
    for kind, segments, value in variants:
        leaf = segments[-1]
        name = leaf.rstrip("[]")
        for parent in _parents(doc, segments):
            if kind == "type" and name not in parent and not leaf.endswith("[]"):
                parent[name] = json.loads(json.dumps(_EMPTY[value]))  # a fresh empty value each time
            elif kind == "code" and isinstance(parent.get(name), str) and parent[name].lower() == value.lower():
                parent[name] = value
