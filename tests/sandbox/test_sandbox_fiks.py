"""The Fiks layer: token and integration checks (401), role/service/part rules (403), Freg's 400 for
unknown parts, med-hjemmel-only operations, and the Fiks error body."""
from __future__ import annotations

import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from _helpers import Fiks, assertion, grant, load_p12, token

TOKEN_MSG = "Klarte ikke å validere access_token"
FIKS_KEYS = {"timestamp", "status", "error", "errorId", "path", "message", "errorCode", "errorJson"}


def _fiks_error(r, status: int) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == FIKS_KEYS and body["status"] == status
    uuid.UUID(body["errorId"])
    return body


@pytest.fixture(scope="module")
def fiks(sandbox):
    return Fiks(sandbox)


@pytest.fixture(scope="module")
def ident(sandbox):
    return sandbox.population.identifier(3)


def test_valid_call_passes(fiks, ident):
    assert fiks.get("barnevern", f"v1/personer/{ident}").status_code == 200


def test_bad_tokens_give_401_token_message(sandbox, fiks, ident):
    forged = jwt.encode({"iss": sandbox.maskinporten_issuer, "scope": "ks:fiks", "exp": int(time.time()) + 60,
                         "consumer": {"ID": f"0192:{sandbox.credentials.org_number}"}},
                        rsa.generate_private_key(public_exponent=65537, key_size=2048), algorithm="RS256")
    for auth in ["", "Bearer", "Bearer not-a-jwt", f"Bearer {forged}", f"Basic {token(sandbox)}"]:
        r = fiks.get("barnevern", f"v1/personer/{ident}", headers={"Authorization": auth})
        assert _fiks_error(r, 401)["message"] == TOKEN_MSG, auth
    assert "access_token" not in r.text.replace("validere access_token", "")  # never echoes the token


def test_expired_token_gives_401(sandbox_factory):
    sb = sandbox_factory(persons=200, events=300, token_lifetime_s=1)
    f = Fiks(sb)
    ident = sb.population.identifier(0)
    assert f.get("barnevern", f"v1/personer/{ident}").status_code == 200
    time.sleep(2.1)
    assert _fiks_error(f.get("barnevern", f"v1/personer/{ident}"), 401)["message"] == TOKEN_MSG


def test_integration_problems_share_one_message(sandbox, fiks, ident):
    c = sandbox.credentials
    key, cert = load_p12(c.other_org_cert_file, c.cert_password)
    other_org_token = grant(sandbox, assertion(sandbox, key=key, cert=cert)).json()["access_token"]
    cases = [{"IntegrasjonPassord": "feil"}, {"IntegrasjonId": str(uuid.uuid4())},
             {"Authorization": f"Bearer {other_org_token}"}]
    for h in cases:
        body = _fiks_error(fiks.get("barnevern", f"v1/personer/{ident}", headers=h), 401)
        given = h.get("IntegrasjonId", c.integration_id)
        assert body["message"] == f"Autentisering feilet for integrasjon med id {given}"
        assert c.integration_password not in str(body)


def test_role_service_and_part_rules(sandbox, fiks, ident):
    p = f"v1/personer/{ident}"
    _fiks_error(fiks.get(str(uuid.uuid4()), p), 403)                       # role not granted
    _fiks_error(fiks.get("analyse", "v1/personer/soek", params={"navn": "x"}), 403)  # analyse lacks soek
    _fiks_error(fiks.get("eiendomsskatt", "v1/hendelser/siste/sekvensnummer"), 403)  # lacks hendelser
    _fiks_error(fiks.get("eiendomsskatt", "v1/uttrekk/komplett"), 403)
    assert fiks.get("skole", p, params={"part": ["navn", "bostedsadresse"]}).status_code == 200
    body = _fiks_error(fiks.get("skole", p, params={"part": ["navn", "familierelasjon"]}), 403)
    assert "familierelasjon" in body["message"] and "navn" not in body["message"].split(":")[-1]
    _fiks_error(fiks.get("skole", p), 403)                                 # no part = person-basis, skole lacks it
    _fiks_error(fiks.get("skole", p, params={"part": "historikk"}), 403)
    _fiks_error(fiks.get("analyse", p, params={"part": "relasjon-utvidet"}), 403)
    assert fiks.get("analyse", p).status_code == 200                       # person-basis
    assert fiks.get("analyse", p, params={"part": ["person-basis", "historikk"]}).status_code == 200
    assert fiks.get("barnevern", p, params={"part": ["relasjon-utvidet", "historikk"]}).status_code == 200


