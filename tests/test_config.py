"""freg_nb.config: settings from environment/.env, one ConfigError listing every problem, Secret."""
from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

import pytest

from freg_nb import ConfigError, Secret, Settings, load_settings
from freg_nb.config import ENVIRONMENTS

ROLE_A = "5b1e5c0c-3a4f-4d55-9f0b-0d6f0e1a2b3c"
ROLE_B = "7c2f6d1d-4b5a-4e66-8a1c-1e7a1f2b3c4d"
INTEGRATION = "0f2c5a4e-1111-2222-3333-444455556666"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """The sandbox's PKI: a valid and an expired business certificate (.p12), a PEM key."""
    from freg_nb.sandbox.pki import load_or_create

    return load_or_create(tmp_path_factory.mktemp("pki")).credentials


@pytest.fixture
def good(pki, tmp_path):
    return {
        "FREG_NB_ENV": "test",
        "MASKINPORTEN_CLIENT_ID": "client-1234",
        "MASKINPORTEN_CERT_FILE": str(pki.cert_file),
        "MASKINPORTEN_CERT_PASSWORD": pki.cert_password,
        "FIKS_INTEGRASJON_ID": INTEGRATION,
        "FIKS_INTEGRASJON_PASSORD": "canary-integration-pw",
        "FIKS_ROLLER": f"skole={ROLE_A}, barnevern={ROLE_B}",
        "FREG_NB_DATA_DIR": str(tmp_path / "data"),
    }


def problems(environ: dict, **kw) -> list[str]:
    with pytest.raises(ConfigError) as ei:
        load_settings(environ=environ, **kw)
    return ei.value.problems


def test_good_test_settings(good):
    s = load_settings(environ=good)
    assert s.env == "test"
    assert s.fiks_base_url == "https://api.fiks.test.ks.no"
    assert s.maskinporten_issuer == "https://test.maskinporten.no/"
    assert s.token_endpoint == "https://test.maskinporten.no/token"
    assert s.roles == {"skole": ROLE_A, "barnevern": ROLE_B}
    assert s.key_type == "x5c" and isinstance(s.cert_password, Secret)
    assert s.integration_password.reveal() == "canary-integration-pw"
    assert s.concurrency == 8 and s.small_cell == 5 and s.scope == "ks:fiks"


def test_prod_hosts(good):
    s = load_settings(environ=dict(good, FREG_NB_ENV="prod"))
    assert (s.fiks_base_url, s.maskinporten_issuer) == ("https://api.fiks.ks.no", "https://maskinporten.no/")
    assert ENVIRONMENTS["prod"]["maskinporten"] + "token" == s.token_endpoint


def test_pem_key_with_kid(good, pki):
    env = {k: v for k, v in good.items() if not k.startswith("MASKINPORTEN_CERT")}
    s = load_settings(environ=dict(env, MASKINPORTEN_KEY_FILE=str(pki.key_file), MASKINPORTEN_KID="kid-1"))
    assert s.key_type == "kid" and s.kid == "kid-1"
    assert s.private_key.reveal().startswith(b"-----BEGIN")
    assert "BEGIN" not in repr(s)


