"""The demo run (`freg-nb demo`): executed notebooks + HTML + a summary in reports/, no secrets,
non-zero exit when a notebook fails; `freg-nb lab` keeps JupyterLab on loopback with its token."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from freg_nb import demo

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _secrets(data_dir: Path) -> list[str]:
    from freg_nb.sandbox.pki import load_or_create

    c = load_or_create(data_dir).credentials  # it adds "sandbox/" itself
    return [c.integration_password, c.cert_password, c.integration_id]


def test_demo_writes_executed_notebooks_html_and_summary_without_secrets(tmp_path):
    out, data = tmp_path / "reports", tmp_path / "data"
    runs = demo.run_all(["00_kom_i_gang"], out, data_dir=data)

    assert [r.notebook for r in runs] == ["00_kom_i_gang"]
    run = runs[0]
    assert run.ok, run.error
    assert run.executed == out / "00_kom_i_gang.ipynb" and run.html == out / "00_kom_i_gang.html"
    nb = nbformat.read(run.executed, as_version=4)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")  # really executed
    html = run.html.read_text(encoding="utf-8")
    assert "Tilkoblingssjekk" in html and "Maskinporten gir token" in html
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary[0]["notebook"] == "00_kom_i_gang" and summary[0]["ok"] is True
    assert summary[0]["seconds"] > 0
    assert "| 00_kom_i_gang |" in (out / "summary.md").read_text(encoding="utf-8")

    secrets = [s for s in _secrets(data) if s]
    for f in out.rglob("*"):
        if f.is_file():
            text = f.read_text(encoding="utf-8", errors="replace")
            # the integration id is not secret, but the passwords are
            for s in secrets[:2]:
                assert s not in text, f"a sandbox secret in {f.name}"
            assert "eyJ" not in text or not any(len(t) > 100 for t in text.split("eyJ")[1:2]), \
                f"something token-like in {f.name}"
    # the caller's environment is left as it was
    assert os.environ.get("FREG_NB_DATA_DIR") != str(data)


def test_demo_cli_fails_when_a_notebook_fails(tmp_path):
    bad = nbformat.v4.new_notebook()
    bad.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
                 nbformat.v4.new_code_cell("raise ValueError('med vilje')")]
    bad.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = tmp_path / "99_feiler.ipynb"
    nbformat.write(bad, path)
    out = tmp_path / "reports"
    env = {**os.environ, "FREG_NB_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "freg_nb.cli", "demo", "--out", str(out), str(path)],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FEIL" in r.stdout and "ValueError: med vilje" in r.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary == [summary[0]] and summary[0]["ok"] is False and "med vilje" in summary[0]["error"]
    assert (out / "99_feiler.html").exists()  # a failed run still leaves a report to read


def test_demo_refuses_unknown_notebook(tmp_path):
    r = subprocess.run([sys.executable, "-m", "freg_nb.cli", "demo", "--out", str(tmp_path), "finnes_ikke"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "finnes_ikke" in r.stderr


def test_kernels_are_forced_to_the_sandbox():
    env = demo.sandbox_environment("/tmp/x")
    assert env["FREG_NB_ENV"] == "sandbox" and env["FREG_NB_DATA_DIR"] == "/tmp/x"
    for name in ("FIKS_BASE_URL", "FIKS_INTEGRASJON_PASSORD", "MASKINPORTEN_CLIENT_ID", "FIKS_ROLLER"):
        assert env[name] == ""  # set-but-empty, so a .env cannot fill it in


def test_lab_stays_on_loopback_with_token_auth():
    cmd = demo.lab_command(8899)
    assert "--ip=127.0.0.1" in cmd and "--port=8899" in cmd
    assert not any(a.startswith(("--ServerApp.token", "--IdentityProvider.token", "--NotebookApp.token",
                                 "--ServerApp.password")) for a in cmd)
    assert any(a == f"--ServerApp.root_dir={REPO / 'notebooks'}" for a in cmd)


def test_reports_and_artifacts_are_git_ignored():
    r = subprocess.run(["git", "check-ignore", "reports/x.html", "test-artifacts/x.png"], cwd=REPO,
                       capture_output=True, text=True)
    assert r.stdout.split() == ["reports/x.html", "test-artifacts/x.png"]
