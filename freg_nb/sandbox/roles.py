"""Fiks roles: which services and parts an integration may use, and whether "med hjemmel".

Roles come from a JSON file (default ``data/roles.json``): ``{"roles": [{"name", "id" (uuid),
"beskrivelse", "hjemmel", "services", "parts"}]}``. ``parts`` may name groups (``person-basis``,
``relasjon-utvidet``, ``identitetsgrunnlag-utvidet``, ``historikk``) or element names.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..codes import HISTORIKK, PART_GROUPS, PERSON_BASIS, expand_parts

__all__ = ["Role", "load_roles", "PART_GROUPS", "SERVICES", "PERSON_BASIS", "expand_parts", "PartCheck"]

SERVICES = ("oppslag", "soek", "uttrekk", "hendelser")


@dataclass(frozen=True)
class PartCheck:
    elements: set[str] | None  # None = the whole person-basis (no part given)
    historikk: bool
    refused: list[str]         # part names beyond the role (403)


@dataclass(frozen=True)
class Role:
    name: str
    id: str
    beskrivelse: str
    hjemmel: bool
    services: frozenset[str]
    parts: frozenset[str]       # as configured (names/groups)

    @property
    def elements(self) -> set[str]:
        return expand_parts(self.parts)

    @property
    def historikk(self) -> bool:
        return HISTORIKK in self.parts

    def without(self, *, part: str | None = None, service: str | None = None) -> "Role":
        parts = set(self.parts)
        if part:
            if part in parts:
                parts.discard(part)
            else:  # drop one element out of a group: replace groups by their elements
                parts = {p for p in parts if p == HISTORIKK} | (self.elements - {part})
        services = self.services - {service} if service else self.services
        return Role(self.name, self.id, self.beskrivelse, self.hjemmel, frozenset(services), frozenset(parts))

    def check_parts(self, requested: list[str]) -> PartCheck:
        """Apply KS's part rules for a request (``requested`` = the ``part`` values, maybe empty)."""
        allowed = self.elements
        if not requested:
            missing = sorted(PERSON_BASIS - allowed)
            return PartCheck(None, False, ["person-basis"] if missing else [])
        refused = [p for p in requested
                   if (p == HISTORIKK and not self.historikk) or (p != HISTORIKK and not expand_parts([p]) <= allowed)]
        elements = expand_parts(requested)
        if not elements:  # only "historikk": history of the person-basis
            elements = set(PERSON_BASIS)
            if not PERSON_BASIS <= allowed:
                refused.append("person-basis")
        return PartCheck(elements, HISTORIKK in requested, refused)


def load_roles(path: str | Path | None = None) -> dict[str, Role]:
    """Roles by name from ``path`` (or the packaged default); ValueError naming what is wrong."""
    if path is None:
        text = resources.files("freg_nb.sandbox").joinpath("data/roles.json").read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text)
    roles: dict[str, Role] = {}
    for r in data.get("roles", []):
        uuid.UUID(r["id"])
        bad = set(r.get("services", [])) - set(SERVICES)
        if bad:
            raise ValueError(f"role {r['name']!r}: unknown services {sorted(bad)}")
        roles[r["name"]] = Role(r["name"], r["id"], r.get("beskrivelse", ""), bool(r.get("hjemmel")),
                                frozenset(r.get("services", [])), frozenset(r.get("parts", [])))
    if not roles:
        raise ValueError("no roles in roles file")
    return roles
