"""``shape_report``: the same fixed calls against Fiks (test by default) and the sandbox, compared by shape.

Checks come first (production flag and purpose, identifiers, roles), before any request. The report — a
JSON file and a Markdown file in the private data folder's ``formrapporter/`` — is written only when every
call went through, both files to temporary names first and then moved into place: a refusal, a role
without access, throttling or a timeout leaves nothing behind.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from .. import ids as _ids
from ..audit import audit, require_purpose
from ..errors import AccessDenied, ExtractError, FregNbError, InputError, RetriesExhausted, Throttled
from ..messages import msg
from ..parts import allowed_parts, check_parts
from .calls import MISTAKES, OPERATIONS, Plan, run_role
from .compare import compare_role

__all__ = ["FORMAT", "ShapeReport", "shape_report"]

FORMAT = "freg-nb-shape-report/1"
FOLDER = "formrapporter"
# parts whose absence a role is most likely to show (the first one the sandbox role lacks is asked for)
_PROBE_PARTS = ("relasjon-utvidet", "identitetsgrunnlag-utvidet", "kontaktinformasjonForDoedsbo",
                "statsborgerskap", "foedsel", "navn")


@dataclass(frozen=True)
class ShapeReport:
    """The report as data (``.data``, the JSON) and where it was written."""

    data: dict[str, Any]
    json_path: Path
    markdown_path: Path

    def summary(self) -> str:
        """What was compared, the differences per role and operation, and where the report is (bokmål)."""
        return summary_text(self.data, self.markdown_path)

    def __str__(self) -> str:
        return self.summary()


def _sandbox_client(client):
    from .._connect import connect

    return connect(environ={"FREG_NB_ENV": "sandbox", "FREG_NB_DATA_DIR": str(client.settings.data_dir)})


def _extract_criteria() -> dict[str, Any]:
    # born this year, living here, Icelandic citizens: a few dozen in all of Norway, a tiny extract anywhere
    year = str(date.today().year)
    return {"personstatustyper": ["bosatt"], "foedselsaarFraOgMed": year, "foedselsaarTilOgMed": year,
            "statsborgerskap": "ISL"}


def _lacking_part(sandbox, role: str) -> str | None:
    allowed = allowed_parts(sandbox, role)
    return next((p for p in _PROBE_PARTS if allowed is not None and p not in allowed), None)


def _checked_ids(ids: Iterable[object]) -> list[str]:
    good, bad = _ids.validate_many(list(ids))
    if bad:
        raise InputError(msg("shape.bad_ids", shown="; ".join(f"{masked} {why}" for masked, why in bad[:5])))
    return good


def shape_report(client, *, roles: Iterable[str] | None = None, ids: Iterable[str] = (), sandbox=None,
                 sandbox_roles: Mapping[str, str] | None = None, production: bool = False,
                 purpose: str | None = None, extract: bool = True) -> ShapeReport:
    """Compare what Fiks answers (``client``) with what the sandbox answers, by shape only, and write the report.

    ``roles``: the configured roles to use (default all); ``sandbox_roles`` pairs a role with a sandbox role
    of another name (default: the same name). ``ids``: persons to look up (default: the hits of one search).
    Production needs ``production=True`` and a ``purpose``. ``sandbox``: the sandbox's client (default the
    built-in one). Nothing that identifies a person is kept: see ``freg_nb.shape``.
    """
    env = client.settings.env
    if env == "prod" and not production:
        raise InputError(msg("shape.prod_flag"))
    why = require_purpose(purpose, sandbox=env == "sandbox")
    idents = _checked_ids(ids)
    names = list(client.roles) if roles is None else list(roles)
    if not names:
        raise InputError(msg("shape.no_roles"))
    for name in names:
        client.resolve_role(name)   # an unknown role: InputError naming the known ones
    sb = sandbox if sandbox is not None else _sandbox_client(client)
    try:
        result = _compare_roles(client, sb, names, sandbox_roles or {}, idents, why, extract)
    finally:
        if sandbox is None:
            sb.close()
    data = {"format": FORMAT, "environment": env, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "calls": {op: OPERATIONS[op] for op in OPERATIONS if any(op in r["real"] or op in r["sandbox"]
                                                                    for r in result.values())},
            "roles": result}
    return _write(client.data_dir, data)


def _compare_roles(client, sb, names: list[str], sandbox_roles: Mapping[str, str], idents: list[str],
                   why: str | None, extract: bool) -> dict[str, Any]:
    pairs = {name: sandbox_roles.get(name, name) for name in names}
    missing = sorted(n for n, s in pairs.items() if s not in sb.roles)
    if missing:
        raise InputError(msg("shape.no_sandbox_role", roles=", ".join(missing), known=", ".join(sorted(sb.roles))))
    env = client.settings.env
    result: dict[str, Any] = {}
    try:
        for name in names:
            audit(client.data_dir, "shape-report", role=name, n_persons=len(idents), purpose=why, ids=idents,
                  sandbox=env == "sandbox")
            result[name] = _compare_role(client, name, sb, pairs[name], idents, why, extract)
    except (Throttled, RetriesExhausted) as e:
        throttled = isinstance(e, Throttled) or isinstance(getattr(e, "last_cause", None), Throttled)
        raise FregNbError(msg("shape.throttled" if throttled else "shape.unstable")) from None
    except ExtractError:
        raise FregNbError(msg("shape.extract_timeout")) from None
    return result


def _compare_role(client, name: str, sb, sb_role: str, idents: list[str], why: str | None,
                  extract: bool) -> dict[str, Any]:
    lacking = _lacking_part(sb, sb_role)
    criteria = _extract_criteria() if extract else None
    parts = check_parts(sb, sb_role, None)   # the sandbox role's share of person-basis, asked on both sides
    real, looked_up = run_role(client, name, Plan(ids=idents, parts=parts, lacking_part=lacking, extract=criteria))
    if looked_up != idents:   # persons the report found itself (search, feed): in the audit log too
        audit(client.data_dir, "shape-report", role=name, n_persons=len(looked_up), purpose=why, ids=looked_up,
              sandbox=client.settings.env == "sandbox")
    refused = sorted(op for op, s in real.items() if s["status"] == [403] and op not in MISTAKES)
    if not [op for op in real if op not in MISTAKES and op not in refused]:
        raise AccessDenied(msg("shape.role_no_access", role=name))
    sandbox, _ = run_role(sb, sb_role, Plan(parts=parts, lacking_part=lacking, extract=criteria,
                                            skip=frozenset(refused)))
    for op in refused:   # not the role's to use: named, not compared
        real.pop(op)
    return {"sandbox_role": sb_role, "refused": refused, "real": real, "sandbox": sandbox,
            "differences": compare_role(real, sandbox)}


def _write(store, data: dict[str, Any]) -> ShapeReport:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    json_path = store.resolve(f"{FOLDER}/formrapport-{stamp}.json")
    md_path = json_path.with_suffix(".md")
    temps = []
    try:
        for target, text in ((json_path, json.dumps(data, ensure_ascii=False, indent=1)),
                             (md_path, markdown(data))):
            tmp = store.temp_path(target)
            temps.append(tmp)
            tmp.write_text(text, encoding="utf-8")
        for tmp, target in zip(temps, (json_path, md_path)):
            store.commit_temp(tmp, target)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return ShapeReport(data, json_path, md_path)


def _statement(env: str) -> str:
    return msg("shape.sandbox_only") if env == "sandbox" else msg("shape.logged", env=env)


def markdown(data: Mapping[str, Any]) -> str:
    """The report as Markdown (bokmål): what was called, then the differences per role and operation."""
    lines = [f"# {msg('shape.title')}", "", msg("shape.format", env=data["environment"], created=data["created"]),
             "", _statement(data["environment"]), "", f"## {msg('shape.calls')}", ""]
    lines += [f"* `{op}` — {text}" for op, text in data["calls"].items()]
    for role, r in data["roles"].items():
        lines += ["", f"## {msg('shape.role', role=role, sandbox_role=r['sandbox_role'])}", ""]
        if r["refused"]:
            lines += [msg("shape.refused", ops=", ".join(r["refused"])), ""]
        if not r["differences"]:
            lines.append(msg("shape.no_differences"))
        for op, d in r["differences"].items():
            lines += [f"### `{op}`", ""]
            for key, head in (("only_real", "shape.only_real"), ("only_sandbox", "shape.only_sandbox")):
                if d[key]:
                    lines += [f"**{msg(head)}**", "", *[f"* `{x}`" for x in d[key]], ""]
    return "\n".join(lines) + "\n"


def summary_text(data: Mapping[str, Any], where: Path) -> str:
    out = [msg("shape.summary_head", n_roles=len(data["roles"]), n_calls=len(data["calls"])), _statement(data["environment"])]
    for role, r in data["roles"].items():
        if not r["differences"]:
            out.append(msg("shape.summary_same", role=role))
        for op, d in r["differences"].items():
            out.append(msg("shape.summary_op", role=role, op=op, real=len(d["only_real"]),
                           sandbox=len(d["only_sandbox"])))
    out.append(msg("shape.written", path=where))
    return "\n".join(out)
