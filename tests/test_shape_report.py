"""Issue 19: the shape report — the same fixed calls against "Fiks" and the sandbox, compared by shape only.

"Fiks" here is a second sandbox configured to differ (every person untidy, the spec's bulk wrapper of
``personer/bulkoppslag/arkiv``, an extra field), over HTTP on loopback like the session's sandbox.
"""
from __future__ import annotations

import json
import logging
import re

import httpx
import pytest

from freg_nb import Settings, cli
from freg_nb.errors import AccessDenied, FregNbError, InputError
from freg_nb.messages import set_language
from freg_nb.shape import shape_report
from freg_nb.shape.shape import shape_of
from freg_nb.shape.vocab import OTHER_VALUE, code_value

from conftest import FAST_RETRY, sandbox_client  # noqa: E402

EXTRA = "type $.navn[].kallenavnFraFiks: string"
EXTRA_FIELD = {"format": "freg-nb-shape-report/1", "roles": {"x": {"differences": {"oppslag": {"only_real": [EXTRA]}}}}}
PURPOSE = "test av formrapporten"
# what "every person untidy" (sandbox/untidy.py) changes in a person document's shape
UNTIDY = re.compile(r"adressegradering: (UGRADERT|ugradert)$|\.hendelsedataId: string$|"
                    r"postadresseIFrittFormat\.(postnummer: string|poststed: (string|object))$|"
                    r"annenIdentifikasjon: (array|0)$|dokumentgrunnlag: (array|0)$|preferertKontaktadresse: ")
WRAPPER = {"only_real": ["length $: 2–10", "type $: array"], "only_sandbox": ["type $: object"]}


@pytest.fixture(scope="module")
def real(sandbox_data_dir):
    """The "real" side: the session sandbox's population, configured to answer differently."""
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    sb = start_sandbox(SandboxConfig(seed=1, persons=2_000, events=5_000, extract_ready_after_s=0.2, untidy=1.0,
                                     bulk_archived_shape="spec", shapes=EXTRA_FIELD), data_dir=sandbox_data_dir)
    yield sb
    sb.stop()


def _fiks(sb, data_dir, *, env="test", **kw):
    """A client of ``sb`` that believes it talks to Fiks (``env``), with fast retries."""
    settings = Settings.for_sandbox(sb, data_dir=data_dir).with_overrides(env=env)
    kw.setdefault("retry", FAST_RETRY)
    from freg_nb import FregClient

    return FregClient(settings, progress=False, **kw)


@pytest.fixture(scope="module")
def local(sandbox, tmp_path_factory):
    with sandbox_client(sandbox, tmp_path_factory.mktemp("sandkasse")) as c:
        yield c


@pytest.fixture(scope="module")
def report(real, local, tmp_path_factory):
    set_language(None)
    with _fiks(real, tmp_path_factory.mktemp("fiks")) as fc:
        return shape_report(fc, sandbox=local, roles=["skole", "analyse"], purpose=PURPOSE)


def _no_report(data_dir):
    folder = data_dir / "formrapporter"
    return not folder.exists() or not any(folder.iterdir())


