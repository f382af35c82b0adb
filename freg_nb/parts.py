"""Part checks before anything is sent: known part names, the role's allowed parts, and 403s
explained in terms of the role and the part.

The vocabulary (part groups, person-basis) is ``codes``; this module applies it to a role.
"""
from __future__ import annotations

import difflib
import re
import weakref
from typing import Any, Sequence

from .codes import HISTORIKK, PART_GROUPS, PART_NAMES, PERSON_BASIS, expand_parts
from .errors import AccessDenied, InputError, PartNotAllowed, clean_text
from .ids_input import ID_SEPARATORS
from .messages import field, msg

__all__ = ["allowed_parts", "check_parts", "explain_denied"]

_ROLE_PARTS: "weakref.WeakKeyDictionary[Any, dict[str, frozenset[str]] | None]" = weakref.WeakKeyDictionary()


def allowed_parts(client: Any, role: str) -> frozenset[str] | None:
    """The part names a role may fetch, as set up in Fiks forvaltning — or ``None`` when unknown.

    Fiks has no operation that tells a client its role's parts, so this is only known for the
    built-in sandbox (from its info endpoint). Elsewhere ``None``: the parts are then checked by
    Fiks, and a refusal is explained (``AccessDenied`` naming the part and the role).
    Group names (``person-basis``, ``relasjon-utvidet`` …) are expanded to element names;
    ``historikk`` is included when the role has it.
    """
    _, name = client.resolve_role(role)
    table = _ROLE_PARTS.get(client, ...)
    if table is ...:
        table = _sandbox_role_parts(client)
        try:
            _ROLE_PARTS[client] = table
        except TypeError:  # not weak-referenceable
            pass
    if not table or name not in table:
        return None
    return table[name]


def _sandbox_role_parts(client: Any) -> dict[str, frozenset[str]] | None:
    settings = getattr(client, "settings", None)
    if settings is None or getattr(settings, "env", None) != "sandbox":
        return None
    from .config import is_loopback_url

    base = str(settings.fiks_base_url or "").rstrip("/")
    if not base or not is_loopback_url(base):
        return None
    import httpx

    from .net import sandbox_admin

    try:
        info = sandbox_admin(base, "info", timeout=5.0).json()
    except (httpx.HTTPError, ValueError):
        return None
    out = {}
    for name, setup in (info.get("role_setup") or {}).items():
        names = set(setup.get("parts") or [])
        parts = expand_parts(names) | ({HISTORIKK} if HISTORIKK in names else set())
        if PERSON_BASIS <= parts:
            parts.add("person-basis")
        for group, members in PART_GROUPS.items():
            if members <= parts:
                parts.add(group)
        out[name] = frozenset(parts)
    return out


def check_parts(client: Any, role: str, parts: Sequence[str] | str | None, history: bool = False) -> list[str] | None:
    """The part list to send (None = Freg's default person-basis), checked before anything is sent.

    Unknown part names → ``InputError``; parts the role lacks (when its parts are known, see
    ``allowed_parts``) → ``PartNotAllowed`` naming them, the role and what it may fetch. A role
    without the whole person-basis gets what it has of it instead of Freg's default.
    """
    if isinstance(parts, str):
        parts = [p for p in ID_SEPARATORS.split(parts) if p]
    wanted: list[str] = []
    for p in parts or []:
        if not isinstance(p, str) or p.strip() not in PART_NAMES:
            close = [k for k in sorted(PART_NAMES) if str(p).strip().lower() == k.lower()] or \
                difflib.get_close_matches(str(p).strip(), sorted(PART_NAMES), n=1, cutoff=0.8)
            hint = msg("parts.did_you_mean", name=close[0]) if close else ""
            raise InputError(msg("parts.unknown", part=clean_text(p, limit=40), hint=hint, field=field("parts")))
        if p.strip() not in wanted:
            wanted.append(p.strip())
    if history and HISTORIKK not in wanted:
        wanted.append(HISTORIKK)
    allowed = allowed_parts(client, role)
    _, name = client.resolve_role(role)
    if allowed is not None:
        elements = [p for p in wanted if p != HISTORIKK]
        if not elements and not (PERSON_BASIS <= allowed):
            # Freg's default is the whole person-basis: ask for what the role has of it instead
            default = sorted(PERSON_BASIS & allowed)
            if not default:
                raise PartNotAllowed(msg("parts.no_basis", role=name,
                                         allowed=", ".join(sorted(allowed - {HISTORIKK})) or "–"))
            wanted = default + [p for p in wanted if p == HISTORIKK]
            elements = default
        refused = [p for p in wanted if p not in allowed and not (p != HISTORIKK and expand_parts([p]) <= allowed)]
        if refused:
            ok = sorted(p for p in allowed if p not in PART_GROUPS and p != HISTORIKK)
            extra = [g for g in (*PART_GROUPS, HISTORIKK) if g in allowed]
            raise PartNotAllowed(msg("parts.not_allowed", role=name, refused=", ".join(refused),
                                     allowed=", ".join(extra + ok)))
    return wanted or None


def explain_denied(e: AccessDenied, role_name: str, parts: list[str] | None) -> AccessDenied:
    """A 403 from Fiks/Freg reworded to name the role and the part(s) (or the service)."""
    server = e.server_message or ""
    m = re.search(r"(?i)deler:\s*(.+)$", server)
    if m:
        refused = m.group(1).strip()
        text = msg("denied.parts", role=role_name, refused=refused)
    elif "hjemmel" in server.lower():
        text = msg("denied.hjemmel", role=role_name, server=server)
    elif "tjenesten" in server.lower():
        text = msg("denied.service", role=role_name, server=server)
    elif "tilgang til rolle" in server.lower():
        text = msg("denied.role", role=role_name)
    else:
        asked = ", ".join(parts) if parts else "person-basis"
        text = msg("denied.other", role=role_name, asked=asked, message=e.message)
    if e.error_id:
        text += f" [errorId {e.error_id}]"
    out = AccessDenied(text, status=e.status, code=e.code, error_id=e.error_id, reference=e.reference,
                       server_message=e.server_message)
    return out


