"""Hendelser against the sandbox over real HTTP: date → sequence, concurrent reading with gaps,
ETag/304, interrupted and resumed reads, role differences, volumes against a brute-force count.

The brute-force answers come from the sandbox's own data model (``sb.feed``), never from the code
under test.
"""
from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from freg_nb import events as E
from freg_nb.feed import PAGE_SIZE
from freg_nb.client import FregClient
from freg_nb.errors import AccessDenied, InputError

from conftest import sandbox_client  # noqa: E402

OSLO = ZoneInfo("Europe/Oslo")
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sb(sandbox_data_dir):
    """This module's own sandbox: 30 000 events (30 pages med hjemmel), faults changed only here."""
    from freg_nb.sandbox import SandboxConfig, start_sandbox

    s = start_sandbox(SandboxConfig(seed=3, persons=2_000, events=30_000, span_days=120),
                      data_dir=sandbox_data_dir)
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _no_faults(sb):
    sb.set_faults(latency_ms=0, jitter_ms=0, rate_429=0, rate_500=0, rate_503=0, rate_drop=0)
    yield
    sb.set_faults(latency_ms=0, jitter_ms=0, rate_429=0, rate_500=0, rate_503=0, rate_drop=0)


def make_client(sb, data_dir, cls=FregClient, **kw) -> FregClient:
    return sandbox_client(sb, data_dir, cls=cls, concurrency=kw.pop("concurrency", 6),
                          retry=kw.pop("retry", None), **kw)


@pytest.fixture
def client(sb, tmp_path):
    c = make_client(sb, tmp_path / "data")
    yield c
    c.close()


# ---- brute force from the sandbox's model ---------------------------------------------------
@pytest.fixture(scope="module")
def truth(sb):
    """Every event as the sandbox holds it: seq, type, UTC seconds, Oslo day, identifier, visible uten hjemmel."""
    from freg_nb.sandbox.feed import CONFIDENTIAL_TYPES

    f = sb.feed
    n = f.latest()
    seq = np.arange(1, n + 1)
    types = [f.type_of(int(s)) for s in seq]
    ts = np.array([f.time_of(int(s)) for s in seq])
    days = pd.to_datetime(ts, unit="s", utc=True).tz_convert(OSLO).tz_localize(None).normalize()
    ids = [sb.population.identifier(f.person_of(int(s))) for s in seq]
    df = pd.DataFrame({"sekvensnummer": seq, "hendelsetype": types, "ts": ts, "dato": days,
                       "folkeregisteridentifikator": ids})
    df["visible_uten"] = ~df["hendelsetype"].isin(CONFIDENTIAL_TYPES)
    return df


def first_seq_on_or_after(truth: pd.DataFrame, day: date) -> int:
    midnight = int(datetime(day.year, day.month, day.day, tzinfo=OSLO).timestamp())
    later = truth.loc[truth["ts"] >= midnight, "sekvensnummer"]
    return int(later.iloc[0]) if len(later) else int(truth["sekvensnummer"].max()) + 1


def table_hash(df: pd.DataFrame) -> str:
    df = df.sort_values(["role", "sekvensnummer"]).reset_index(drop=True)
    h = pd.util.hash_pandas_object(df.astype(str), index=False).to_numpy()
    return hashlib.sha256(h.tobytes()).hexdigest()


def stored(client, roles=None) -> pd.DataFrame:
    files = E.event_files(client, roles)
    return E._query(files, "SELECT * FROM events ORDER BY role, sekvensnummer")