@pytest.mark.parametrize("change, expect", [
    ({"FREG_NB_ENV": "staging"}, "FREG_NB_ENV='staging': ukjent miljø – bruk sandbox, test eller prod"),
    ({"MASKINPORTEN_CLIENT_ID": ""}, "MASKINPORTEN_CLIENT_ID mangler"),
    ({"MASKINPORTEN_KEY_FILE": "/etc/hostname", "MASKINPORTEN_KID": "k"}, "er begge satt – velg én"),
    ({"MASKINPORTEN_CERT_FILE": ""}, "Verken MASKINPORTEN_CERT_FILE"),
    ({"MASKINPORTEN_CERT_FILE": "/nonexistent/virksomhet.p12"}, "fant ikke filen"),
    ({"MASKINPORTEN_CERT_PASSWORD": "wrong"}, "kunne ikke åpnes – passordet"),
    ({"MASKINPORTEN_CERT_PASSWORD": None}, "MASKINPORTEN_CERT_PASSWORD mangler"),
    ({"FIKS_INTEGRASJON_ID": "not-a-uuid"}, "FIKS_INTEGRASJON_ID er ikke en UUID"),
    ({"FIKS_INTEGRASJON_ID": ""}, "FIKS_INTEGRASJON_ID mangler"),
    ({"FIKS_INTEGRASJON_PASSORD": ""}, "FIKS_INTEGRASJON_PASSORD mangler"),
    ({"FIKS_ROLLER": "skole"}, "er ikke navn=uuid"),
    ({"FIKS_ROLLER": "skole=1234"}, "rolle-id-en for 'skole' er ikke en UUID"),
    ({"FIKS_ROLLER": f"skole={ROLE_A},skole={ROLE_B}"}, "rollenavnet 'skole' står to ganger"),
    ({"FIKS_ROLLER": ""}, "FIKS_ROLLER mangler"),
    ({"FREG_NB_CONCURRENCY": "0"}, "FREG_NB_CONCURRENCY='0': må være minst 1"),
    ({"FREG_NB_CONCURRENCY": "many"}, "er ikke et helt tall"),
    ({"FREG_NB_CONCURRENCY": "1000"}, "mer enn 64"),
    ({"FREG_NB_SMALL_CELL": "-3"}, "FREG_NB_SMALL_CELL='-3': må være minst 1"),
    ({"FREG_NB_DATA_DIR": "relative/data"}, "en relativ sti"),
    ({"FREG_NB_DATA_DIR": "/etc/hostname"}, "finnes og er ikke en mappe"),
    ({"FREG_NB_DATA_DIR": "/"}, "ikke rotmappen eller hjemmemappen"),
    ({"FIKS_BASE_URL": "ftp://example.org"}, "er ikke en http(s)-adresse"),
    ({"FIKS_BASE_URL": "http://fiks.example.org"}, "vanlig http er bare lov på egen maskin"),
    ({"MASKINPORTEN_SCOPE": "ks:annet"}, "Fiks krever scopet ks:fiks"),
])
def test_each_bad_setting_is_explained(good, change, expect):
    env = dict(good)
    for k, v in change.items():
        if v is None:
            env.pop(k)
        else:
            env[k] = v
    found = problems(env)
    assert any(expect in p for p in found), found
    assert all(" – " in p for p in found), "every problem says what to do"


def test_expired_certificate_is_caught_locally(good, pki):
    found = problems(dict(good, MASKINPORTEN_CERT_FILE=str(pki.expired_cert_file)))
    assert any("sertifikatet gikk ut" in p and "bestill et nytt virksomhetssertifikat" in p for p in found)
    # and a valid one seen from the future is expired too (checked locally, before any request)
    future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3650)
    assert any("gikk ut" in p for p in problems(good, now=future))


def test_key_checks(good, pki, tmp_path):
    base = {k: v for k, v in good.items() if not k.startswith("MASKINPORTEN_CERT")}
    not_pem = tmp_path / "key.pem"
    not_pem.write_text("this is not a key")
    found = problems(dict(base, MASKINPORTEN_KEY_FILE=str(not_pem), MASKINPORTEN_KID="k"))
    assert any("er ikke en PEM-privatnøkkel" in p for p in found)
    found = problems(dict(base, MASKINPORTEN_KEY_FILE=str(pki.key_file)))
    assert any("MASKINPORTEN_KID mangler" in p for p in found)
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pki.key_file.read_bytes(), None)
    enc = tmp_path / "enc.pem"
    enc.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.BestAvailableEncryption(b"pw")))
    found = problems(dict(base, MASKINPORTEN_KEY_FILE=str(enc), MASKINPORTEN_KID="k"))
    assert any("PEM-nøkkelen er kryptert" in p for p in found)


def test_all_problems_at_once(good):
    env = dict(good, FREG_NB_ENV="prod", MASKINPORTEN_CLIENT_ID="", FIKS_INTEGRASJON_ID="x",
               FIKS_INTEGRASJON_PASSORD="", FIKS_ROLLER="a=b", FREG_NB_CONCURRENCY="0",
               MASKINPORTEN_CERT_PASSWORD="wrong", FREG_NB_DATA_DIR="rel")
    with pytest.raises(ConfigError) as ei:
        load_settings(environ=env)
    assert len(ei.value.problems) == 7
    text = str(ei.value)
    assert text.startswith("7 feil i innstillingene") and "wrong" not in text.replace("is wrong", "")
    assert "canary-integration-pw" not in text


def test_sandbox_default_needs_nothing(tmp_path):
    s = load_settings(environ={"XDG_DATA_HOME": str(tmp_path)})
    assert s.env == "sandbox" and s.fiks_base_url is None
    assert s.data_dir == tmp_path / "freg-nb"
    # an external sandbox (FIKS_BASE_URL set) needs credentials
    found = problems({"FIKS_BASE_URL": "http://127.0.0.1:8787"})
    assert any("MASKINPORTEN_CLIENT_ID" in p for p in found) and any("MASKINPORTEN_ISSUER" in p for p in found)


def test_env_file_and_real_environment_wins(good, tmp_path):
    f = tmp_path / ".env"
    f.write_text("\n".join(f"{k}={v}" for k, v in good.items()) + "\nFREG_NB_CONCURRENCY=3\n")
    assert load_settings(env_file=f, environ={}).concurrency == 3
    assert load_settings(env_file=f, environ={"FREG_NB_CONCURRENCY": "5"}).concurrency == 5
    assert any("fant ikke filen" in p for p in problems({}, env_file=tmp_path / "missing.env"))


