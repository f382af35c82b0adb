"""The notebooks in a real browser: JupyterLab on loopback, driven by Debian's Chromium via Playwright.

One JupyterLab serves temporary COPIES of every ``notebooks/*.ipynb`` (autosave must never write
outputs into the repo). For each notebook: open it, Run All Cells, wait until every code cell
has run, check that widgets render and that no cell shows an error. Notebook 00: pick a
training scenario in its dropdown, press its button and see the explanation. Notebook 01: press
its run button and see its table appear. Then each form as an analyst uses it at 1400×900: bad
input gives one Norwegian message (no traceback, no stderr output, no "Ferdig"), 02 runs two
criteria sets in a row, the download is Excel-Norway CSV; a scenario chosen in 00 is what 01
meets (one shared sandbox); and the Voilà app renders the forms. Screenshots go to
``test-artifacts/`` (git-ignored).

Without ``chromium`` the test is skipped with the reason locally, and fails when ``CI`` is set.
Never ``playwright install``: it downloads a browser of its own, which fails on these machines.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from freg_nb.diagnose import sandbox_environment

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CELL_TIMEOUT_MS = 180_000

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _context(browser, **kw):
    """A page context as an analyst's: 1400×900, Norwegian."""
    return browser.new_context(viewport={"width": 1400, "height": 900}, locale="nb-NO", **kw)


def _chromium() -> str:
    path = shutil.which("chromium")
    if path:
        return path
    reason = ("Debian's chromium is not installed (apt-get install -y chromium; .ci/run installs it). "
              "Do not use `playwright install`.")
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on loopback serving copies of the notebooks; yields (base url, folder)."""
    _chromium()
    root = tmp_path_factory.mktemp("lab")
    work = root / "notebooks"
    work.mkdir()
    for nb in NOTEBOOKS:
        shutil.copy(nb, work / nb.name)
    settings = root / "settings"
    settings.mkdir()
    # silence the "get notified about Jupyter news" toast (the command-line flag does not), and
    # start the notebook's own kernel without the "Select Kernel" dialog
    (settings / "overrides.json").write_text(json.dumps(
        {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
         "@jupyterlab/notebook-extension:tracker": {"autoStartDefaultKernel": True}}))
    env = {**os.environ, **sandbox_environment(root / "data"),
           "JUPYTER_CONFIG_DIR": str(root / "config"), "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(root / "workspaces"), "JUPYTERLAB_SETTINGS_DIR": str(root / "user-settings")}
    port = _free_port()
    log = (root / "lab.log").open("wb")
    # Token auth is off only for this throwaway, loopback-only server that the test drives.
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         "--ServerApp.token=", "--ServerApp.password=", "--allow-root", f"--ServerApp.root_dir={work}",
         f"--LabApp.app_settings_dir={settings}"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/status", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (root / "lab.log").read_text(errors="replace")[-2000:])
            time.sleep(0.3)
        yield url, work
    finally:
        from freg_nb.sandbox import shared

        shared.stop(root / "data")  # the sandbox the notebooks' kernels shared
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _run_all(page, url: str, name: str) -> None:
    # a workspace of its own per notebook (?reset): only this notebook is open, so selectors
    # below cannot match another notebook's hidden panel
    page.goto(f"{url}/lab/workspaces/{Path(name).stem}/tree/{name}?reset")
    page.wait_for_selector(".jp-CodeCell", timeout=60_000)
    dialog = page.locator(".jp-Dialog button:has-text('Select')")
    try:  # only if the kernel dialog shows despite autoStartDefaultKernel
        dialog.click(timeout=3_000)
    except Exception:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.wait_for_selector(".jp-CodeCell", timeout=30_000)
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
    # every code cell has an execution count, and the kernel is idle again
    page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent))
                   && ind && ind.getAttribute('data-status') === 'idle';
        }""", timeout=CELL_TIMEOUT_MS)


