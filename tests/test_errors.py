"""freg_nb.errors: every error shape → the right exception with what happened and what to do."""
from __future__ import annotations

import json

import pytest

from freg_nb import errors as E

FIKS_BODY = {
    "timestamp": 1637218198035, "status": 400, "error": "Bad Request",
    "errorId": "3389ad1b-afa4-42e1-b6f8-76f63e560ad5", "path": "/folkeregister/api/v1/x/v1/personer/soek",
    "message": "Beskrivelse av feilen", "errorCode": "FEILKODE", "errorJson": {"antall": 13},
}


def _example(shared_reference, name):
    return (shared_reference / "examples" / name).read_bytes()


def test_fiks_example_body(shared_reference):
    err = E.error_from_response(400, _example(shared_reference, "fiks-feilmelding.json"))
    assert type(err) is E.BadRequest
    assert err.status == 400 and err.error_id == "3389ad1b-afa4-42e1-b6f8-76f63e560ad5"
    assert err.code == "FEILKODE"
    assert "Beskrivelse av feilen" in str(err) and "3389ad1b-afa4-42e1-b6f8-76f63e560ad5" in str(err)


def test_skatteetaten_kode_melding_example(shared_reference):
    err = E.error_from_response(500, _example(shared_reference, "skatteetaten-feilmelding.json"))
    assert type(err) is E.ServerError
    assert err.code == "FREG-001" and "prøv igjen" in str(err) and "Prøv igjen senere" in str(err)


def test_folkeregister_feilmelding_shape():
    body = {"feilkode": "FREG-404", "feilmelding": "Fant ikke person 03851598730", "httpStatus": 404,
            "alvorlighetsgrad": "FEIL", "tilleggsinformasjon": {"felt": "personidentifikator"}}
    err = E.error_from_response(404, json.dumps(body))
    assert type(err) is E.NotFound and err.code == "FREG-404"
    assert "03851598730" not in str(err) and "038515*****" in str(err)  # full id masked
    assert "personidentifikator" in str(err)


def test_external_users_shape_carries_reference():
    body = {"code": "FREG-TOO-MANY", "message": "Søket gav for mange treff, avgrens søket", "httpStatus": 400,
            "feilreferanse": "ref-7f3a"}
    err = E.error_from_response(400, json.dumps(body).encode())
    assert type(err) is E.BadRequest and err.reference == "ref-7f3a" and err.code == "FREG-TOO-MANY"
    assert "feilreferanse ref-7f3a" in str(err) and "avgrens" in str(err)


def test_fiks_wrapping_freg_body_keeps_both_ids():
    body = dict(FIKS_BODY, errorJson={"code": "X1", "message": "inner", "feilreferanse": "ref-1"})
    err = E.error_from_response(400, json.dumps(body))
    assert err.error_id == FIKS_BODY["errorId"] and err.reference == "ref-1"


@pytest.mark.parametrize("body", [b"", b"<html><body>Bad gateway</body></html>", b"\xff\xfe garbage", None])
def test_non_json_bodies(body):
    err = E.error_from_response(502, body)
    assert type(err) is E.ServerError and err.status == 502
    assert "502" in str(err)


def test_401_token_vs_integration():
    tok = dict(FIKS_BODY, status=401, error="Unauthorized", message="Klarte ikke å validere access_token")
    integ = dict(FIKS_BODY, status=401, error="Unauthorized",
                 message="Autentisering feilet for integrasjon med id 0f2c5a4e-1111-2222-3333-444455556666")
    e1 = E.error_from_response(401, json.dumps(tok))
    e2 = E.error_from_response(401, json.dumps(integ))
    assert type(e1) is E.TokenRejected and "scope ks:fiks" in str(e1)
    assert type(e2) is E.IntegrationRejected
    assert "organisasjonsnummeret i tokenet" in str(e2) and "FIKS_INTEGRASJON_PASSORD" in str(e2)
    assert isinstance(e1, E.AuthError) and isinstance(e2, E.AuthError)


def test_403_and_429_and_other():
    e = E.error_from_response(403, json.dumps(dict(FIKS_BODY, status=403, message="Ikke tilgang til part")))
    assert type(e) is E.AccessDenied and "Fiks forvaltning" in str(e)
    t = E.error_from_response(429, b"", {"Retry-After": "1500"})
    assert type(t) is E.Throttled and t.retry_after == 1.5
    assert E.error_from_response(429, b"", {"Retry-After": "soon"}).retry_after is None
    g = E.error_from_response(410, b"{}")
    assert type(g) is E.ApiError and "utløpt" in str(g)


def test_clean_text_removes_tokens_and_ids():
    jwtish = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    s = E.clean_text(f"Bearer {jwtish} for 03851598730 and 12345678901234")
    assert jwtish not in s and "03851598730" not in s and "[token]" in s
    assert "12345678901234" in s  # 14 digits is not an identifier


def test_config_error_lists_every_problem():
    e = E.ConfigError(["A: missing — set A", "B: bad — fix B"])
    assert e.problems == ["A: missing — set A", "B: bad — fix B"]
    assert str(e).startswith("2 feil i innstillingene") and "fix B" in str(e)


def test_tree_is_documented_and_true():
    doc = E.__doc__
    for name in E.__all__:
        obj = getattr(E, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert name in doc, f"{name} missing from the tree"
            assert issubclass(obj, E.FregNbError)
    assert issubclass(E.PartNotAllowed, E.InputError)
    assert issubclass(E.Throttled, E.ApiError) and issubclass(E.TokenRejected, E.AuthError)
    assert not issubclass(E.AccessDenied, E.ApiError)
