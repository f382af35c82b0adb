"""`freg-nb` command line: sandbox | doctor | demo | lab | app | purge | shape-report.

Each subcommand's work lives in the module that owns the job; this file only parses arguments
and dispatches (imports are lazy so `freg-nb --help` is instant).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="freg-nb", description="Fiks folkeregister for analysts.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("sandbox", help="run the built-in sandbox in the foreground; start/stop/status: the shared one")
    s.add_argument("action", nargs="?", default="run", choices=("run", "start", "stop", "status"),
                   help="run (default) | start, stop or status of the sandbox the notebooks share")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8787)
    s.add_argument("--seed", type=int, default=None,
                   help="the population's seed (default FREG_NB_SANDBOX_SEED, else 1): a course sandbox "
                        "where every participant sees the same persons")
    s.add_argument("--persons", type=int, default=None, help="population size")
    s.add_argument("--events", type=int, default=None, help="number of events in the feed")
    s.add_argument("--scenario", default=None, help="a named training scenario to start in")
    s.add_argument("--roles-file", default=None, help="JSON file with the sandbox's roles")
    s.add_argument("--untidy", type=float, default=None,
                   help="share of persons whose documents deviate from the spec as real answers do "
                        "(default 0.02; 0 = strictly per spec)")
    s.add_argument("--shapes", default=None, metavar="FILE",
                   help="a shape report (freg-nb shape-report): what Fiks answered, served as untidy variants")
    s.add_argument("--force-non-loopback", action="store_true",
                   help="allow binding to a non-loopback address (never with real data)")

    d = sub.add_parser("doctor", help="check the connection, token, integration and roles")
    d.add_argument("--scenario", default=None, help="run against the sandbox in a training scenario")
    d.add_argument("--env-file", default=None)

    m = sub.add_parser("demo", help="run every notebook headless against the sandbox into reports/")
    m.add_argument("--out", default="reports")
    m.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="a notebook parameter, as papermill's -p (ids are masked in the reports)")
    m.add_argument("notebooks", nargs="*", help="only these notebooks (default: all)")

    lab = sub.add_parser("lab", help="start JupyterLab in notebooks/")
    lab.add_argument("--port", type=int, default=8888)

    app = sub.add_parser("app", help="the notebooks' forms as a Voilà app (code hidden), same sandbox")
    app.add_argument("--port", type=int, default=8866)

    g = sub.add_parser("purge", help="empty the private data folder")
    g.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    g.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    g.add_argument("--older-than", type=int, default=None, metavar="DAYS")

    from freg_nb.shape.cli import add_parser as shape_parser  # light: argparse only

    shape_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sandbox" and args.action != "run":  # the shared sandbox of the user's data folder
        from freg_nb.config import load_settings
        from freg_nb.sandbox.shared import cli_main as shared_main

        return int(shared_main(args, Path(load_settings(require_credentials=False).data_dir)) or 0)
    if args.command == "sandbox":
        from freg_nb.sandbox.server import cli_main
    elif args.command == "doctor":
        from freg_nb.diagnose import cli_main
    elif args.command in ("demo", "lab"):
        from freg_nb.demo import cli_main
    elif args.command == "app":
        from freg_nb.widgets.app import cli_main
    elif args.command == "shape-report":
        from freg_nb.shape import cli_main
    else:
        from freg_nb.store import cli_main
    return int(cli_main(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