def _errors_shown(page) -> list[str]:
    shown = []
    for el in page.query_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"):
        text = el.inner_text()
        if "Traceback" in text or "Error" in text:
            shown.append(text[:400])
    for el in page.query_selector_all(".jp-OutputArea-output"):
        text = el.inner_text()
        if "Error displaying widget" in text or "❌" in text:
            shown.append(text[:400])
    return shown


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"browser-{name}.png"), full_page=True)


def test_every_notebook_runs_in_jupyterlab(lab, browser):
    url, _work = lab
    assert NOTEBOOKS
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("browser-*.png"):  # screenshots of this run only
        old.unlink()
    originals = {nb: nb.read_bytes() for nb in NOTEBOOKS}
    context = _context(browser)
    failures: dict[str, list[str]] = {}
    try:
        for nb in NOTEBOOKS:
            page = context.new_page()
            try:
                _run_all(page, url, nb.name)
                try:  # widget views replace their "Loading widget..." placeholder once rendered
                    page.wait_for_function("() => !document.body.innerText.includes('Loading widget')",
                                           timeout=15_000)
                except Exception:
                    failures.setdefault(nb.name, []).append("a widget never finished loading")
                _shot(page, nb.stem)
                failures.setdefault(nb.name, []).extend(_errors_shown(page))
                if nb.stem == "00_kom_i_gang":
                    if not page.query_selector(".jp-OutputArea-output .widget-dropdown select"):
                        failures[nb.name].append("the scenario dropdown did not render")
                    _check_scenario_picker(page)
                    _shot(page, nb.stem + "-scenario")
                if nb.stem.startswith("01_"):
                    _press_run_button_and_see_table(page)
                    _shot(page, nb.stem + "-knapp")
            except Exception as e:  # a timeout names the notebook; keep going with the others
                _shot(page, nb.stem + "-feil")
                failures.setdefault(nb.name, []).append(f"{type(e).__name__}: {str(e)[:300]}")
            finally:
                page.close()
    finally:
        context.close()
    assert not {k: v for k, v in failures.items() if v}, failures
    # JupyterLab worked on copies: the committed notebooks are untouched
    assert all(nb.read_bytes() == data for nb, data in originals.items())


def _check_scenario_picker(page) -> None:
    select = page.locator(".widget-dropdown select").last
    select.select_option("ukjent-rolle")
    page.wait_for_function("() => document.body.innerText.includes('Integrasjonen har ikke (lenger) tilgang')",
                           timeout=10_000)  # the scenario's description is shown
    page.locator("button.jupyter-button:has-text('Bytt og sjekk')").click()
    page.wait_for_function("() => document.body.innerText.includes('kan ikke brukes: alle kall gir 403')",
                           timeout=60_000)
    # and back to normal, which works again
    select.select_option("normal")
    page.locator("button.jupyter-button:has-text('Bytt og sjekk')").click()
    page.wait_for_function("() => [...document.querySelectorAll('.widget-output')].some("
                           "o => o.innerText.includes('Alt virker.'))", timeout=60_000)


def _press_run_button_and_see_table(page) -> None:
    """Notebook 01's form (freg_nb.widgets.lookups.LookupForm → RunPanel, an ipywidgets Button
    "Hent personer"): press it and see the table appear in that panel's output."""
    button = page.locator("button.jupyter-button:has-text('Hent personer')").last
    button.wait_for(timeout=30_000)
    panel = button.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")
    assert panel.locator("table").count() == 0  # nothing before the press
    button.click()
    panel.locator("table").first.wait_for(timeout=120_000)
    page.wait_for_function("(el) => el.innerText.includes('Ferdig')", arg=panel.element_handle(),
                           timeout=60_000)
    assert "❌" not in panel.inner_text()


# ---------------------------------------------------------------------------------------------
# The forms as an analyst uses them (1400×900): bad input, two runs in a row, download


def _panel(page, label: str):
    """The RunPanel of the form whose run button reads ``label``."""
    button = page.locator(f"button.jupyter-button:has-text('{label}')").last
    button.wait_for(timeout=60_000)
    return button, button.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][1]")


