"""Faults (429 with Retry-After in ms, 5xx, dropped connections, seeded), admin endpoints, counters,
determinism across seeds, start-up, the private PKI folder and the CLI's loopback rule."""
from __future__ import annotations

import argparse
import os
import stat
import time

import httpx
import pytest

from _helpers import Fiks


def test_429_carries_retry_after_in_milliseconds(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    f = Fiks(sb)
    sb.set_faults(rate_429=1.0, retry_after_ms=750)
    r = f.get("barnevern", f"v1/personer/{sb.population.identifier(0)}")
    assert r.status_code == 429 and r.headers["Retry-After"] == "750"
    assert "750 ms" in r.json()["melding"]
    assert sb.counters()["faults"]["429"] >= 1


def test_dropped_connections_are_connection_errors(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    f = Fiks(sb)
    sb.set_faults(rate_drop=1.0)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        f.get("barnevern", f"v1/personer/{sb.population.identifier(0)}")
    sb.set_faults(rate_drop=0.0, rate_503=1.0)
    assert f.get("barnevern", f"v1/personer/{sb.population.identifier(0)}").status_code == 503


def test_faults_are_reproducible_with_a_seed(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    f = Fiks(sb)
    path = f"v1/personer/{sb.population.identifier(0)}"

    def run():
        sb.set_faults(rate_500=0.3, rate_429=0.3, seed=42)
        sb.set_faults(seed=43)
        sb.set_faults(seed=42)
        return [f.get("barnevern", path).status_code for _ in range(30)]

    first = run()
    assert set(first) == {200, 429, 500} and run() == first


def test_latency_is_injected(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    f = Fiks(sb)
    path = f"v1/personer/{sb.population.identifier(0)}"
    f.get("barnevern", path)
    sb.set_faults(latency_ms=300)
    t = time.monotonic()
    assert f.get("barnevern", path).status_code == 200
    assert time.monotonic() - t >= 0.3


def test_admin_endpoints(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    info = httpx.get(sb.url + "/_sandbox/info").json()
    assert info["roles"] == sb.roles and "strupet" in info["scenarios"]
    assert sb.credentials.integration_password not in str(info)
    assert httpx.post(sb.url + "/_sandbox/faults", json={"rate_429": 1.0}).json()["rate_429"] == 1.0
    assert sb.faults.rate_429 == 1.0
    assert httpx.post(sb.url + "/_sandbox/faults", json={"nonsense": 1}).status_code == 400
    assert httpx.post(sb.url + "/_sandbox/scenario/ustabil").json()["rate_drop"] > 0
    assert httpx.post(sb.url + "/_sandbox/scenario/finnes-ikke").status_code == 404
    Fiks(sb).get("skole", "v1/hendelser/siste/sekvensnummer")
    counters = httpx.get(sb.url + "/_sandbox/counters").json()
    assert counters["tokens_issued"] == 1 and counters["route"]
    httpx.post(sb.url + "/_sandbox/reset")
    assert sb.faults.rate_drop == 0 and sb.counters()["route"] == {}


def test_counters_by_route_status_and_role(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300)
    f = Fiks(sb)
    f.get("skole", f"v1/personer/{sb.population.identifier(0)}", params={"part": "navn"})
    f.get("skole", f"v1/personer/{sb.population.identifier(0)}")
    c = sb.counters()
    assert c["route"]["GET v1/personer/{personidentifikator}"] == 2
    assert c["status"] == {"200": 1, "403": 1} and c["role"] == {"skole": 2}


def _answers(sb) -> list[bytes]:
    f = Fiks(sb)
    ids = [sb.population.identifier(i) for i in range(20)]
    out = [f.get("barnevern", f"v1/personer/{i}").content for i in ids[:5]]
    out.append(f.post("barnevern", "v1/personer/bulkoppslag", json={"foedselsEllerDNummer": ids}).content)
    out.append(f.get("barnevern", "v1/hendelser/feed", params={"seq": 1}).content)
    return out


def test_same_seed_gives_identical_bytes_and_other_seeds_differ(sandbox_factory):
    a = _answers(sandbox_factory(seed=7, persons=300, events=400))
    b = _answers(sandbox_factory(seed=7, persons=300, events=400))
    c = _answers(sandbox_factory(seed=8, persons=300, events=400))
    assert a == b
    assert a[0] != c[0] and a[-1] != c[-1]


def test_starts_and_answers_within_a_second_with_20000_persons(sandbox_factory):
    from _helpers import headers
    t = time.monotonic()
    sb = sandbox_factory(persons=20_000, events=200_000)
    r = httpx.get(f"{sb.fiks_base_url}/folkeregister/api/v1/{sb.roles['barnevern']}/v1/personer/"
                  f"{sb.population.identifier(19_999)}", headers=headers(sb))
    assert r.status_code == 200
    assert time.monotonic() - t < 1.0 + 0.5  # token grant included; the figure is printed by the benchmark


def test_private_folder_and_files(sandbox):
    folder = sandbox.credentials.cert_file.parent
    assert folder.name == "sandbox"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    files = list(folder.iterdir())
    assert {"business.p12", "expired.p12", "other-org.p12", "client.key.pem", "business.p12.password"} <= {
        p.name for p in files}
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in files)


def test_pki_is_reused_on_later_starts(sandbox, sandbox_factory):
    again = sandbox_factory(persons=100, events=100)
    assert again.credentials == sandbox.credentials


def test_env_snippet_has_every_setting(sandbox):
    env = dict(line.split("=", 1) for line in sandbox.env_snippet().splitlines() if "=" in line and
               not line.startswith("#"))
    c = sandbox.credentials
    assert env["FIKS_BASE_URL"] == sandbox.url and env["MASKINPORTEN_ISSUER"] == sandbox.maskinporten_issuer
    assert env["FIKS_INTEGRASJON_PASSORD"] == c.integration_password
    assert env["MASKINPORTEN_CERT_PASSWORD"] == c.cert_password
    assert env["FIKS_ROLLER"].split(",")[0] == f"skole={sandbox.roles['skole']}"
    assert c.integration_password not in repr(c) and c.cert_password not in repr(c)


def test_env_snippet_is_a_working_env_file(sandbox, tmp_path):
    """What `freg-nb sandbox` prints can be pasted into .env as it is and connects."""
    from freg_nb.config import load_settings
    from freg_nb.client import FregClient
    env_file = tmp_path / ".env"
    env_file.write_text(sandbox.env_snippet())
    settings = load_settings(env_file=env_file, environ={"FREG_NB_DATA_DIR": str(tmp_path / "d")})
    with FregClient(settings) as client:
        assert client.latest_sequence("analyse") > 0


def test_cli_refuses_non_loopback_without_force(capsys):
    from freg_nb.sandbox.server import cli_main
    args = argparse.Namespace(host="0.0.0.0", port=0, seed=1, persons=100, events=100, scenario=None,
                              roles_file=None, force_non_loopback=False, untidy=None)
    assert cli_main(args) == 2
    assert "--force-non-loopback" in capsys.readouterr().err


@pytest.mark.parametrize("arg,message", [(["--untidy", "3"], "untidy must be a share between 0 and 1"),
                                         (["--persons", "5"], "persons must be at least 10")])
def test_cli_explains_bad_sandbox_settings_before_starting(arg, message, capsys):
    from freg_nb.cli import main
    assert main(["sandbox", "--port", "0", *arg]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
