"""The token call is retried when Maskinporten answers 5xx/429 or drops the connection (issue 14, point 7):
against the sandbox's ``include_maskinporten`` fault switch, over real HTTP."""
from __future__ import annotations

import pytest

from freg_nb import FregClient, MaskinportenError, RetryPolicy, Settings, TokenProvider

FAST = RetryPolicy(max_attempts=3, max_total_s=5, backoff_base_s=0.01, backoff_cap_s=0.02)


@pytest.fixture
def sb(sandbox_factory):
    return sandbox_factory(persons=200, events=300)


@pytest.mark.parametrize("fault", ["rate_500", "rate_503", "rate_drop", "rate_429"])
def test_token_call_survives_a_flaky_maskinporten(sb, fault):
    sb.set_faults(**{fault: 0.5}, seed=3, include_maskinporten=True, retry_after_ms=10)
    before = sb.counters().get("tokens_issued", 0)
    tp = TokenProvider(Settings.for_sandbox(sb))
    try:
        for _ in range(4):  # four grants, each retried past the injected faults
            tp.invalidate()
            assert tp.token().reveal()
    finally:
        tp.close()
    assert sb.counters()["tokens_issued"] == before + 4
    assert tp.token_retries >= 1 and sum(sb.counters()["faults"].values()) == tp.token_retries


def test_persistent_5xx_gives_up_with_a_clear_error(sb):
    sb.set_faults(rate_500=1.0, include_maskinporten=True)
    tp = TokenProvider(Settings.for_sandbox(sb))
    with pytest.raises(MaskinportenError, match="server_error") as ei:
        tp.token()
    tp.close()
    assert ei.value.status == 500 and tp.token_retries == 3 and sb.counters()["faults"]["maskinporten-500"] == 4


def test_client_call_succeeds_while_the_token_endpoint_fails_now_and_then(sb):
    sb.set_faults(rate_500=0.4, seed=5, include_maskinporten=True)
    with FregClient(Settings.for_sandbox(sb), retry=FAST, progress=False) as c:
        ident = sb.population.identifier(0)
        assert c.person("barnevern", ident)["identifikasjonsnummer"][0]["foedselsEllerDNummer"] == ident
