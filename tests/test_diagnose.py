"""The connection check and role capability matrix against the real sandbox over HTTP.

Every training scenario that breaks something must be explained at the right step with the
right advice (KS's 401/403 table), `freg-nb doctor` must exit non-zero for it and 0 when all
works, and the matrix must match the sandbox's role configuration — computed here from the
sandbox's own rules (``Role.check_parts`` / ``Role.services``), not from diagnose's.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from freg_nb import diagnose
from freg_nb.config import Settings

REPO = Path(__file__).resolve().parents[1]
SERVICE_COLUMNS = {"oppslag": "oppslag", "soek": "søk", "uttrekk": "uttrekk", "hendelser": "hendelser"}


def _truth(role) -> dict[str, str]:
    """What the sandbox lets ``role`` do, for each matrix column, by the sandbox's own rules."""
    yn = lambda b: "ja" if b else "nei"  # noqa: E731
    lookup = "oppslag" in role.services
    row = {label: yn(key in role.services) for key, label in SERVICE_COLUMNS.items()}
    for part in diagnose.PROBE_PARTS:
        if part == "historikk":
            continue
        row[part] = yn(lookup and not role.check_parts([part]).refused)
    element = next((p for p in ("navn", "foedsel", "bostedsadresse", "status") if row[p] == "ja"), None)
    row["historikk"] = yn(lookup and element is not None and not role.check_parts([element, "historikk"]).refused)
    row["oppslag"] = yn(lookup and "ja" in [row[p] for p in diagnose.PROBE_PARTS])
    return row


def _routes(sb) -> dict:
    return dict(sb.counters().get("route", {}))


def test_happy_path_all_steps_ok_and_matrix_matches_role_configuration(sandbox):
    settings = Settings.for_sandbox(sandbox)
    routes_before = _routes(sandbox)
    diag = diagnose.run(settings=settings)
    routes_after = _routes(sandbox)
    used = sum(routes_after.values()) - sum(routes_before.values())
    # the session's sandbox is shared with other tests: look only at what the diagnosis itself called
    ordered = {r: n - routes_before.get(r, 0) for r, n in routes_after.items()
               if ("uttrekk/tilpasset" in r or "uttrekk/komplett" in r) and n > routes_before.get(r, 0)}

    assert diag.ok, diag.as_text()
    steps = [c.step for c in diag.checks]
    assert steps[:3] == ["innstillinger", "token", "integrasjon"]
    assert [s for s in steps if s.startswith("rolle:")] == [f"rolle:{n}" for n in sandbox.roles]
    token = next(c for c in diag.checks if c.step == "token")
    assert sandbox.credentials.org_number in token.detail and "ks:fiks" in token.detail
    assert "norsk tid" in token.detail and "UTC" not in token.detail  # times in Europe/Oslo

    roles = sandbox.state.roles
    for name in sandbox.roles:
        assert diag.matrix.loc[name].to_dict() == _truth(roles[name]), name
    # the defaults differ per role, so the comparison above is not trivially uniform
    assert diag.matrix.loc["skole", "person-basis"] == "nei" and diag.matrix.loc["barnevern", "person-basis"] == "ja"
    assert diag.matrix.loc["eiendomsskatt", "uttrekk"] == "nei" and diag.matrix.loc["analyse", "søk"] == "nei"

    # the public function gives the same matrix on its own
    from freg_nb.client import FregClient

    with FregClient(settings, progress=False) as client:
        assert diagnose.capability_matrix(client, ["skole", "analyse"]).equals(diag.matrix.loc[["skole", "analyse"]])

    # bounded probing: 1 integration call + at most 11 per role; no extract ordered
    assert used <= 1 + 11 * len(sandbox.roles), used
    assert not ordered, ordered


