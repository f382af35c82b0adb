"""Committed notebooks are clean: no outputs, no execution counts, a first code cell tagged
``parameters`` (papermill), valid nbformat, and prose in Norwegian bokmål.

Picks up every ``notebooks/*.ipynb`` automatically.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))

# Light heuristic: frequent function words. Norwegian (both written forms) against English,
# then words that set bokmål and nynorsk apart.
_NORSK = {"og", "er", "det", "som", "på", "med", "til", "av", "kan", "skal", "eller", "du", "når",
          "denne", "dette", "må", "vil", "får", "her", "alle", "den", "ved", "også", "om", "hos"}
_BOKMAAL = {"ikke", "jeg", "hva", "hvordan", "hvis", "bare", "noen", "hver", "en", "et", "fra",
            "blir", "dere", "hvem", "hvor", "mye", "kun", "uten", "disse"}
_NYNORSK = {"ikkje", "eg", "kva", "korleis", "berre", "dykk", "nokon", "kvar", "ein", "eit",
            "frå", "dei", "vert", "me", "òg", "desse", "utan", "kven", "kor"}
_ENGLISH = {"the", "and", "is", "are", "of", "to", "with", "you", "this", "that", "it", "on",
            "be", "not", "what", "how", "which", "when", "can", "will", "from", "your", "each"}


def _words(text: str) -> list[str]:
    text = re.sub(r"```.*?```", " ", text, flags=re.S)        # code blocks
    text = re.sub(r"`[^`]*`", " ", text)                      # inline code (Freg's field names)
    text = re.sub(r"\]\([^)]*\)", "]", text)                   # link targets
    text = re.sub(r"<[^>]+>", " ", text)                       # html tags
    return re.findall(r"[a-zæøåàé]+", text.lower())


def language_of(text: str) -> str | None:
    """'bokmål', 'nynorsk', 'engelsk' or None when there is too little text to tell."""
    words = _words(text)
    no = sum(w in _NORSK for w in words)
    nb = sum(w in _BOKMAAL for w in words)
    nn = sum(w in _NYNORSK for w in words)
    en = sum(w in _ENGLISH for w in words)
    if no + nb + nn + en < 3:
        return None
    if en > no + nb + nn:
        return "engelsk"
    if nn > nb:
        return "nynorsk"
    return "bokmål"


def test_language_heuristic_tells_the_languages_apart():
    assert language_of("Denne notatboken viser hvordan du slår opp en person, og hva du gjør "
                       "når Fiks ikke svarer.") == "bokmål"
    assert language_of("This notebook shows how to look up a person and what to do when the "
                       "service is not available.") == "engelsk"
    assert language_of("Denne notatboka viser korleis du slår opp ein person, og kva du gjer "
                       "når Fiks ikkje svarar.") == "nynorsk"
    assert language_of("`foedselsEllerDNummer`") is None


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"
    assert (REPO / "notebooks" / "00_kom_i_gang.ipynb") in NOTEBOOKS


def _load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_valid_nbformat(path: Path):
    nbformat.validate(_load(path))
    assert json.loads(path.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_committed_without_outputs(path: Path):
    nb = _load(path)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} have outputs or execution counts; "
                       "strip them (`.venv/bin/pre-commit run nbstripout` or `nbstripout {path}`)")
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state in the notebook metadata"
    assert "papermill" not in nb.metadata, f"{path.name}: papermill run metadata committed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_first_code_cell_is_tagged_parameters(path: Path):
    code = [c for c in _load(path).cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    assert "parameters" in code[0].metadata.get("tags", []), \
        f"{path.name}: the first code cell must be tagged 'parameters' (papermill)"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell may be tagged 'parameters'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_markdown_is_bokmaal(path: Path):
    cells = [c.source for c in _load(path).cells if c.cell_type == "markdown"]
    assert cells, f"{path.name}: no prose (markdown cells) explaining the notebook"
    assert language_of("\n".join(cells)) == "bokmål", f"{path.name}: the prose as a whole is not bokmål"
    wrong = [(i, lang) for i, text in enumerate(cells)
             if (lang := language_of(text)) not in (None, "bokmål")]
    assert not wrong, f"{path.name}: markdown cells not in bokmål (cell index, detected): {wrong}"
