"""Shape report (issue 19): where the sandbox differs from Fiks — structure only, never personal data.

``shape_report(client, …)`` makes a small fixed set of calls per role against Fiks and the sandbox
(``calls``), reduces every answer to its shape at once (``shape``: JSON paths and types, bucketed array
lengths, values of enumerated code fields only, status codes, header names), compares the two sides per
operation (``compare``) and writes a JSON + Markdown report in the private data folder (``report``).
The sandbox reads such a report back as extra untidy variants: ``SandboxConfig(shapes=…)``.
"""
__all__ = ["ShapeReport", "shape_report", "cli_main"]


def __getattr__(name):  # lazy: ``freg-nb --help`` imports only the argument parser (shape.cli)
    if name in ("ShapeReport", "shape_report"):
        from . import report

        return getattr(report, name)
    raise AttributeError(name)


def cli_main(args) -> int:
    from .cli import run

    return run(args)