def test_the_report_names_exactly_the_configured_differences(report):
    data = json.loads(report.json_path.read_text(encoding="utf-8"))
    assert data == report.data and data["environment"] == "test"
    skole, analyse = data["roles"]["skole"], data["roles"]["analyse"]
    # the other bulk wrapper: only at the root of POST personer/bulkoppslag/arkiv, for the role that may use it
    assert analyse["differences"]["arkiv_bulk"] == WRAPPER
    assert "arkiv_bulk" not in skole["differences"]
    # the extra field: in the single lookups (the path the report fed into the "real" side)
    assert EXTRA in analyse["differences"]["oppslag"]["only_real"]
    assert "type $.oppslag[].folkeregisterperson.navn[].kallenavnFraFiks: string" in \
        analyse["differences"]["bulkoppslag"]["only_real"]
    # the untidy share: upper-case grading codes and the free-form postal address, in both roles
    for role in (skole, analyse):
        assert "code $.bostedsadresse[].adressegradering: UGRADERT" in role["differences"]["oppslag"]["only_real"]
    # ... and nothing else: no other operation differs, and every other line is one of those three kinds
    assert set(skole["differences"]) == {"oppslag", "bulkoppslag"}
    assert set(analyse["differences"]) == {"oppslag", "bulkoppslag", "arkiv_bulk"}
    for name, role in data["roles"].items():
        for op, d in role["differences"].items():
            if op == "arkiv_bulk":
                continue
            lines = d["only_real"] + d["only_sandbox"]
            stray = [x for x in lines if not UNTIDY.search(x) and "kallenavnFraFiks" not in x]
            assert not stray, (name, op, stray)
    # the same operations were called on both sides; what the role may not use is named, not compared
    assert set(skole["real"]) == set(skole["sandbox"]) and "uttrekk_batch" in analyse["real"]
    assert skole["refused"] == [] and {"feil_ukjent_id", "feil_ugyldig_id", "feil_del_mangler"} <= set(skole["real"])
    assert analyse["real"]["feil_ukjent_id"]["status"] == [404]
    assert analyse["real"]["feil_ugyldig_id"]["status"] == [400]
    assert skole["real"]["feil_del_mangler"]["status"] == [403]
    # the persons the report looked up at "Fiks" are in the audit log, as hashes, with the purpose
    log = (report.json_path.parents[1] / "audit.log").read_text(encoding="utf-8")
    records = [json.loads(line) for line in log.splitlines()]
    assert {r["action"] for r in records} == {"shape-report"} and {r["purpose"] for r in records} == {PURPOSE}
    assert sorted(r["n_persons"] for r in records) == [0, 0, 3, 3] and not re.search(r"\b\d{11}\b", log)
    md = report.markdown_path.read_text(encoding="utf-8")
    assert "Fiks har, sandkassen mangler" in md and "logges hos Skatteetaten" in md
    assert "POST personer/bulkoppslag/arkiv" in md


def test_same_configuration_reports_no_differences(sandbox, local, tmp_path):
    with sandbox_client(sandbox, tmp_path) as fc:
        r = shape_report(fc, sandbox=local, roles=["eiendomsskatt"], extract=False)
    assert r.data["roles"]["eiendomsskatt"]["differences"] == {}
    assert r.data["roles"]["eiendomsskatt"]["refused"] == ["siste_sekvensnummer"]  # no hendelser for this role
    assert "ingen forskjeller" in r.summary() and "ingenting ble sendt til Fiks" in r.summary()


class Canaries(httpx.BaseTransport):
    """Real HTTP to the "real" sandbox; person documents come back with canary names, addresses, ids and dates
    (and a canary in a code field); the feed's real identifiers are left, to be looked up. Every string the "real" side answered is kept to look for afterwards."""

    PLANT = {"fornavn": "Kanarifuglen", "etternavn": "Kanarisen", "mellomnavn": "Kanarimellom",
             "adressenavn": "Kanarigata", "poststedsnavn": "KANARIBYEN", "foedselsdato": "1907-07-17",
             "foedselsEllerDNummer": "17870712347", "sivilstand": "Kanarisivil"}

    def __init__(self):
        self.inner = httpx.HTTPTransport()
        self.seen: set[str] = set()

    def _plant(self, node, key=None):
        if isinstance(node, dict):
            return {k: self._plant(v, k) for k, v in node.items()}
        if isinstance(node, list):  # lists of ids (search hits) stay as they are: the calls must still work
            return [self._plant(v) for v in node]
        if isinstance(node, str):
            node = self.PLANT.get(key, node)
            # code fields show their listed values by design; kilde names the register ("Skatteetaten")
            if key != "kilde" and code_value(key or "", node) is None and len(node) >= 5:
                self.seen.add(node)
        return node

    def handle_request(self, request):
        r = self.inner.handle_request(request)
        if "/folkeregister/" not in request.url.path or "json" not in r.headers.get("content-type", ""):
            return r
        body = self._plant(json.loads(r.read()))
        headers = [(k, v) for k, v in r.headers.items() if k.lower() not in ("content-length", "content-encoding")]
        return httpx.Response(r.status_code, headers=headers, content=json.dumps(body).encode())


