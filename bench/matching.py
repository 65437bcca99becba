"""Matching benchmark: a pool proposal for 20,000 candidates and 5,000 openings.

    .venv/bin/python bench/matching.py [--candidates 20000] [--openings 5000]
        [--per-candidate 24] [--per-opening 24] [--seed 7] [--seat-scale 1]
        [--exact-sample 4000] [--json out.json]

Invented, seeded data shaped like the fund's pool (about half IT, skills drawn with a long
tail, most people speaking Russian and Belarusian, many in Poland and Lithuania, openings
with one to five seats) goes through ``solidarity.jobs.matching`` exactly as the app calls it:
``eligible_pairs`` (scored block by block, keeping each candidate's and each opening's best
pairs) then ``assign`` (the exact b-matching on those pairs). No database is involved.

Reported: wall time of each phase, the CPU time of both (on a busy machine the wall time
includes waiting for a core), the process's peak resident memory (ru_maxrss, which
includes Python, NumPy and SciPy themselves), the pairs kept, the introductions proposed and
the seats they fill. ``--exact-sample N`` also solves a smaller pool (N candidates, N/4
openings) twice, once with every eligible pair and once with the limits, to show what the
limits cost in summed score.

The goal in the issue: under 30 s and under 2 GB on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path

# Single-threaded numerics: the goal is for a 2-core machine that also serves the site.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import scipy  # noqa: E402

from solidarity.jobs import matching  # noqa: E402

FIELD_SHARES = {
    "it": 0.45,
    "logistics": 0.12,
    "engineering": 0.12,
    "construction": 0.08,
    "security": 0.08,
    "office": 0.05,
    "hospitality": 0.05,
    "healthcare": 0.03,
    "education": 0.02,
}
VOCABULARY_SIZE = {"it": 60}  # other fields: 25 skills each
GENERAL_SKILLS = [f"general-{i}" for i in range(10)]  # driving licences, first aid, ...
CANDIDATE_REGIONS = {"by": 35, "pl": 30, "lt": 15, "ua": 5, "ge": 5, "de": 5, "other": 5}
OPENING_REGIONS = {"pl": 40, "lt": 20, "de": 10, "ge": 5, "by": 5, "cz": 10, "eu_other": 10}
SENIORITY_CANDIDATES = [45, 30, 18, 7]
SENIORITY_OPENINGS = [35, 35, 20, 10]
SEATS = {1: 60, 2: 25, 3: 10, 5: 5}


def _vocabulary(field: str) -> list[str]:
    return [f"{field}-{i}" for i in range(VOCABULARY_SIZE.get(field, 25))]


def _zipf_sample(rng: random.Random, items: list[str], k: int) -> set[str]:
    # A long tail: a few skills (Python, SQL, driving licence C) are everywhere.
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(items))]
    chosen: set[str] = set()
    while len(chosen) < min(k, len(items)):
        chosen.add(rng.choices(items, weights)[0])
    return chosen


def _pick(rng: random.Random, shares: dict) -> str:
    return rng.choices(list(shares), list(shares.values()))[0]


def make_candidates(n: int, rng: random.Random) -> list[matching.Candidate]:
    fields = list(FIELD_SHARES)
    out = []
    for i in range(n):
        field = _pick(rng, FIELD_SHARES)
        skills = _zipf_sample(rng, _vocabulary(field), rng.randint(2, 8))
        skills |= _zipf_sample(rng, GENERAL_SKILLS, rng.randint(0, 2))
        if rng.random() < 0.2:
            skills |= _zipf_sample(rng, _vocabulary(rng.choice(fields)), rng.randint(1, 2))
        languages = {
            code
            for code, p in (
                ("ru", 0.95),
                ("be", 0.7),
                ("en", 0.4),
                ("pl", 0.25),
                ("lt", 0.1),
                ("uk", 0.1),
                ("de", 0.05),
            )
            if rng.random() < p
        }
        out.append(
            matching.Candidate(
                key=i,
                skills=frozenset(skills),
                languages=frozenset(languages),
                region=_pick(rng, CANDIDATE_REGIONS),
                relocate=rng.random() < 0.5,
                remote=rng.random() < 0.6,
                field=field,
                seniority=rng.choices(range(4), SENIORITY_CANDIDATES)[0],
            )
        )
    return out


def make_openings(n: int, rng: random.Random, seat_scale: int = 1) -> list[matching.Opening]:
    out = []
    for j in range(n):
        field = "it" if rng.random() < 0.1 else _pick(rng, FIELD_SHARES)
        vocabulary = _vocabulary(field)
        required = _zipf_sample(rng, vocabulary, rng.randint(1, 4))
        nice = _zipf_sample(rng, vocabulary + GENERAL_SKILLS, rng.randint(0, 3)) - required
        region = _pick(rng, OPENING_REGIONS)
        languages = set()
        if rng.random() < 0.4:
            languages.add("en")
        if rng.random() < 0.4:
            languages.add("ru")
        if region in ("pl", "lt") and rng.random() < 0.3:
            languages.add(region)
        out.append(
            matching.Opening(
                key=j,
                required=frozenset(required),
                nice=frozenset(nice),
                languages=frozenset(languages),
                region=region,
                remote=rng.random() < 0.35,
                field=field,
                seniority=rng.choices(range(4), SENIORITY_OPENINGS)[0],
                seats=seat_scale * rng.choices(list(SEATS), list(SEATS.values()))[0],
            )
        )
    return out


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(candidates, openings, per_candidate, per_opening) -> dict:
    started, cpu_started = time.perf_counter(), time.process_time()
    pairs = matching.eligible_pairs(
        candidates, openings, per_candidate=per_candidate, per_opening=per_opening
    )
    scored = time.perf_counter()
    chosen = matching.assign(pairs, [o.seats for o in openings])
    assigned, cpu_assigned = time.perf_counter(), time.process_time()
    score_of = dict(
        zip(
            (pairs.candidate * len(openings) + pairs.opening).tolist(),
            pairs.score.tolist(),
            strict=True,
        )
    )
    total = sum(score_of[c * len(openings) + o] for c, o in chosen)
    fill = np.bincount([o for _c, o in chosen], minlength=len(openings))
    seats = np.array([o.seats for o in openings])
    assert (fill <= seats).all(), "an opening was overbooked"
    assert len({c for c, _o in chosen}) == len(chosen), "a candidate was introduced twice"
    return {
        "pairs_kept": len(pairs),
        "score_seconds": round(scored - started, 2),
        "assign_seconds": round(assigned - scored, 2),
        "total_seconds": round(assigned - started, 2),
        "total_cpu_seconds": round(cpu_assigned - cpu_started, 2),
        "introductions": len(chosen),
        "seats": int(seats.sum()),
        "openings_with_a_candidate": int((fill > 0).sum()),
        "summed_score": int(total),
        "mean_score": round(total / max(len(chosen), 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--openings", type=int, default=5_000)
    parser.add_argument("--per-candidate", type=int, default=24)
    parser.add_argument("--per-opening", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--seat-scale",
        type=int,
        default=1,
        help="multiply every opening's seats (4: more seats than candidates)",
    )
    parser.add_argument("--exact-sample", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    made = time.perf_counter()
    candidates = make_candidates(args.candidates, rng)
    openings = make_openings(args.openings, rng, args.seat_scale)
    made = time.perf_counter() - made
    rss_before = peak_rss_mb()
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, SciPy {scipy.__version__}",
        "candidates": args.candidates,
        "openings": args.openings,
        "per_candidate": args.per_candidate,
        "per_opening": args.per_opening,
        "seat_scale": args.seat_scale,
        "data_seconds": round(made, 2),
        "peak_rss_mb_before": round(rss_before, 0),
        **run(candidates, openings, args.per_candidate, args.per_opening),
        "peak_rss_mb": round(peak_rss_mb(), 0),
    }
    if args.exact_sample:
        n = args.exact_sample
        sample_c = make_candidates(n, random.Random(args.seed + 1))
        sample_o = make_openings(n // 4, random.Random(args.seed + 2), args.seat_scale)
        exact = run(sample_c, sample_o, None, None)
        limited = run(sample_c, sample_o, args.per_candidate, args.per_opening)
        result["sample"] = {
            "candidates": n,
            "openings": n // 4,
            "exact": exact,
            "limited": limited,
            "score_kept_percent": round(
                100 * limited["summed_score"] / max(exact["summed_score"], 1), 2
            ),
        }
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
