"""Part checks before anything is sent: known part names, the role's allowed parts, and 403s
explained in terms of the role and the part.

The vocabulary (part groups, person-basis) is ``codes``; this module applies it to a role.
"""
from __future__ import annotations

import re
import weakref
from typing import Any, Sequence

from .codes import HISTORIKK, PART_GROUPS, PART_NAMES, PERSON_BASIS, expand_parts
from .errors import AccessDenied, InputError, PartNotAllowed, clean_text
from .ids_input import ID_SEPARATORS

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
            close = [k for k in sorted(PART_NAMES) if str(p).strip().lower() == k.lower()]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise InputError(f"Unknown part {clean_text(p, limit=40)!r}.{hint} Use person-basis, historikk, "
                             "identitetsgrunnlag-utvidet, relasjon-utvidet or an element name of Folkeregisterperson "
                             "(e.g. navn, bostedsadresse, status). Nothing was sent.")
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
                raise PartNotAllowed(f"Role {name!r} has none of the person-basis elements: name the parts to "
                                     f"fetch ({', '.join(sorted(allowed - {HISTORIKK})) or 'none'}).")
            wanted = default + [p for p in wanted if p == HISTORIKK]
            elements = default
        refused = [p for p in wanted if p not in allowed and not (p != HISTORIKK and expand_parts([p]) <= allowed)]
        if refused:
            ok = sorted(p for p in allowed if p not in PART_GROUPS and p != HISTORIKK)
            extra = [g for g in (*PART_GROUPS, HISTORIKK) if g in allowed]
            raise PartNotAllowed(
                f"Role {name!r} is not allowed the part(s) {', '.join(refused)}. It may fetch: "
                f"{', '.join(extra + ok)}. Choose from those, or ask the Fiks administrator to give the role "
                "the part in Fiks forvaltning. Nothing was sent.")
    return wanted or None


def explain_denied(e: AccessDenied, role_name: str, parts: list[str] | None) -> AccessDenied:
    """A 403 from Fiks/Freg reworded to name the role and the part(s) (or the service)."""
    server = e.server_message or ""
    m = re.search(r"(?i)deler:\s*(.+)$", server)
    if m:
        refused = m.group(1).strip()
        msg = (f"Role {role_name!r} is not allowed the part(s) {refused} (Fiks answered 403). Ask for other parts, "
               f"or ask the Fiks administrator to give the role that part in Fiks forvaltning.")
    elif "hjemmel" in server.lower():
        msg = (f"Role {role_name!r} is 'uten hjemmel' and this operation is only for roles 'med hjemmel' "
               f"(403: {server}). Use a role with hjemmel.")
    elif "tjenesten" in server.lower():
        msg = (f"Role {role_name!r} does not have this service (Fiks answered 403: {server}). Use a role with the "
               "service, or ask the Fiks administrator to add it.")
    elif "tilgang til rolle" in server.lower():
        msg = (f"The integration has no access to role {role_name!r} (403). Ask the Fiks administrator to give "
               "the integration the role in Fiks forvaltning.")
    else:
        asked = ", ".join(parts) if parts else "person-basis"
        msg = f"Role {role_name!r} was refused (403) when asking for {asked}. {e.message}"
    if e.error_id:
        msg += f" [errorId {e.error_id}]"
    out = AccessDenied(msg, status=e.status, code=e.code, error_id=e.error_id, reference=e.reference,
                       server_message=e.server_message)
    return out