def test_no_canary_identifier_name_address_or_date_leaves_the_machine(real, local, tmp_path, caplog):
    canaries = Canaries()
    caplog.set_level(logging.DEBUG, logger="freg_nb")
    with _fiks(real, tmp_path, transport=canaries) as fc:
        r = shape_report(fc, sandbox=local, roles=["analyse"], purpose=PURPOSE, extract=False)
    out = "\n".join([r.json_path.read_text("utf-8"), r.markdown_path.read_text("utf-8"), r.summary(), caplog.text])
    assert {"Kanarifuglen", "Kanarisen", "Kanarigata", "1907-07-17", "17870712347"} <= canaries.seen  # answered ...
    assert "code $.sivilstand[].sivilstand: " + OTHER_VALUE in out             # (a code field: not its value)
    leaked = sorted(v for v in canaries.seen if re.search(rf"(?<![\w-]){re.escape(v)}(?![\w-])", out))
    assert not leaked                                                         # ... and none is in the output
    rest = re.sub(r"req=[0-9a-f]+", "", out.replace(str(r.markdown_path), "").replace(r.data["created"][:10], ""))
    # (the report's own time and the random request ids are not the persons')
    assert not re.search(r"\d{11}", rest) and not re.search(r"\b(19|20)\d\d-\d\d-\d\d\b", rest)


def test_production_needs_the_flag_and_a_purpose(real, local, tmp_path):
    before = real.counters()
    with _fiks(real, tmp_path, env="prod") as fc:
        with pytest.raises(InputError, match="--production") as e:
            shape_report(fc, sandbox=local, roles=["analyse"], purpose=PURPOSE)
        assert "Ingenting ble sendt" in str(e.value)
        with pytest.raises(InputError, match="formålet"):
            shape_report(fc, sandbox=local, roles=["analyse"], production=True)
    assert real.counters() == before and _no_report(tmp_path)


def test_a_role_without_access_stops_with_a_clear_message(real, local, tmp_path):
    real.set_faults(role_not_granted="analyse")
    try:
        with _fiks(real, tmp_path) as fc, pytest.raises(AccessDenied) as e:
            shape_report(fc, sandbox=local, roles=["analyse"], purpose=PURPOSE, extract=False)
    finally:
        real.set_faults(role_not_granted=None)
    assert "Rollen «analyse» fikk avslag" in str(e.value) and "Ingen rapport ble skrevet" in str(e.value)
    assert _no_report(tmp_path)


def test_throttling_stops_with_a_clear_message_and_no_report(real, local, tmp_path):
    from freg_nb import RetryPolicy

    real.scenario("strupet")
    try:
        with _fiks(real, tmp_path, retry=RetryPolicy(max_attempts=1)) as fc, pytest.raises(FregNbError) as e:
            shape_report(fc, sandbox=local, roles=["analyse"], purpose=PURPOSE, extract=False)
    finally:
        real.scenario("normal")
    assert "struper" in str(e.value) and "Ingen rapport ble skrevet" in str(e.value)
    assert _no_report(tmp_path)


def test_the_command_line_refuses_bad_settings_and_production_without_the_flag(real, tmp_path, capsys):
    env = tmp_path / ".env"
    env.write_text(f"FREG_NB_ENV=test\nFREG_NB_DATA_DIR={tmp_path / 'data'}\n", encoding="utf-8")
    assert cli.main(["shape-report", "--env-file", str(env)]) == 2
    err = capsys.readouterr().err
    assert "Formrapporten ble ikke laget" in err and "MASKINPORTEN_CLIENT_ID" in err
    env.write_text(real.env_snippet().replace("FREG_NB_ENV=sandbox", "FREG_NB_ENV=prod") +
                   f"FREG_NB_DATA_DIR={tmp_path / 'data'}\n", encoding="utf-8")
    before = real.counters()
    assert cli.main(["shape-report", "--env-file", str(env), "--purpose", PURPOSE]) == 2
    assert "--production" in capsys.readouterr().err and real.counters() == before
    assert _no_report(tmp_path / "data")
    assert cli.main(["shape-report", "--env-file", str(env), "--sandbox-role", "analyse"]) == 2
    assert "ROLLE=SANDKASSEROLLE" in capsys.readouterr().err