# ---- date -> sequence ---------------------------------------------------------------------
def test_date_to_sequence_is_exact_with_few_calls(client, truth):
    days = pd.to_datetime(truth["dato"]).dt.date
    first, last = days.min(), days.max()
    rng = random.Random(7)
    probes = [first, first - timedelta(days=3), last, last + timedelta(days=1), last + timedelta(days=30)]
    probes += [first + timedelta(days=rng.randrange((last - first).days)) for _ in range(8)]
    used = []
    for day in probes:
        calls: list = []
        got = E.sequence_for_date(client, role="analyse", day=day, calls=calls)
        assert got == first_seq_on_or_after(truth, day), day
        used.append(len(calls))
    # 30 pages: bisection alone would need ~5 probes + the ends; interpolation does better
    assert max(used) <= 7, used
    assert np.mean(used) <= 5, used


def test_date_to_sequence_uten_hjemmel_needs_a_role_with_timestamps(client, truth):
    day = pd.to_datetime(truth["dato"]).dt.date.iloc[len(truth) // 2]
    with pytest.raises(E.NoTimestamps, match="via="):
        E.sequence_for_date(client, role="skole", day=day)
    assert E.sequence_for_date(client, role="skole", day=day, via="analyse") == first_seq_on_or_after(truth, day)


# ---- reading: exact, concurrent, gaps -------------------------------------------------------
def test_full_read_matches_the_feed_med_and_uten_hjemmel(client, truth):
    a = E.sync_events(client, role="analyse", concurrency=6)
    s = E.sync_events(client, role="skole", concurrency=6)
    got = stored(client)
    med = got[got["role"] == "analyse"]
    assert med["sekvensnummer"].tolist() == truth["sekvensnummer"].tolist()
    assert med["hendelsetype"].tolist() == truth["hendelsetype"].tolist()
    assert med["folkeregisteridentifikator"].tolist() == truth["folkeregisteridentifikator"].tolist()
    days = pd.to_datetime(med["dato"]).reset_index(drop=True)
    assert (days == truth["dato"].reset_index(drop=True)).all()
    uten = got[got["role"] == "skole"]
    vis = truth[truth["visible_uten"]]
    # gaps: exactly the visible events, each once, none of the confidential ones
    assert uten["sekvensnummer"].tolist() == vis["sekvensnummer"].tolist()
    assert uten["folkeregisteridentifikator"].tolist() == vis["folkeregisteridentifikator"].tolist()
    assert uten["hendelsetype"].isna().all() and uten["ajourholdstidspunkt"].isna().all()
    assert a.rows_added == len(truth) and s.rows_added == len(vis)
    # the speculative starts overlapped on the gapped feed, and the overlap was dropped
    assert s.duplicates_dropped > 0 and s.stride > PAGE_SIZE
    assert a.duplicates_dropped == 0


def test_reading_is_concurrent(sb, tmp_path):
    """With 100 ms per call the reader keeps about 8 calls open at once, as the sandbox sees it
    (a count, not a timing: speed itself is measured in benchmarks/feed.py)."""
    sb.set_faults(latency_ms=100)
    sb.state.counters.reset()
    with make_client(sb, tmp_path / "c", concurrency=8) as c:
        r = E.sync_events(c, role="skole", concurrency=8)
    assert r.rows_added == int((~pd.Series([sb.feed.type_of(s) for s in range(1, sb.feed.latest() + 1)])
                                 .isin(__import__("freg_nb.sandbox.feed", fromlist=["x"]).CONFIDENTIAL_TYPES)).sum())
    assert r.pages >= 15
    assert 6 <= sb.counters()["max_in_flight"] <= 8


@pytest.mark.parametrize("start_seq,end_seq", [(1, 999), (1, 1000), (1001, 1001), (12_345, 23_456), (29_990, None)])
def test_sequence_ranges_are_exact_for_gapped_and_full_feeds(client, truth, start_seq, end_seq):
    for role, rows in (("analyse", truth), ("skole", truth[truth["visible_uten"]])):
        E.sync_events(client, role=role, start_seq=start_seq, end_seq=end_seq)
        hi = end_seq if end_seq is not None else len(truth)
        want = rows[(rows["sekvensnummer"] >= start_seq) & (rows["sekvensnummer"] <= hi)]["sekvensnummer"]
        got = stored(client, [role])["sekvensnummer"]
        assert got.tolist() == want.tolist(), role


# ---- ETag / 304 ---------------------------------------------------------------------------
def test_nothing_new_is_one_conditional_call(client, truth):
    E.sync_events(client, role="analyse", start_seq=25_001, end_seq=29_000)
    assert E.has_new_events(client, role="analyse") is True
    E.sync_events(client, role="analyse", start_seq=25_001)  # up to the newest: remembers the tail's ETag
    before = client.stats.as_dict()
    again = E.sync_events(client, role="analyse", start_seq=25_001)
    after = client.stats.as_dict()
    assert again.not_modified and again.rows_added == 0
    assert after["calls"] - before["calls"] == 1
    assert after["statuses"].get(304, 0) - before["statuses"].get(304, 0) == 1
    assert E.has_new_events(client, role="analyse") is False
    assert len(stored(client, ["analyse"])) == len(truth) - 25_000


# ---- interruption and resume ----------------------------------------------------------------
class _Crash(KeyboardInterrupt):
    pass


class CrashingClient(FregClient):
    """A real client whose feed call number ``crash_at`` raises, like Ctrl-C in the middle of a page."""

    crash_at = 10**9

    def feed(self, role, seq, **kw):
        self._n = getattr(self, "_n", 0) + 1
        if self._n == self.crash_at:
            raise _Crash()
        return super().feed(role, seq, **kw)


@pytest.fixture(scope="module")
def reference_hash(sb, tmp_path_factory):
    with make_client(sb, tmp_path_factory.mktemp("ref")) as c:
        for role in ("analyse", "skole"):
            E.sync_events(c, role=role, start_seq=16_001)
        return table_hash(stored(c))


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_interrupted_read_resumes_to_the_identical_table(sb, tmp_path, reference_hash, seed):
    rng = random.Random(seed)
    data = tmp_path / "data"
    for role in ("analyse", "skole"):
        crashed = make_client(sb, data, cls=CrashingClient, concurrency=rng.choice([1, 3, 6]))
        crashed.crash_at = rng.randrange(2, 14)
        with pytest.raises(KeyboardInterrupt):
            E.sync_events(crashed, role=role, start_seq=16_001, flush_pages=rng.choice([1, 2, 5]))
        crashed.close()
        part = stored(make_client(sb, data), [role])
        assert part["sekvensnummer"].is_unique  # what was kept is clean already
        with make_client(sb, data) as c:
            r = E.sync_events(c, role=role, start_seq=16_001)
            assert r.resumed_from is None or r.resumed_from > 16_001
    with make_client(sb, data) as c:
        assert table_hash(stored(c)) == reference_hash


def test_killed_process_resumes_to_the_identical_table(sb, tmp_path, reference_hash):
    """SIGKILL a separate process in the middle of a read (no chance to clean up), then resume."""
    env_file = tmp_path / "sandbox.env"
    env_file.write_text(sb.env_snippet())
    data = tmp_path / "data"
    env = {**os.environ, "FREG_NB_DATA_DIR": str(data)}
    script = (
        "import freg_nb, freg_nb.events as E, sys\n"
        f"c = freg_nb.connect(env_file={str(env_file)!r}, concurrency=2)\n"
        "E.sync_events(c, role='skole', start_seq=16001, flush_pages=1, progress=False)\n"
        "sys.exit(3)\n"
    )
    sb.set_faults(latency_ms=150)
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=REPO)
    cp = data / "feeds" / "skole" / "checkpoint.json"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if cp.exists() and b'"parts":[{' in cp.read_bytes() and cp.read_bytes().count(b'"file"') >= 2:
                break
            assert proc.poll() is None, "the reader finished before it could be killed"
            time.sleep(0.05)
        time.sleep(random.Random(5).uniform(0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    sb.set_faults(latency_ms=0)
    with make_client(sb, data) as c:
        r = E.sync_events(c, role="skole", start_seq=16_001)
        assert r.resumed_from is not None and r.resumed_from > 16_001
        E.sync_events(c, role="analyse", start_seq=16_001)
        assert table_hash(stored(c)) == reference_hash


# ---- role differences ---------------------------------------------------------------------
def test_roles_differ_uten_hjemmel_is_thin_and_misses_confidential_types(client, truth):
    from freg_nb.sandbox.feed import CONFIDENTIAL_TYPES

    for role in ("analyse", "skole", "barnevern"):
        E.sync_events(client, role=role)
    cmp = E.compare_roles(client)
    assert cmp.loc["skole", "thin"] and not cmp.loc["analyse", "thin"] and not cmp.loc["barnevern", "thin"]
    assert cmp.loc["skole", "with_type"] == 0 and cmp.loc["skole", "with_timestamp"] == 0
    assert cmp.loc["analyse", "with_hendelsesdokument"] == 1 and cmp.loc["analyse", "seq_coverage"] == 1
    share = truth["visible_uten"].mean()
    assert cmp.loc["skole", "seq_coverage"] == pytest.approx(share, abs=0.002)
    m = E.type_matrix(client)
    brute = truth.groupby("hendelsetype").size()
    assert (m["analyse"] == brute.reindex(m.index)).all()
    assert (m["barnevern"] == m["analyse"]).all()
    conf = [t for t in m.index if t in CONFIDENTIAL_TYPES]
    assert conf and (m.loc[conf, "skole"] == 0).all() and (m.loc[conf, "analyse"] > 0).all()
    other = [t for t in m.index if t not in CONFIDENTIAL_TYPES]
    assert (m.loc[other, "skole"] == m.loc[other, "analyse"]).all()
    top = E.top_event_types(client, n=3)
    assert top.groupby("role", observed=True).size().max() == 3
    assert not set(top.loc[top["role"] == "skole", "hendelsetype"]) & CONFIDENTIAL_TYPES


def test_role_without_the_hendelser_service_is_refused_clearly(client):
    with pytest.raises(AccessDenied):
        E.sync_events(client, role="eiendomsskatt")


# ---- volumes ------------------------------------------------------------------------------
@pytest.mark.parametrize("freq,rule", [("day", None), ("uke", "W"), ("month", "M")])
def test_volumes_equal_a_brute_force_count(client, truth, freq, rule):
    days = pd.to_datetime(truth["dato"])
    start, end = days.iloc[3_000].date(), days.iloc[21_000].date()
    ev = E.read_events(client, roles=["analyse", "skole"], start=start, end=end, show_ids=True)
    vol = E.event_volumes(client, roles=["analyse", "skole"], freq=freq, start=start, end=end)
    t = truth[(days.dt.date >= start) & (days.dt.date <= end)].copy()
    if rule == "W":
        t["period"] = t["dato"] - pd.to_timedelta(t["dato"].dt.day_of_week, unit="D")
    elif rule == "M":
        t["period"] = t["dato"].dt.to_period("M").dt.to_timestamp()
    else:
        t["period"] = t["dato"]
    for role, rows in (("analyse", t), ("skole", t[t["visible_uten"]])):
        want = rows.groupby(["period", "hendelsetype"]).size().rename("events").reset_index()
        got = vol[vol["role"] == role][["period", "hendelsetype", "events"]].copy()
        got["hendelsetype"] = got["hendelsetype"].astype(str)
        got = got.sort_values(["period", "hendelsetype"]).reset_index(drop=True)
        want = want.sort_values(["period", "hendelsetype"]).reset_index(drop=True)
        assert got["events"].sum() == len(rows)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
        assert (ev["role"] == role).sum() == len(rows)


def test_read_events_masks_ids_and_filters_types(client, truth):
    days = pd.to_datetime(truth["dato"]).dt.date
    day = days.iloc[len(truth) // 3]
    ev = E.read_events(client, roles="analyse", start=day, end=day, event_types=["personErOppdatert", "endringINavn"])
    want = truth[(days == day) & truth["hendelsetype"].isin(["personErOppdatert", "endringINavn"])]
    assert len(ev) == len(want) > 0
    assert ev["folkeregisteridentifikator"].str.fullmatch(r"\d{6}\*{5}").all()
    assert str(ev["ajourholdstidspunkt"].dt.tz) == "Europe/Oslo"


def test_uten_hjemmel_alone_by_date_borrows_days_from_a_role_med_hjemmel(client, truth):
    days = pd.to_datetime(truth["dato"]).dt.date
    day = days.iloc[len(truth) // 2]
    ev = E.read_events(client, roles="skole", start=day, end=day, show_ids=True)
    want = truth[(days == day) & truth["visible_uten"]]
    assert ev["sekvensnummer"].tolist() == want["sekvensnummer"].tolist()
    vol = E.event_volumes(client, roles="skole", start=day, end=day)
    assert vol["events"].sum() == len(want)
    assert set(vol["hendelsetype"].astype(str)) == set(want["hendelsetype"])


def test_event_changes_counts_kinds_of_change_and_suppresses(client, truth):
    E.sync_events(client, role="analyse", start_seq=20_001)
    raw = E.event_changes(client, role="analyse", sample=400, suppress=False, seed=1)
    assert int(raw["sample"].sum()) == 400
    kinds = set(raw.columns) - {"sample"}
    assert {"registrereNy"} <= kinds <= {"registrereNy", "korrigere", "annullere", "korrigereHistorisk", "(ingen)"}
    assert raw.index.isin(truth["hendelsetype"]).all()
    shown = E.event_changes(client, role="analyse", sample=400, seed=1)
    small = (raw > 0) & (raw < 5)
    assert (shown[small] == ":").sum().sum() == small.sum().sum()
    assert not shown.isin([str(k) for k in range(1, 5)]).any(axis=None)
    E.sync_events(client, role="skole", start_seq=20_001)
    with pytest.raises(InputError, match="med hjemmel"):
        E.event_changes(client, role="skole")


@pytest.mark.parametrize("shape", ["spec", "wrapper"])
def test_event_changes_reads_either_bulk_shape_and_reports_missing_documents(sandbox_factory, tmp_path,
                                                                             monkeypatch, shape):
    """1001 stored events med hjemmel, all sampled: one bulk call of 1000 ids and one of a lone id (the spec's
    shape answers a single document, not a list); documents the sandbox leaves out are reported, not counted."""
    from collections import Counter

    sb = sandbox_factory(seed=5, persons=300, events=1_001, untidy=0.0, bulk_events_shape=shape)
    c = make_client(sb, tmp_path / "data")
    try:
        E.sync_events(c, role="analyse")
        every = E.event_changes(c, role="analyse", sample=5_000, suppress=False)
        truth = Counter(sb.feed.type_of(s) for s in range(1, 1_002))
        assert every["sample"].to_dict() == dict(truth) and int(every["sample"].sum()) == 1_001
        assert every.attrs["mangler"] == []
        hidden = {sb.feed.event_id(s): s for s in (7, 500, 1_001)}
        known = sb.feed.event_document
        monkeypatch.setattr(sb.feed, "event_document", lambda i: None if i in hidden else known(i))
        with pytest.warns(E.MissingDocuments, match="ikke med 3 av de 1001 hendelsesdokumentene"):
            part = E.event_changes(c, role="analyse", sample=5_000, suppress=False)
        assert sorted(part.attrs["mangler"]) == sorted(hidden)
        truth.subtract(sb.feed.type_of(s) for s in hidden.values())
        assert part["sample"].to_dict() == {t: n for t, n in truth.items() if n}
    finally:
        c.close()


# ---- bad input before any request -----------------------------------------------------------
@pytest.mark.parametrize("kw,match", [
    (dict(start="2024-03-10", end="2024-03-01"), "er før «Fra og med dato»"),
    (dict(start="10.03.2024"), "ÅÅÅÅ-MM-DD"),
    (dict(start="2024-03-01", start_seq=5), "ikke begge"),
    (dict(start_seq=-3), "sekvensnummer"),
    (dict(event_types="endringINavn"), "liste"),
    (dict(start="2999-01-01"), "etter i dag.*Velg en dato til og med i dag"),
])
def test_bad_input_is_refused_before_any_request(client, kw, match):
    with pytest.raises(InputError, match=match):
        E.read_events(client, roles="analyse", **kw)
    with pytest.raises(InputError, match="Ukjent rolle"):
        E.read_events(client, roles="ukjent-rolle")
    with pytest.raises(InputError, match="«dag», «uke» eller «måned»"):
        E.event_volumes(client, freq="hour")
    assert client.stats.as_dict()["calls"] == 0


def test_volumes_without_stored_events_say_how_to_read_them_first(sb, client):
    before = sb.counters()["route"]
    for call in (lambda: E.event_volumes(client), lambda: E.event_volumes(client, roles="skole"),
                 lambda: E.compare_roles(client), lambda: E.top_event_types(client)):
        with pytest.raises(InputError, match=r"ingen lagrede hendelser.*Les dem først med read_events\("):
            call()
    assert sb.counters()["route"] == before and not (client.data_dir.path / "feeds").exists()
    E.sync_events(client, role="analyse", start_seq=1, end_seq=50)
    assert E.event_volumes(client, roles="analyse")["events"].sum() == 50
    with pytest.raises(InputError, match="ingen lagrede hendelser for skole"):
        E.event_volumes(client, roles="skole")     # analyse's events are there, skole's are not
    far = E.read_events(client, roles="skole", start_seq=10**9, end_seq=10**9 + 5)   # read, but nothing there
    assert far.empty and E.event_volumes(client, roles="skole").empty              # an empty period, not an error


# ---- plots --------------------------------------------------------------------------------
def test_plots_draw_the_volumes(client, truth):
    import matplotlib

    matplotlib.use("Agg")
    from freg_nb.plots.events import role_lines, stacked_bars, type_week_heatmap

    E.sync_events(client, role="analyse", start_seq=10_001, end_seq=14_000)
    E.sync_events(client, role="skole", start_seq=10_001, end_seq=14_000)
    vol = E.event_volumes(client, freq="day")
    fig = stacked_bars(vol, role="analyse", top=5)
    ax = fig.axes[0]
    per_period = vol[vol["role"] == "analyse"].groupby("period")["events"].sum().to_numpy()
    heights = np.zeros(len(per_period))
    for container in ax.containers:
        heights += np.array([b.get_height() for b in container])
    assert np.allclose(heights, per_period)
    lines = role_lines(vol).axes[0].get_lines()
    assert sorted(line.get_label() for line in lines) == ["analyse", "skole"]
    assert sum(line.get_ydata().sum() for line in lines) == vol["events"].sum()
    hm = type_week_heatmap(vol, role="analyse")
    img = hm.axes[0].get_images()[0].get_array()
    assert img.sum() == vol.loc[vol["role"] == "analyse", "events"].sum()


def test_event_type_picker_offers_every_official_hendelsetype(shared_reference):
    """The types the notebook's picker offers (and the sandbox emits from) are exactly the spec's."""
    yaml = pytest.importorskip("yaml")
    spec = yaml.safe_load((shared_reference / "freg-offentlig-med-hjemmel-1.5.openapi.yaml").read_text(encoding="utf-8"))
    hendelse = spec["components"]["schemas"]["folkeregisteret.tilgjengeliggjoering.hendelse.v1.Hendelse"]
    official = hendelse["properties"]["hendelsestype"]["enum"]
    assert sorted(E.EVENT_TYPES) == sorted(official)