def _press_and_wait(page, label: str, *, timeout: int = 180_000) -> tuple[str, str]:
    """Press the run button; wait for that run's end. Returns (state, the panel's text)."""
    button, panel = _panel(page, label)
    status = panel.locator(".freg-nb-status")
    before = int(status.get_attribute("data-run") or 0) if status.count() else 0
    button.click()
    page.wait_for_function(
        """([el, n]) => { const s = el.querySelector('.freg-nb-status');
             return s && +s.dataset.run > n && ['done','failed','stopped','warning','choice'].includes(s.dataset.state); }""",
        arg=[panel.element_handle(), before], timeout=timeout)
    panel.locator(".freg-nb-status").evaluate("el => el.scrollIntoView({block: 'start'})")  # for the screenshots
    return panel.locator(".freg-nb-status").get_attribute("data-state"), panel.inner_text()


def _field(page, label: str):
    return page.locator(f".widget-inline-hbox:has(label:text-is('{label}')) :is(input, textarea)").last


def _calm(page, text: str) -> list[str]:
    """What must never be beside a failure: a traceback, an stderr output, "Ferdig"."""
    bad = []
    if "Traceback" in text:
        bad.append("a traceback in the form")
    if "Ferdig" in text:
        bad.append("'Ferdig' beside a failure")
    if page.query_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"):
        bad.append("an stderr output element")
    return bad