def test_matrix_follows_a_custom_role_file(sandbox_factory, tmp_path):
    roles_file = tmp_path / "roles.json"
    roles_file.write_text(json.dumps({"roles": [
        {"name": "bare-hendelser", "id": "11111111-1111-4111-8111-111111111111", "hjemmel": True,
         "services": ["hendelser"], "parts": []},
        {"name": "navnesok", "id": "22222222-2222-4222-8222-222222222222", "hjemmel": False,
         "services": ["oppslag", "soek"], "parts": ["navn", "historikk"]},
        {"name": "full", "id": "33333333-3333-4333-8333-333333333333", "hjemmel": True,
         "services": ["oppslag", "soek", "uttrekk", "hendelser"],
         "parts": ["person-basis", "relasjon-utvidet", "identitetsgrunnlag-utvidet", "historikk"]},
    ]}), encoding="utf-8")
    sb = sandbox_factory(persons=300, events=500, roles_file=roles_file)
    diag = diagnose.run(settings=Settings.for_sandbox(sb))
    assert diag.ok, diag.as_text()
    for name, role in sb.state.roles.items():
        assert diag.matrix.loc[name].to_dict() == _truth(role), name
    assert set(diag.matrix.loc["bare-hendelser"][diag.matrix.loc["bare-hendelser"] == "ja"].index) == {"hendelser"}
    assert diag.matrix.loc["navnesok", "historikk"] == "ja" and diag.matrix.loc["navnesok", "foedsel"] == "nei"
    # expected capabilities from the set-up agree with what the probes found
    assert diag.expected.equals(diag.matrix)


# scenario → (the step that fails, words its title must contain, words its advice must contain)
FAILURES = {
    "feil-integrasjonspassord": ("integrasjon", ["ikke integrasjonen", "401"], ["FIKS_INTEGRASJON_PASSORD"]),
    "feil-organisasjon": ("integrasjon", ["ikke integrasjonen", "401"], ["organisasjon"]),
    "mangler-scope": ("token", ["ks:fiks"], ["Digdir", "ks:fiks"]),
    "utlopt-sertifikat": ("token", ["invalid_grant"], ["sertifikat"]),
    "rolle-mangler-del": ("rolle:skole", ["skole", "bostedsadresse", "403"], ["Fiks forvaltning"]),
    "rolle-mangler-tjeneste": ("rolle:skole", ["skole", "søk", "403"], ["Fiks forvaltning"]),
    "ukjent-rolle": ("rolle:skole", ["skole", "403"], ["FIKS_ROLLER", "tilgang til rollen"]),
}


@pytest.mark.parametrize("scenario", sorted(FAILURES))
def test_each_failure_scenario_is_explained_at_the_right_step(sandbox_factory, scenario):
    sb = sandbox_factory(persons=300, events=500, scenario=scenario)
    settings = Settings.for_sandbox(sb)
    diag = diagnose.run(settings=settings)
    step, title_words, advice_words = FAILURES[scenario]

    assert not diag.ok
    assert [c.step for c in diag.failed] == [step], diag.as_text()
    failed = diag.failed[0]
    for word in title_words:
        assert word in failed.title, (word, failed.title)
    for word in advice_words:
        assert word in failed.advice, (word, failed.advice)
    # the steps before the failing one passed; nothing after an auth failure pretends to work
    if step in ("token", "integrasjon"):
        assert diag.checks[-1] is failed and diag.matrix is None
    else:  # a role problem: the other roles are still checked and fine
        assert {c.step for c in diag.checks if c.step.startswith("rolle:")} == {f"rolle:{n}" for n in sb.roles}
    text = diag.as_text() + diag._repr_html_()
    for secret in (sb.credentials.integration_password, sb.credentials.cert_password):
        assert secret not in text


def test_role_problems_show_in_the_matrix(sandbox_factory):
    sb = sandbox_factory(persons=300, events=500, scenario="rolle-mangler-del")
    diag = diagnose.run(settings=Settings.for_sandbox(sb))
    assert diag.matrix.loc["skole", "bostedsadresse"] == "nei"
    assert diag.expected.loc["skole", "bostedsadresse"] == "ja"
    assert diag.matrix.loc["skole", "navn"] == "ja"


def test_throttling_is_a_stability_note_not_a_failure(sandbox_factory):
    sb = sandbox_factory(persons=300, events=500, scenario="strupet")
    diag = diagnose.run(settings=Settings.for_sandbox(sb))
    assert diag.ok, diag.as_text()
    note = next(c for c in diag.checks if c.step == "stabilitet")
    assert "429" in note.detail and "FREG_NB_CONCURRENCY" in note.advice
    assert sb.counters().get("faults", {}).get("429", 0) > 0
    # throttling is named as throttling, not as an unstable service
    assert "struper" in note.title and "ustabil" not in note.title, note.title
    # checks that passed only after retries say so, and the verdict is not a plain "Alt virker"
    retried = [c for c in diag.checks if c.step.startswith(("rolle:", "integrasjon")) and c.warning]
    assert retried and all("nye forsøk" in c.title for c in retried), diag.as_text()
    assert diag.verdict[0] == "warning" and "nye forsøk" in diag.verdict[1]
    html = diag._repr_html_()
    assert "⚠️" in html and "✅ <b>Alt virker.</b>" not in html
    assert diag.scenario == "strupet"  # the check names the scenario the sandbox is in


