"""Sandbox start-up figures: time from process start to the first answered person lookup and to the first
feed page, and peak RSS, for a large sandbox (1 000 000 persons, 10 000 000 events) beside a baseline
(20 000 / 200 000). Each runs in its own child process. Prints figures; not a timed test.

    .venv/bin/python benchmarks/sandbox_start.py [--persons 1000000 --events 10000000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
t0 = float(sys.argv[3])
sys.path.insert(0, sys.argv[4])
sys.path.insert(0, sys.argv[4] + "/tests/sandbox")
import httpx
from freg_nb.sandbox import SandboxConfig, start_sandbox
from _helpers import headers
persons, events = int(sys.argv[1]), int(sys.argv[2])
sb = start_sandbox(SandboxConfig(persons=persons, events=events), data_dir=sys.argv[5])
t_up = time.time() - t0
h = headers(sb)
base = f"{sb.fiks_base_url}/folkeregister/api/v1/{sb.roles['barnevern']}/v1/"
r = httpx.get(base + "personer/" + sb.population.identifier(persons - 1), headers=h, timeout=600)
t_person = time.time() - t0
assert r.status_code == 200, r.text
r = httpx.get(base + "hendelser/feed", params={"seq": 1}, headers=h, timeout=600)
t_feed = time.time() - t0
assert r.status_code == 200 and len(r.json()) == 1000, r.text[:200]
sb.stop()
print(json.dumps({"persons": persons, "events": events, "answering_s": t_up, "first_person_s": t_person,
                  "first_feed_page_s": t_feed,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(persons: int, events: int, data_dir: str) -> dict:
    t0 = time.time()
    out = subprocess.run([sys.executable, "-c", CHILD, str(persons), str(events), repr(t0), str(REPO), data_dir],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--events", type=int, default=10_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        run(100, 100, d)  # create the PKI once, outside the figures
        rows = [run(20_000, 200_000, d), run(args.persons, args.events, d)]
    print(f"{'persons':>10} {'events':>11} {'answering':>10} {'1st person':>11} {'1st feed page':>14} {'peak RSS':>9}")
    for r in rows:
        print(f"{r['persons']:>10,} {r['events']:>11,} {r['answering_s']:>9.2f}s {r['first_person_s']:>10.2f}s "
              f"{r['first_feed_page_s']:>13.2f}s {r['peak_rss_mb']:>7.0f}MB")
    print("(times from process start, including interpreter and imports; the token grant sits between "
          "'answering' and '1st person')")


if __name__ == "__main__":
    main()