def _download_excel_csv(page) -> bytes:
    """Press the form's «CSV» button, then its download link: the browser gets Excel-Norway CSV."""
    before = page.locator("a.freg-nb-download").count()
    page.locator("button.jupyter-button:text-is('CSV')").last.click()
    page.wait_for_function("(n) => document.querySelectorAll('a.freg-nb-download').length > n", arg=before,
                           timeout=30_000)
    with page.expect_download() as got:
        page.locator("a.freg-nb-download").last.click()
    data = Path(got.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b";" in data.splitlines()[0], data[:80]
    return data


def test_forms_fail_gracefully_run_twice_and_download(lab, browser):
    url, _work = lab
    ARTIFACTS.mkdir(exist_ok=True)
    context = _context(browser, accept_downloads=True)
    try:
        page = context.new_page()
        # 01: garbage ids → one Norwegian message; then the parameters' ids → table, person picker, download
        _run_all(page, url, "01_oppslag.ipynb")
        _field(page, "Fødselsnummer").fill("123\nabc")
        state, text = _press_and_wait(page, "Hent personer")
        _shot(page, "form-01-feil")
        assert state == "failed" and "❌" in text and "11 sifre" in text, text[:500]
        assert not _calm(page, text), _calm(page, text)
        _field(page, "Fødselsnummer").fill("")
        state, text = _press_and_wait(page, "Hent personer")
        assert state == "done" and "❌" not in text, text[:500]
        page.locator(".dt-container, .dataTables_wrapper").first.wait_for(timeout=30_000)  # the paged table
        _shot(page, "form-01-tabell")
        picker = _field(page, "Person")
        assert picker.input_value(), "the person picker is filled after a run"
        _download_excel_csv(page)
        _shot(page, "form-01")
        page.close()

        # 02: two different criteria sets in a row (the name comes from the criteria each time)
        page = context.new_page()
        _run_all(page, url, "02_uttrekk.ipynb")
        assert _field(page, "Navn på uttrekket").input_value() == ""
        for year in ("2018", "2017"):
            _field(page, "Født fra og med år").fill(year)
            state, text = _press_and_wait(page, "Bestill og hent uttrekket")
            assert state == "done" and "❌" not in text, text[:500]
        _download_excel_csv(page)  # what the form produced (the 2017 set)
        _shot(page, "form-02")
        _field(page, "Født fra og med år").fill("neste år")
        state, text = _press_and_wait(page, "Bestill og hent uttrekket")
        assert state == "failed" and "«Født fra og med år» må være et årstall" in text, text[:500]
        assert not _calm(page, text), _calm(page, text)
        _shot(page, "form-02-feil")
        page.close()

        # 03: to-date before from-date → Norwegian message; then a run with charts per role
        page = context.new_page()
        _run_all(page, url, "03_hendelser_per_rolle.ipynb")
        dates = page.locator(".widget-datepicker input[type='date']")
        dates.nth(dates.count() - 2).fill("2026-11-01")
        dates.last.fill("2026-10-25")
        state, text = _press_and_wait(page, "Hent og tell hendelser")
        assert state == "failed" and "Til og med dato" in text, text[:500]
        assert not _calm(page, text), _calm(page, text)
        _shot(page, "form-03-feil")
        dates.last.fill("")
        state, text = _press_and_wait(page, "Hent og tell hendelser")
        assert state == "done" and "❌" not in text, text[:500]
        info = page.locator(".dt-info").last.inner_text()  # a month of days: a paged table
        assert info.startswith("Rad 1–10 av"), info  # DataTables speaks bokmål
        roles = page.locator(".widget-select-multiple select").first.evaluate(
            "s => [...s.selectedOptions].length")
        charts = page.locator(".freg-nb-out img, .widget-output img").count()
        assert charts >= 1 + 2 * roles, (charts, roles)  # the role lines, then bars and heatmap per role
        _download_excel_csv(page)
        _shot(page, "form-03")
    finally:
        context.close()


def test_scenario_chosen_in_00_applies_in_01(lab, browser):
    """One sandbox per user: the training scenario picked in 00's kernel is what 01's kernel meets."""
    url, _work = lab
    context = _context(browser)
    try:
        p00 = context.new_page()
        _run_all(p00, url, "00_kom_i_gang.ipynb")
        select = p00.locator(".widget-dropdown select").last
        assert select.input_value() == "normal"  # the picker starts at the active scenario
        select.select_option("rolle-mangler-del")
        state, text = _press_and_wait(p00, "Bytt og sjekk")
        assert "rolle-mangler-del" in text and state == "failed" and "Ferdig" not in text, text[:300]
        _shot(p00, "form-00")
        p01 = context.new_page()
        _run_all(p01, url, "01_oppslag.ipynb")
        p01.locator(".widget-dropdown:has(label:text-is('Rolle')) select").last.select_option("skole")
        p01.locator(".widget-select-multiple:has(label:text-is('Deler (part)')) select").last \
            .select_option("bostedsadresse")
        state, text = _press_and_wait(p01, "Hent personer")
        _shot(p01, "scenario-01")
        assert state == "failed" and "403" in text and "bostedsadresse" in text, text[:500]
        assert not _calm(p01, text), _calm(p01, text)
        select.select_option("normal")  # back to normal for everything after this test
        state, text = _press_and_wait(p00, "Bytt og sjekk")
        assert "Alt virker." in text, text[:300]
        state, text = _press_and_wait(p01, "Hent personer")
        assert state == "done", text[:500]
    finally:
        context.close()


def test_voila_app_renders_the_forms(lab, browser, tmp_path):
    """`freg-nb app`: Voilà serves the forms' page with the code hidden."""
    from freg_nb.widgets.app import APP_NOTEBOOK

    port = _free_port()
    env = {**os.environ, **sandbox_environment(tmp_path / "data"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = (tmp_path / "voila.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "voila", str(APP_NOTEBOOK), f"--port={port}", "--no-browser",
                             "--strip_sources=True", "--Voila.ip=127.0.0.1"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=APP_NOTEBOOK.parent)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        deadline = time.monotonic() + 60
        while True:  # listening? (a GET of the page would start a kernel each time)
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "voila.log").read_text()[-2000:]
            time.sleep(0.5)
        page.goto(f"http://127.0.0.1:{port}/", timeout=120_000)
        page.locator(".lm-TabBar-tab:has-text('Oppslag'), .p-TabBar-tab:has-text('Oppslag')").first.wait_for(
            timeout=120_000)
        body = page.inner_text("body")
        assert "Uttrekk" in body and "Hendelser per rolle" in body
        assert "import" not in body and "forms()" not in body  # the code is hidden
        page.locator(".lm-TabBar-tab:has-text('Oppslag'), .p-TabBar-tab:has-text('Oppslag')").first.click()
        page.locator("button:has-text('Hent personer')").wait_for(timeout=30_000)
        page.locator(".freg-nb-course button:has-text('Sjekk svaret')").wait_for(timeout=60_000)  # the course form
        page.screenshot(path=str(ARTIFACTS / "browser-voila.png"))
    finally:
        page.close()
        from freg_nb.sandbox import shared

        shared.stop(tmp_path / "data")
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_stopp_ends_a_slow_run_and_a_rerun_continues(lab, browser):
    """Against a slow sandbox (3 s a call; 40 bulk calls, 8 at a time): Stopp ends 01's run within 5 s;
    pressing again reuses what was fetched before the stop; Kernel → Interrupt stops a run as well."""
    import re

    from test_forms import _synthetic_ids

    from freg_nb.sandbox import shared

    url, work = lab
    context = _context(browser)
    page = context.new_page()
    sandbox = None
    try:
        _run_all(page, url, "01_oppslag.ipynb")
        sandbox = shared.get_or_start(work.parent / "data")  # the one the notebook's kernel uses
        _field(page, "Fødselsnummer").evaluate(  # paste at once (typing 130 kB takes minutes)
            "(el, text) => { el.value = text; el.dispatchEvent(new Event('input', {bubbles: true}));"
            " el.dispatchEvent(new Event('change', {bubbles: true})); }", "\n".join(_synthetic_ids(40_000)))
        page.wait_for_function("() => /Bruker 40.000 innlimte id-er/.test(document.body.innerText)",
                               timeout=30_000)
        sandbox.set_faults(latency_ms=3000)
        button, panel = _panel(page, "Hent personer")
        button.click()
        page.locator("button.jupyter-button:has-text('Stopp')").last.wait_for(state="visible", timeout=30_000)
        time.sleep(4)
        t0 = time.monotonic()
        page.locator("button.jupyter-button:has-text('Stopp')").last.click()
        page.wait_for_function("(el) => el.querySelector('.freg-nb-status[data-state=\"stopped\"]')",
                               arg=panel.element_handle(), timeout=10_000)
        assert time.monotonic() - t0 < 5, "Stopp must end the run within 5 s"
        text = panel.inner_text()
        assert "trykk på knappen igjen" in text and not _calm(page, text), text[:500]
        _shot(page, "form-01-stoppet")
        sandbox.set_faults(latency_ms=0)
        state, text = _press_and_wait(page, "Hent personer")
        assert state == "done", text[:500]
        reused = int(re.search(r"\((\d+) gjenbrukt\)", text).group(1))
        assert reused >= 1, text[:300]
        # Kernel → Interrupt reaches the run's worker threads too (other ids: nothing stored for them)
        _field(page, "Fødselsnummer").evaluate(
            "(el, text) => { el.value = text; el.dispatchEvent(new Event('input', {bubbles: true}));"
            " el.dispatchEvent(new Event('change', {bubbles: true})); }", "\n".join(_synthetic_ids(80_000)[40_000:]))
        page.wait_for_function("() => /Bruker 40.000 innlimte id-er/.test(document.body.innerText)",
                               timeout=30_000)
        sandbox.set_faults(latency_ms=3000)
        button.click()
        page.locator("button.jupyter-button:has-text('Stopp')").last.wait_for(state="visible", timeout=30_000)
        time.sleep(4)
        t0 = time.monotonic()
        page.click(".lm-MenuBar-itemLabel:text-is('Kernel')")
        page.click(".lm-Menu-itemLabel:text-is('Interrupt Kernel')")
        page.wait_for_function("(el) => el.querySelector('.freg-nb-status[data-state=\"stopped\"]')",
                               arg=panel.element_handle(), timeout=10_000)
        assert time.monotonic() - t0 < 5, "Kernel → Interrupt must end the run within 5 s"
    finally:
        if sandbox is not None:
            sandbox.set_faults(latency_ms=0)
        context.close()


def _english(text: str) -> list[str]:
    """English words an analyst must not meet in a form (everything they read is bokmål)."""
    import re

    return sorted(set(re.findall(r"(?i)\b(?:the|and|of|rows?|entries|showing|search|error|not|found|with|"
                                 r"previous|next|loading)\b", text)))


def test_avstemming_and_befolkning_forms_used_once(lab, browser):
    """05: «Avstem» with the sandbox's example list (the notebook's parameters) shows the summary, the
    counts, the chart, the avviksliste and the downloads; 04: «Oppdater og vis befolkningen» shows the
    pyramid, the accounts and the table per area. No traceback, no English."""
    url, _work = lab
    ARTIFACTS.mkdir(exist_ok=True)
    context = _context(browser)
    try:
        page = context.new_page()
        _run_all(page, url, "05_avstemming.ipynb")
        state, text = _press_and_wait(page, "Avstem")
        _shot(page, "form-05")
        assert state == "done" and "❌" not in text and "Traceback" not in text, text[:800]
        _button, panel = _panel(page, "Avstem")
        assert "rader" in text and "Avviksliste" in text, text[:800]
        assert panel.locator("img").count() >= 1  # the bar chart of the categories
        assert panel.locator("a[download$='.xlsx']").count() == 1 and panel.locator("a[download$='.csv']").count() == 1
        assert not _english(text), (_english(text), text[:800])
        panel.locator(".dt-container, .dataTables_wrapper").last.evaluate("el => el.scrollIntoView({block: 'start'})")
        _shot(page, "form-05-avviksliste")
        page.close()

        page = context.new_page()
        _run_all(page, url, "04_befolkning.ipynb")
        state, text = _press_and_wait(page, "Oppdater og vis befolkningen")
        _shot(page, "form-04")
        assert state == "done" and "❌" not in text and "Traceback" not in text, text[:800]
        _button, panel = _panel(page, "Oppdater og vis befolkningen")
        assert panel.locator("img").count() >= 2, text[:800]  # the pyramid and the waterfall
        assert not _english(text), (_english(text), text[:800])
        panel.locator("img").nth(1).evaluate("el => el.scrollIntoView({block: 'start'})")
        _shot(page, "form-04-regnskap")
        panel.locator(".dt-container, .dataTables_wrapper").last.evaluate("el => el.scrollIntoView({block: 'start'})")
        _shot(page, "form-04-tabell")
    finally:
        context.close()


def test_course_exercise_answered_and_checked_in_the_form(lab, browser):
    """06: a wrong answer typed into exercise 1 gets its own explanation; the right choice in exercise 3
    gets «Riktig!» and the ✅ beside the title — in the card under the task, as a participant sees it."""
    url, _work = lab
    ARTIFACTS.mkdir(exist_ok=True)
    context = _context(browser)
    try:
        page = context.new_page()
        _run_all(page, url, "06_oppgaver.ipynb")
        first = page.locator(".freg-nb-exercise:has-text('Oppgave 1:')").first
        first.locator("input[type='text']").fill("9999")
        first.locator("button:has-text('Sjekk svaret')").click()
        verdict = first.locator(".freg-nb-verdict")
        verdict.wait_for(timeout=60_000)
        assert "Ikke helt" in verdict.inner_text() and "kommunenummer" in verdict.inner_text()
        card = page.locator(".freg-nb-exercise:has-text('Oppgave 3:')").first
        card.scroll_into_view_if_needed()
        card.locator("select").select_option(label="Når saksbehandlingen trenger det, for eksempel for å koble "
                                                   "mot et fagsystem – og bare der")
        card.locator("button:has-text('Vis hint')").click()
        card.locator("button:has-text('Sjekk svaret')").click()
        page.wait_for_function("el => (el.querySelector('.freg-nb-verdict') || {}).innerText?.includes('Riktig!')",
                               arg=card.element_handle(), timeout=60_000)
        text = card.inner_text()
        assert "✅" in text and "Hint 1" in text and "Traceback" not in text, text[:800]
        card.locator(".freg-nb-verdict").scroll_into_view_if_needed()
        _shot(page, "form-06")
    finally:
        context.close()