def test_select_scenario_switches_the_sandbox_and_lists_descriptions(sandbox_factory):
    sb = sandbox_factory(persons=300, events=500)
    settings = Settings.for_sandbox(sb)
    known = diagnose.scenarios(settings)
    assert {"normal", "feil-integrasjonspassord", "ukjent-rolle", "strupet"} <= set(known)
    assert all(isinstance(v, str) and v for v in known.values())
    assert "Integrasjonspassordet" in diagnose.select_scenario("feil-integrasjonspassord", settings)
    assert sb.faults.integration_password_rotated is True
    diagnose.select_scenario("normal", settings)
    assert sb.faults.integration_password_rotated is False
    with pytest.raises(diagnose.ConfigError, match="Ukjent treningsscenario"):
        diagnose.select_scenario("finnes-ikke", settings)


def test_scenarios_refused_outside_the_sandbox():
    real = Settings(env="test", fiks_base_url="https://api.fiks.test.ks.no")
    with pytest.raises(diagnose.ConfigError, match="bare i sandkassen"):
        diagnose.select_scenario("normal", real)


def test_missing_settings_are_reported_as_the_first_failing_step(tmp_path):
    env = {"FREG_NB_ENV": "test", "FREG_NB_DATA_DIR": str(tmp_path)}
    diag = diagnose.run(environ=env)
    assert not diag.ok and [c.step for c in diag.checks] == ["innstillinger"]
    assert "MASKINPORTEN_CLIENT_ID" in diag.checks[0].detail and ".env" in diag.checks[0].advice


def test_scenario_picker_widget_lists_scenarios(sandbox_factory):
    sb = sandbox_factory(persons=300, events=500)
    from freg_nb.widgets.scenario import scenario_picker

    settings = Settings.for_sandbox(sb)
    diagnose.select_scenario("mangler-scope", settings)  # chosen elsewhere (another notebook's kernel)
    box = scenario_picker(settings)
    assert list(box.dropdown.options) == list(diagnose.scenarios(settings))
    assert box.dropdown.value == "mangler-scope"  # the picker starts at the active scenario
    box.dropdown.value = "ukjent-rolle"
    assert "rollen" in box.children[1].value
    result = box.panel.run()  # what pressing the button does
    assert isinstance(result, diagnose.Diagnosis) and not result.ok
    assert sb.faults.role_not_granted == "skole"
    # the status line agrees with the check: never "Ferdig" beside a failed step
    status = box.panel.status.value
    assert "1 steg feilet" in status and "Ferdig" not in status and "data-state='failed'" in status, status
    box.dropdown.value = "normal"
    assert box.panel.run().ok and "Ferdig" in box.panel.status.value
    assert scenario_picker(settings).dropdown.value == "normal"


def _doctor(args, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FIKS_", "MASKINPORTEN_", "FREG_NB_"))}
    env["FREG_NB_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "freg_nb.cli", "doctor", *args], cwd=data_dir,
                          capture_output=True, text=True, env=env, timeout=300)


def test_doctor_cli_exit_codes_and_no_secrets(tmp_path):
    from freg_nb.sandbox.pki import load_or_create

    ok = _doctor(["--scenario", "normal"], tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Alt virker." in ok.stdout and "oppslag" in ok.stdout

    bad = _doctor(["--scenario", "feil-integrasjonspassord"], tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Fiks godtar tokenet, men ikke integrasjonen (401)" in bad.stdout
    assert "FIKS_INTEGRASJON_PASSORD" in bad.stdout

    unknown = _doctor(["--scenario", "finnes-ikke"], tmp_path)
    assert unknown.returncode == 2 and "Ukjent treningsscenario" in unknown.stderr

    creds = load_or_create(tmp_path / "sandbox").credentials  # the sandbox the CLI ran against
    for out in (ok, bad, unknown):
        for secret in (creds.integration_password, creds.cert_password):
            assert secret not in out.stdout + out.stderr