def test_a_report_fed_back_makes_the_sandbox_answer_like_fiks(report, real, sandbox_data_dir, tmp_path):
    """SandboxConfig(shapes=report): what one municipality saw becomes every sandbox's untidy variant."""
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    with pytest.raises(ValueError, match="shape report"):
        SandboxConfig(shapes={"format": "noe annet"})
    with pytest.raises(ValueError, match="cannot read"):
        SandboxConfig(shapes=tmp_path / "finnes-ikke.json")
    fed = start_sandbox(SandboxConfig(seed=1, persons=2_000, events=5_000, untidy=1.0, shapes=report.json_path),
                        data_dir=sandbox_data_dir)
    try:
        with sandbox_client(fed, tmp_path / "fed") as local, _fiks(real, tmp_path / "fiks") as fc:
            again = shape_report(fc, sandbox=local, roles=["analyse"], purpose=PURPOSE, extract=False)
            person = local.person("analyse", fed.population.identifier(5))
    finally:
        fed.stop()
    assert all(n["kallenavnFraFiks"] == "" for n in person["navn"])             # a field: empty, of its type
    assert all(v.get("adressegradering") != "ugradert" for v in person["bostedsadresse"])  # Fiks's spelling
    still = again.data["roles"]["analyse"]["differences"].get("oppslag", {}).get("only_real", [])
    assert EXTRA not in still and "code $.bostedsadresse[].adressegradering: UGRADERT" not in still


def test_shape_keeps_types_buckets_and_listed_codes_only():
    s = shape_of({"oppslag": [{"kode": "FREG-403", "status": "bosatt", "navn": "Kari"}] * 12,
                  "17870712347": 1, "sivilstand": "Nordmann", "tom": []})
    assert s["lengths"] == {"$.oppslag": ["11–1000"], "$.tom": ["0"]}
    assert s["codes"] == {"$.oppslag[].kode": ["FREG-403"], "$.oppslag[].status": ["bosatt"],
                          "$.sivilstand": [OTHER_VALUE]}
    assert "$.<nøkkel>" in s["types"] and "Kari" not in json.dumps(s) and "17870712347" not in json.dumps(s)


def test_bad_ids_and_unknown_roles_are_refused_before_anything_is_sent(real, local, tmp_path):
    before = real.counters()
    with _fiks(real, tmp_path) as fc:
        with pytest.raises(InputError, match="Ugyldige fødselsnummer: \\*{5} har 5 sifre"):
            shape_report(fc, sandbox=local, ids=["12345"], purpose=PURPOSE)
        with pytest.raises(InputError, match="rektor"):
            shape_report(fc, sandbox=local, roles=["rektor"], purpose=PURPOSE)
        with pytest.raises(InputError, match="Sandkassen har ingen rolle som heter analyse"):
            shape_report(fc, sandbox=local, roles=["analyse"], sandbox_roles={"analyse": "rektor"}, purpose=PURPOSE)
    assert real.counters() == before and _no_report(tmp_path)


def test_the_command_line_prints_the_summary_and_what_was_called(real, tmp_path, capsys):
    env = tmp_path / ".env"
    env.write_text(real.env_snippet().replace("FREG_NB_ENV=sandbox", "FREG_NB_ENV=test") +
                   f"FREG_NB_DATA_DIR={tmp_path / 'data'}\n", encoding="utf-8")
    assert cli.main(["shape-report", "--env-file", str(env), "--role", "skole", "--no-extract",
                     "--purpose", PURPOSE]) == 0
    printed = capsys.readouterr().out
    assert "Formrapport: 1 rolle(r)" in printed and "logges hos Skatteetaten" in printed
    assert "Rolle skole, oppslag:" in printed
    md = next((tmp_path / "data" / "formrapporter").glob("*.md")).read_text("utf-8")
    assert "uttrekk_bestilling" not in md and "`feil_ugyldig_id`" in md
    assert not re.search(r"\d{11}", re.sub(r"formrapport-\w+\.md", "", printed))   # (the file's own time stamp)


def test_fed_back_codes_change_only_the_spelling_never_the_code():
    from freg_nb.sandbox import shapes

    variants = shapes.load({"format": shapes.FORMAT, "roles": {"r": {"differences": {"oppslag": {"only_real": [
        "code $.bostedsadresse[].adressegradering: UGRADERT", "code $.bostedsadresse[].adressegradering: "
        "STRENGTFORTROLIG", "type $.bostedsadresse[].nytt: array", "code $.kjoenn[].kjoenn: " + OTHER_VALUE]}}}}})
    doc = {"bostedsadresse": [{"adressegradering": "fortrolig"}, {"adressegradering": "ugradert"}],
           "kjoenn": [{"kjoenn": "mann"}]}
    shapes.apply(doc, variants["person"])
    assert doc == {"bostedsadresse": [{"adressegradering": "fortrolig", "nytt": []},
                                      {"adressegradering": "UGRADERT", "nytt": []}], "kjoenn": [{"kjoenn": "mann"}]}
