"""Validation against the schemas of Skatteetaten's v1.5 spec (jsonschema, $ref resolved against the
yaml's components). Envelope schemas are checked strictly (no properties beyond the spec)."""
from __future__ import annotations

import copy

import pytest

SPEC = "freg-offentlig-med-hjemmel-1.5.openapi.yaml"
P = "folkeregisteret.tilgjengeliggjoering.person.v1."
H = "folkeregisteret.tilgjengeliggjoering.hendelse.v1."
U = "folkeregisteret.tilgjengeliggjoering.uttrekk.v1.response."
R = "ske.folkeregister.rettighetspakke.hendelser."


def _strict(schema):
    s = copy.deepcopy(schema)
    if s.get("type") == "object" and "properties" in s:
        s["additionalProperties"] = False
    return s


def validator(shared_reference):
    """A ``check(instance, schema name, array=False)`` that asserts the instance validates (``.errors_of`` lists)."""
    yaml = pytest.importorskip("yaml")
    jsonschema = pytest.importorskip("jsonschema")
    path = shared_reference / SPEC
    if not path.exists():
        pytest.skip(f"{SPEC} not found in {shared_reference}")
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    strict_names = {P + "bulk.response.PersonBulkoppslagResponse", P + "bulk.response.Oppslag",
                    P + "bulk.response.Feilmelding", P + "soek.response.PersonsoekResponse",
                    U + "UttrekkJobbResponse", U + "UttrekkDataResponse", R + "LagretHendelseMedDokumentIdentifikatorer",
                    R + "HendelseMedDokumentIdentifikatorer", R + "Sekvensnummer",
                    "ske.folkeregister.exception.javaxrs.FolkeregisterFeilmelding",
                    "ske.folkeregister.lesemodell.universal.feil.ErrorMessageForExternalUsers"}
    strict = {k: (_strict(v) if k in strict_names else v) for k, v in schemas.items()}
    root = {"components": {"schemas": strict}}
    person_props = set(schemas[P + "Folkeregisterperson"]["properties"])

    def errors_of(instance, name: str, *, array: bool = False) -> list:
        schema = {"$ref": f"#/components/schemas/{name}"}
        if array:
            schema = {"type": "array", "items": schema}
        return sorted(jsonschema.Draft202012Validator({**schema, **root}).iter_errors(instance), key=str)

    def check(instance, name: str, *, array: bool = False):
        errors = errors_of(instance, name, array=array)
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].absolute_path)}"
        if name == P + "Folkeregisterperson":
            assert set(instance) <= person_props, set(instance) - person_props
    check.errors_of = errors_of
    check.person_props = person_props
    return check