def test_dotenv_found_in_working_directory(good, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("\n".join(f"{k}={v}" for k, v in good.items()))
    monkeypatch.chdir(tmp_path)
    for k in list(good) + ["FIKS_BASE_URL", "MASKINPORTEN_ISSUER", "MASKINPORTEN_KEY_FILE"]:
        monkeypatch.delenv(k, raising=False)
    assert load_settings().env == "test"


def test_secret_never_prints():
    s = Secret("canary-secret-value")
    for shown in (repr(s), str(s), f"{s}", f"{s!r}", "%s" % s, repr([s]), repr({"k": s})):
        assert "canary" not in shown and "********" in shown
    assert s.reveal() == "canary-secret-value"
    assert s == Secret("canary-secret-value") and s != Secret("other")
    assert not Secret("") and Secret(b"x")
    with pytest.raises(TypeError):
        pickle.dumps(s)
    with pytest.raises(AttributeError):
        s._value = "x"


def test_describe_is_display_safe(good):
    s = load_settings(environ=good)
    d = s.describe()
    assert d["FIKS_INTEGRASJON_PASSORD"] == "satt" and d["MASKINPORTEN_CERT_PASSWORD"] == "satt"
    assert d["FIKS_ROLLER"] == {"skole": ROLE_A, "barnevern": ROLE_B}
    assert "canary-integration-pw" not in repr(d) and good["MASKINPORTEN_CERT_PASSWORD"] not in repr(d)
    assert "canary-integration-pw" not in repr(s)
    bare = Settings().describe()
    assert bare["FIKS_INTEGRASJON_PASSORD"] == "mangler"


def test_with_overrides(good):
    s = load_settings(environ=good).with_overrides(concurrency=2, integration_password="canary-2")
    assert s.concurrency == 2 and isinstance(s.integration_password, Secret)
    with pytest.raises(TypeError, match="unknown setting"):
        s.with_overrides(nope=1)


def test_env_example_documents_every_variable():
    example = Path(__file__).resolve().parents[1] / ".env.example"
    text = example.read_text()
    for var in ("FREG_NB_ENV", "FIKS_BASE_URL", "MASKINPORTEN_ISSUER", "MASKINPORTEN_CLIENT_ID",
                "MASKINPORTEN_CERT_FILE", "MASKINPORTEN_CERT_PASSWORD", "MASKINPORTEN_KEY_FILE",
                "MASKINPORTEN_KID", "MASKINPORTEN_SCOPE", "FIKS_INTEGRASJON_ID", "FIKS_INTEGRASJON_PASSORD",
                "FIKS_ROLLER", "FREG_NB_DATA_DIR", "FREG_NB_CONCURRENCY", "FREG_NB_SMALL_CELL"):
        assert var in text, var
    # placeholders only
    assert "<integration-password>" in text and "<certificate-password>" in text


# --------------------------------------------------------------------------- connect()
def test_connect_uses_real_settings_when_configured(good, monkeypatch):
    import freg_nb._connect as _connect

    monkeypatch.setattr(_connect, "_sandbox_handle", None)
    fc = _connect.connect(environ=good, concurrency=3)
    with fc:
        assert fc.settings.fiks_base_url == "https://api.fiks.test.ks.no" and fc.concurrency == 3
    assert _connect._sandbox_handle is None  # no sandbox was started
    with pytest.raises(ConfigError):
        _connect.connect(environ=dict(good, FIKS_INTEGRASJON_PASSORD=""))


def test_connect_starts_the_sandbox_once_per_process(sandbox, monkeypatch, tmp_path):
    import freg_nb._connect as _connect
    import freg_nb.sandbox as sbmod

    started = []

    def fake_start(config=None, *, data_dir=None, port=0):
        started.append(data_dir)
        return sandbox  # the session's running sandbox stands in for a fresh one

    monkeypatch.setattr(_connect, "_sandbox_handle", None)
    monkeypatch.setattr(sbmod, "start_sandbox", fake_start, raising=False)
    env = {"FREG_NB_DATA_DIR": str(tmp_path / "d"), "FREG_NB_CONCURRENCY": "2"}
    with _connect.connect(environ=env) as a, _connect.connect(environ=env) as b:
        assert started == [tmp_path / "d"]
        assert a.settings.fiks_base_url == sandbox.fiks_base_url == b.settings.fiks_base_url
        assert a.settings.concurrency == 2 and a.settings.data_dir == tmp_path / "d"
        assert "navn" in a.person("skole", sandbox.population.identifier(0), parts=["navn"])
