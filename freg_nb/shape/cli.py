"""``freg-nb shape-report``: argument handling only; the work is ``report.shape_report``."""
from __future__ import annotations

import sys

from ..errors import FregNbError, InputError
from ..messages import msg

__all__ = ["add_parser", "run"]


def add_parser(sub) -> None:
    s = sub.add_parser("shape-report", help="compare the shape of Fiks's answers with the sandbox's (no personal data "
                                            "in the report)")
    s.add_argument("--env-file", default=None)
    s.add_argument("--role", action="append", default=None, help="a configured role (repeat; default: all)")
    s.add_argument("--id", action="append", default=[], help="a person to look up (repeat; default: one search's hits)")
    s.add_argument("--sandbox-role", action="append", default=[], metavar="ROLE=SANDBOXROLE",
                   help="compare a role with a sandbox role of another name")
    s.add_argument("--no-extract", action="store_true", help="do not order the one tiny tailored extract")
    s.add_argument("--production", action="store_true", help="allow FREG_NB_ENV=prod (needs --purpose)")
    s.add_argument("--purpose", default=None, help="why (written to the audit log; required outside the sandbox)")


def _pairs(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        role, sep, other = item.partition("=")
        if not sep or not role.strip() or not other.strip():
            raise InputError(msg("shape.bad_pair", item=item))
        out[role.strip()] = other.strip()
    return out


def run(args, *, out=None, err=None) -> int:
    from .._connect import connect
    from .report import shape_report

    out, err = out or sys.stdout, err or sys.stderr
    try:
        pairs = _pairs(args.sandbox_role)
        with connect(env_file=args.env_file) as client:
            if client.settings.env == "sandbox":
                print(msg("shape.self_compare"), file=out)
            report = shape_report(client, roles=args.role, ids=args.id, sandbox_roles=pairs,
                                  production=args.production, purpose=args.purpose, extract=not args.no_extract)
    except FregNbError as e:
        print(msg("shape.failed", reason=e), file=err)
        return 2
    print(report.summary(), file=out)
    return 0
