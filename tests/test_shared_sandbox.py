"""One sandbox per user: started once, found again through the state file, health-checked, a scenario set
through one handle seen through another, stopped by `freg-nb sandbox stop`; a stale state file replaced."""
from __future__ import annotations

import json
import os

import httpx
import pytest

from freg_nb import cli
from freg_nb.sandbox import shared

pytestmark = pytest.mark.slow


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FREG_NB_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path / "data"
    shared.stop(tmp_path / "data")


def test_started_once_found_again_and_stopped(data_dir, capsys):
    first = shared.get_or_start(data_dir)
    again = shared.get_or_start(data_dir)  # a second kernel
    assert again.pid == first.pid and again.url == first.url
    state = json.loads((data_dir / "sandbox" / shared.STATE_NAME).read_text())
    assert set(state) == {"pid", "url", "started_at"}  # no secrets in the state file
    assert oct(os.stat(data_dir / "sandbox" / shared.STATE_NAME).st_mode)[-3:] == "600"
    first.scenario("strupet")
    assert shared.active_scenario(again.url) == "strupet"  # what one kernel chose, the other sees
    first.scenario("normal")
    assert cli.main(["sandbox", "status"]) == 0 and "scenario: normal" in capsys.readouterr().out
    assert cli.main(["sandbox", "stop"]) == 0
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{first.url}/_sandbox/info", timeout=2, trust_env=False)
    assert not (data_dir / "sandbox" / shared.STATE_NAME).exists()


def test_a_stale_state_file_is_replaced(data_dir):
    folder = data_dir / "sandbox"
    folder.mkdir(parents=True)
    (folder / shared.STATE_NAME).write_text(json.dumps({"pid": 999999, "url": "http://127.0.0.1:9", "started_at": 0}))
    sb = shared.get_or_start(data_dir)
    assert sb.pid != 999999 and httpx.get(f"{sb.url}/_sandbox/info", timeout=5, trust_env=False).status_code == 200


def test_the_setting_decides(monkeypatch):
    assert shared.wanted({"FREG_NB_SANDBOX": "shared"}) and not shared.wanted({"FREG_NB_SANDBOX": "Process"})
    assert not shared.wanted({})  # a script or a test (no kernel running): its own sandbox in the process
