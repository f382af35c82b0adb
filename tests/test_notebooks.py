"""Every notebook in notebooks/ runs headless (papermill) against the sandbox without errors.

Picks up every ``notebooks/*.ipynb`` automatically. Each run gets a private temporary data
folder (FREG_NB_DATA_DIR) and settings forced to the in-process sandbox, executes in a temp
folder, and fails on any error output, a traceback on stderr, a secret of the sandbox in the
outputs, or an unmasked fødselsnummer/D-number in the outputs (identifiers are masked by default).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from freg_nb import ids
from freg_nb.demo import run_notebook
from freg_nb.diagnose import sandbox_environment

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
_ID11 = re.compile(r"(?<![0-9a-fA-F])\d{11}(?![0-9a-fA-F])")  # not digits inside a hex hash or document id

pytestmark = pytest.mark.slow


def output_texts(executed: Path) -> list[str]:
    """Every text an executed notebook shows: streams, text/plain, text/html, error tracebacks."""
    nb = json.loads(executed.read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) or []:
            if "text" in out:
                texts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                data = (out.get("data") or {}).get(mime)
                if data:
                    texts.append("".join(data) if isinstance(data, list) else data)
            if out.get("output_type") == "error":
                texts.append("\n".join(out.get("traceback", [])))
    return texts


def problems_in(executed: Path, secrets: list[str]) -> list[str]:
    nb = json.loads(executed.read_text(encoding="utf-8"))
    found = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []) or []:
            if out.get("output_type") == "error":
                found.append(f"cell {i}: error output {out.get('ename')}: {out.get('evalue')}")
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                text = "".join(out["text"]) if isinstance(out["text"], list) else out["text"]
                if "Traceback" in text or "Error" in text:
                    found.append(f"cell {i}: stderr: {text[:300]}")
    joined = "\n".join(output_texts(executed))
    found += [f"a secret of the sandbox appears in the outputs ({s[:2]}…)" for s in secrets if s in joined]
    full = sorted({m for m in _ID11.findall(joined) if ids.is_valid(m)})
    if full:
        found.append(f"{len(full)} unmasked identifier(s) in the outputs, e.g. {ids.mask(full[0])}")
    return found


def sandbox_secrets(data_dir: Path) -> list[str]:
    """The secrets of the sandbox a kernel started with this data folder (connect()'s layout)."""
    state = data_dir / "sandbox"
    if not state.exists():
        return []
    from freg_nb.sandbox.pki import load_or_create

    c = load_or_create(data_dir).credentials  # it adds "sandbox/" itself
    return [c.integration_password, c.cert_password]


def execute(path: Path, tmp_path: Path, monkeypatch, **parameters) -> Path:
    data = tmp_path / "data"
    for k, v in sandbox_environment(data).items():
        monkeypatch.setenv(k, v)
    try:
        run = run_notebook(path, tmp_path / "out", cwd=tmp_path, parameters=parameters, timeout=600)
    finally:
        from freg_nb.sandbox import shared

        shared.stop(data)  # the kernel shares one sandbox per data folder; this one is done
    assert run.ok, f"{path.name} failed: {run.error}"
    bad = problems_in(run.executed, sandbox_secrets(data))
    assert not bad, f"{path.name}:\n" + "\n".join(bad)
    return run.executed


@pytest.fixture(scope="session")
def executed_notebook(tmp_path_factory):
    """Each notebook executed once per test run with its default parameters; every test that
    inspects a default run shares that output. ``executed_notebook(path) -> executed .ipynb``."""
    done: dict[Path, Path] = {}

    def get(path: Path) -> Path:
        if path not in done:
            with pytest.MonkeyPatch.context() as mp:
                done[path] = execute(path, tmp_path_factory.mktemp(path.stem), mp)
        return done[path]

    return get


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_errors(path: Path, executed_notebook):
    executed_notebook(path)


def test_kom_i_gang_shows_checks_matrix_and_scenarios(executed_notebook):
    executed = executed_notebook(REPO / "notebooks" / "00_kom_i_gang.ipynb")
    text = "\n".join(output_texts(executed))
    assert "Alt virker." in text
    assert "Maskinporten gir token" in text and "Fiks godtar token og integrasjon" in text
    for role in ("skole", "barnevern", "eiendomsskatt", "analyse"):
        assert role in text
    assert "bostedsadresse" in text and "hendelser" in text        # the matrix' columns
    assert "FIKS_INTEGRASJON_PASSORD" in text and "satt" in text    # settings table, secret masked
    assert "application/vnd.jupyter.widget-view+json" in executed.read_text(encoding="utf-8")  # the picker


def test_kom_i_gang_explains_a_training_scenario(tmp_path, monkeypatch):
    executed = execute(REPO / "notebooks" / "00_kom_i_gang.ipynb", tmp_path, monkeypatch,
                       scenario="feil-integrasjonspassord")
    text = "\n".join(output_texts(executed))
    assert "Fiks godtar tokenet, men ikke integrasjonen (401)" in text
    assert "FIKS_INTEGRASJON_PASSORD" in text
    assert "Alt virker." not in text


def test_oppgaver_shows_every_exercise_with_this_sandboxs_givens(executed_notebook):
    from freg_nb.course import EXERCISES

    executed = executed_notebook(REPO / "notebooks" / "06_oppgaver.ipynb")
    text = "\n".join(output_texts(executed))
    assert re.search(rf"Sandkasse med frø \d+: 0 av {len(EXERCISES)} oppgaver løst", text)
    nb = json.loads(executed.read_text(encoding="utf-8"))
    cards = [c for c in nb["cells"] if "ExerciseCard(kurs" in "".join(c["source"])]
    assert len(cards) == len(EXERCISES)
    assert all("application/vnd.jupyter.widget-view+json" in json.dumps(c["outputs"]) for c in cards)
