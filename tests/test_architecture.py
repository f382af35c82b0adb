"""The shape of the package: layer contracts (import-linter), no cycles, small modules, one
vocabulary, a light ``import freg_nb``, and the public signatures documented in docs/ARCHITECTURE.md."""
from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "freg_nb"
MAX_LINES = 600
# The sandbox's own modules are split in the sandbox lane (issue 13, second part).
NOT_YET_SPLIT: set[str] = set()


def test_import_linter_contracts_hold():
    """The layer contract in pyproject.toml ([tool.importlinter]): run exactly as CI would."""
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "broken" in proc.stdout and "0 broken" in proc.stdout


def test_every_module_is_placed_in_a_layer():
    """A new top-level module must be named in the sandbox contract (or be a light shared one), so
    that the layer contracts cover it and are not silently weaker than they read."""
    import tomllib

    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    sandbox = next(c for c in contracts if c["source_modules"] == ["freg_nb.sandbox"])
    light = next(c for c in contracts if c["name"].startswith("The light shared modules"))["source_modules"]
    placed = {m.split(".")[1] for m in [*sandbox["forbidden_modules"], *light]}
    modules = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
               if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert modules - {"sandbox"} <= placed, sorted(modules - {"sandbox"} - placed)


def test_import_freg_nb_loads_no_analysis_stack():
    code = ("import sys, freg_nb; heavy = [m for m in ('pandas', 'numpy', 'duckdb', 'pyarrow', 'ipywidgets', "
            "'matplotlib', 'freg_nb.sandbox') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_no_module_is_longer_than_about_600_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= NOT_YET_SPLIT, long


def test_each_vocabulary_is_defined_once():
    """The code lists live in freg_nb/codes.py; everyone else imports them."""
    defining = {  # a literal only a definition of the list would hold
        "part groups": '"identitetsgrunnlag-utvidet": ',
        "civil statuses": '"separertPartner", "skiltPartner"',
        "person-basis": '"statsborgerskap", "kjoenn", "navn", "bostedsadresse"',
        "grading levels": '"klientadresse", "fortrolig"',
        "default data folder": '".local" / "share"',
    }
    for what, literal in defining.items():
        where = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if literal in p.read_text("utf-8"))
        expected = ["paths.py"] if what == "default data folder" else ["codes.py"]
        assert where == expected, (what, where)
    from freg_nb import codes, diagnose, parts
    from freg_nb.sandbox import population, roles

    assert roles.PART_GROUPS is population.PART_GROUPS is diagnose.PART_GROUPS is parts.PART_GROUPS is codes.PART_GROUPS


def _shape(fn) -> str:
    """``name(a, b, /, *, c, **kw)`` — parameter names and kinds, as the table writes them."""
    out, star = [], False
    params = list(inspect.signature(fn).parameters.values())
    for i, p in enumerate(params):
        if p.kind is p.KEYWORD_ONLY and not star:
            out.append("*")
            star = True
        if p.kind is p.VAR_POSITIONAL:
            out.append("*" + p.name)
            star = True
            continue
        if p.kind is p.VAR_KEYWORD:
            out.append("**" + p.name)
            continue
        out.append(p.name)
        if p.kind is p.POSITIONAL_ONLY and (i + 1 == len(params) or params[i + 1].kind is not p.POSITIONAL_ONLY):
            out.append("/")
    return f"{fn.__name__}({', '.join(out)})"


def test_the_public_signature_table_matches_the_code():
    text = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("## Public signatures", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| `(\w+)\((.*)\)` \|", section, flags=re.M)
    assert len(rows) >= 25
    import freg_nb

    subpackages = {"freg_nb.mirror", "freg_nb.reconcile"}
    for module, name, params in rows:
        fn = getattr(importlib.import_module(module), name)
        assert _shape(fn) == f"{name}({params})", (module, name)
        if module in subpackages:  # reached through the lazily loaded subpackage: freg_nb.mirror.flows
            assert getattr(getattr(freg_nb, module.split(".")[1]), name) is fn, f"{module}.{name} is not public"
        else:
            assert getattr(freg_nb, name) is fn, f"freg_nb.{name} is not {module}.{name}"
    for name in ("build_mirror", "update_mirror", "open_mirror", "list_mirrors"):
        assert getattr(freg_nb, name) is getattr(freg_nb.mirror, name)
    assert {"freg_nb.mirror", "freg_nb.reconcile"} <= {m for m, _, _ in rows}


def test_old_positional_role_shapes_warn_and_work(sandbox, tmp_path):
    """Notebooks in the wild call ``has_new_events(fc, "analyse")``; the 0.1 shape still works."""
    import freg_nb

    with freg_nb.FregClient(freg_nb.Settings.for_sandbox(sandbox, data_dir=tmp_path / "data"), progress=False) as fc:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert freg_nb.has_new_events(fc, role="analyse") is None        # nothing stored yet
            assert freg_nb.event_volumes(fc, roles="analyse").empty       # its feed was looked at: empty
        with pytest.warns(DeprecationWarning, match=r"has_new_events\(client, role=…\)"):
            assert freg_nb.has_new_events(fc, "analyse") is None
        with pytest.raises(TypeError, match="multiple values for role"):
            freg_nb.has_new_events(fc, "analyse", role="analyse")
        assert fc.roles == fc.settings.roles and fc.data_dir.path == tmp_path / "data"
        assert fc.data_dir is fc.data_dir                                      # one DataDir per client


@pytest.mark.parametrize("old, new, names", [
    ("widgets.oppslag", "widgets.lookups", {"OppslagForm": "LookupForm", "LookupForm": "LookupForm"}),
    ("widgets.uttrekk", "widgets.extracts", {"extract_form": "extract_form", "ExtractForm": "ExtractForm"}),
    ("widgets.hendelser", "widgets.events", {"events_form": "events_form", "EventsForm": "EventForm"}),
    ("widgets.befolkning", "widgets.population", {"befolkning_form": "population_form",
                                                  "BefolkningForm": "PopulationForm", "download_link": "download_link"}),
    ("plots.uttrekk", "plots.extracts", {"age_pyramid": "age_pyramid", "count_bars": "count_bars"}),
    ("plots.hendelser", "plots.events", {"stacked_bars": "stacked_bars", "period_labels": "period_labels",
                                         "role_lines": "role_lines", "type_week_heatmap": "type_week_heatmap"}),
    ("plots.befolkning", "plots.population", {"waterfall": "waterfall"}),
])
def test_old_module_names_still_import_with_a_warning(old, new, names):
    """Notebooks written before module names were English import ``freg_nb.widgets.oppslag`` …:
    the thin alias modules give the same objects and say where they moved."""
    sys.modules.pop(f"freg_nb.{old}", None)
    with pytest.warns(DeprecationWarning, match=rf"freg_nb\.{old} is deprecated: import from freg_nb\.{new}"):
        alias = importlib.import_module(f"freg_nb.{old}")
    module = importlib.import_module(f"freg_nb.{new}")
    for old_name, new_name in names.items():
        assert getattr(alias, old_name) is getattr(module, new_name)


def test_old_class_name_of_the_reconcile_form_warns():
    from freg_nb.widgets import reconcile

    with pytest.warns(DeprecationWarning, match="AvstemmingForm is deprecated: use ReconcileForm"):
        from freg_nb.widgets.reconcile import AvstemmingForm
    assert AvstemmingForm is reconcile.ReconcileForm
    with pytest.raises(ImportError):
        from freg_nb.widgets.reconcile import NoSuchForm  # noqa: F401