def test_unknown_part_is_freg_400(fiks, ident):
    r = fiks.get("barnevern", f"v1/personer/{ident}", params={"part": "skostoerrelse"})
    assert r.status_code == 400 and r.json()["feilmelding"].endswith("skostoerrelse")
    assert r.json()["httpStatus"] == 400


def test_parts_limit_the_answer(fiks, ident):
    doc = fiks.get("skole", f"v1/personer/{ident}", params={"part": ["navn", "kjoenn"]}).json()
    # beside the parts asked for, always identifikasjonsnummer (as in every part example of Skatteetaten and KS)
    assert set(doc) <= {"navn", "kjoenn", "identifikasjonsnummer"} and {"navn", "identifikasjonsnummer"} <= set(doc)


def test_med_hjemmel_only_operations_refused_uten_hjemmel(fiks, sandbox):
    ident = sandbox.population.identifier(1)
    doc_id = sandbox.population.document_id(1)
    for method, path, kw in [("GET", "v1/uttrekk/komplett", {}),
                             ("GET", f"v1/personer/arkiv/{doc_id}", {"params": {"part": "navn"}}),
                             ("POST", "v1/personer/bulkoppslag/arkiv",
                              {"params": {"part": "navn"}, "json": {"dokumentidentifikator": [doc_id]}}),
                             ("POST", "v1/hendelser/bulkoppslag", {"json": {"dokumentidentifikator": ["x"]}}),
                             ("GET", "v1/hendelser/x", {})]:
        r = fiks.request(method, "skole", path, **kw)
        assert r.status_code == 403, (path, r.text)
    assert fiks.get("barnevern", f"v1/personer/arkiv/{doc_id}").status_code == 200



def test_uten_hjemmel_feed_carries_identifiers_only(fiks):
    page = fiks.get("skole", "v1/hendelser/feed", params={"seq": 1}).json()
    assert page
    for entry in page:
        assert set(entry["hendelse"]) == {"folkeregisteridentifikator"}, entry


def test_unacceptable_accept_gives_406(fiks, ident):
    assert fiks.get("barnevern", f"v1/personer/{ident}", headers={"Accept": "application/pdf"}).status_code == 406
    for ok in ["application/json", "*/*", "application/*", "application/json;q=0.9, text/plain"]:
        assert fiks.get("barnevern", f"v1/personer/{ident}", headers={"Accept": ok}).status_code == 200, ok
    assert fiks.get("barnevern", "v1/personer/xsd", headers={"Accept": "application/xml"}).status_code == 200


@pytest.mark.parametrize("name,role,call,status", [
    ("feil-integrasjonspassord", "barnevern", "person", 401),
    ("feil-organisasjon", "barnevern", "person", 401),
    ("rolle-mangler-del", "skole", "person-bostedsadresse", 403),
    ("rolle-mangler-tjeneste", "skole", "soek", 403),
    ("ukjent-rolle", "skole", "person-navn", 403),
])
def test_training_scenarios(sandbox_factory, name, role, call, status):
    sb = sandbox_factory(persons=200, events=300)
    f = Fiks(sb)
    ident = sb.population.identifier(0)
    calls = {"person": (f"v1/personer/{ident}", {}),
             "person-bostedsadresse": (f"v1/personer/{ident}", {"part": "bostedsadresse"}),
             "person-navn": (f"v1/personer/{ident}", {"part": "navn"}),
             "soek": ("v1/personer/soek", {"navn": "x"})}
    path, params = calls[call]
    before = f.get(role, path, params=params).status_code
    sb.scenario(name)
    assert before not in (401, 403)
    assert _fiks_error(f.get(role, path, params=params), status)
    sb.scenario("normal")
    assert f.get(role, path, params=params).status_code == before
