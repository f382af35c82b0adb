"""Feed realism (issue 14, point 10): in a default feed no event type piles up on one day — every type's
busiest day is at most 5× its median daily count — and naturalisations fall on working days."""
from __future__ import annotations

import collections
import statistics
from datetime import date, datetime, timezone

import pytest

from freg_nb.sandbox import SandboxConfig
from freg_nb.sandbox.feed import EventFeed
from freg_nb.sandbox.population import Population

REF = date(2026, 11, 30)  # a Monday: the day before was where naturalisations used to pile up


@pytest.fixture(scope="module")
def entries():
    cfg = SandboxConfig(reference_date=REF)
    pop = Population(seed=cfg.seed, size=cfg.persons, reference_date=REF)
    feed = EventFeed(pop, events=cfg.events, span_days=cfg.span_days)
    out, seq = [], 1
    while page := feed.page(seq, med_hjemmel=True, size=cfg.feed_page_size):
        out.extend((e["hendelse"]["hendelsetype"], e["hendelse"]["ajourholdstidspunkt"]) for e in page)
        seq = page[-1]["sekvensnummer"] + 1
    return out, cfg.span_days


def test_no_event_type_has_a_day_over_five_times_its_median(entries):
    events, span = entries
    per_type = collections.defaultdict(collections.Counter)
    for kind, ts in events:
        per_type[kind][datetime.fromisoformat(ts).date()] += 1
    checked = 0
    for kind, days in per_type.items():
        counts = [days.get(d, 0) for d in (date.fromordinal(REF.toordinal() - k) for k in range(1, span + 1))]
        median = statistics.median(counts)
        if median < 5:  # below that, 5× the median on some day is ordinary chance (marriages come in pairs)
            continue
        checked += 1
        busiest = max(counts)
        assert busiest <= 5 * median, (kind, busiest, median)
    assert checked >= 5 and statistics.median(
        per_type["endringIStatsborgerskap"].get(date.fromordinal(REF.toordinal() - k), 0) for k in range(1, span + 1)) >= 5


def test_naturalisations_are_registered_on_working_days_in_office_hours(entries):
    events, _ = entries
    own = [datetime.fromisoformat(ts) for kind, ts in events if kind == "endringIStatsborgerskap"]
    assert len(own) > 100
    weekend = sum(t.weekday() >= 5 for t in own)
    assert weekend / len(own) < 0.1, weekend  # fillers may fall on a weekend now and then, as the rest of the feed
    assert all(5 <= t.astimezone(timezone.utc).hour < 16 for t in own)  # 06/07-17/18 Norwegian time
