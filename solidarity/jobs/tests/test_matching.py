"""The matcher: the score and its reasons, the vectorised path agreeing with the single-pair
path, and the pool proposal never overbooking an opening or a candidate (hypothesis)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from solidarity.jobs import display, matching
from solidarity.jobs.matching import Candidate, Opening, Reason


def candidate(**overrides) -> Candidate:
    overrides.setdefault("key", 1)
    overrides.setdefault("skills", frozenset({"python", "sql", "linux"}))
    overrides.setdefault("languages", frozenset({"ru", "be", "pl"}))
    overrides.setdefault("region", "by")
    overrides.setdefault("relocate", True)
    overrides.setdefault("remote", False)
    overrides.setdefault("field", "it")
    overrides.setdefault("seniority", 1)
    return Candidate(**overrides)


def opening(**overrides) -> Opening:
    overrides.setdefault("key", 1)
    overrides.setdefault("required", frozenset({"python", "sql", "linux", "docker"}))
    overrides.setdefault("nice", frozenset())
    overrides.setdefault("languages", frozenset({"pl"}))
    overrides.setdefault("region", "pl")
    overrides.setdefault("remote", False)
    overrides.setdefault("field", "it")
    overrides.setdefault("seniority", 1)
    return Opening(**overrides)


# --- the score -----------------------------------------------------------------------------------


def test_the_issue_example_scores_with_its_reasons(settings):
    match = matching.score_pair(candidate(), opening())

    # 45·3/4 = 33, nothing extra asked 10, Polish 15, relocating 10, seniority 10, field 5
    assert match.score == 33 + 10 + 15 + 10 + 10 + 5
    assert display.reasons_line(match.reasons) == (
        "3 of 4 required skills, speaks Polish, open to relocation, wants to work in IT"
    )


def test_a_perfect_pair_scores_one_hundred():
    match = matching.score_pair(
        candidate(region="pl", seniority=2),
        opening(required=frozenset({"python"}), nice=frozenset({"sql"}), seniority=2),
    )
    assert match.score == matching.MAX_SCORE == 100
    assert Reason("same_region", True, ("pl",)) in match.reasons


def test_no_shared_required_skill_is_not_a_match():
    assert matching.score_pair(candidate(skills=frozenset({"welding"})), opening()) is None


def test_a_candidate_who_will_not_move_is_not_matched_abroad():
    assert matching.score_pair(candidate(relocate=False), opening()) is None


def test_remote_work_on_both_sides_bridges_countries():
    match = matching.score_pair(candidate(relocate=False, remote=True), opening(remote=True))
    assert Reason("remote", True) in match.reasons
    assert match.score == 33 + 10 + 15 + 15 + 10 + 5


def test_missing_languages_and_seniority_count_against():
    match = matching.score_pair(
        candidate(languages=frozenset({"ru"}), seniority=0),
        opening(languages=frozenset({"pl", "en"}), seniority=2),
    )
    assert match.score == 33 + 10 + 0 + 10 + 0 + 5
    text = display.reasons_line(match.reasons)
    assert "does not speak English" in text
    assert "does not speak Polish" in text
    assert "2 levels below the seniority asked" in text


def test_an_opening_that_asks_no_skill_matches_people_who_want_its_field():
    trainee = opening(required=frozenset(), languages=frozenset(), field="logistics", seniority=0)
    wants = candidate(skills=frozenset(), field="logistics", seniority=0)
    other = candidate(skills=frozenset(), field="it", seniority=0)

    assert matching.score_pair(wants, trainee).score == 45 + 10 + 15 + 10 + 10 + 5
    assert matching.score_pair(other, trainee) is None


def test_scores_below_the_minimum_are_not_suggested():
    weak = matching.score_pair(
        candidate(skills=frozenset({"python"}), languages=frozenset(), seniority=0, field="office"),
        opening(
            required=frozenset({"python", "a", "b", "c", "d", "e", "f", "g", "h"}),
            nice=frozenset({"x"}),
            languages=frozenset({"pl", "en", "de"}),
            seniority=3,
        ),
    )
    assert weak is None


def test_rankings_put_the_best_first():
    person = candidate(region="pl")
    openings = [
        opening(key="half", required=frozenset({"python", "go"})),
        opening(key="full", required=frozenset({"python"})),
        opening(key="none", required=frozenset({"cobol"})),
    ]
    ranked = matching.rank_openings(person, openings)
    assert [o.key for o, _m in ranked] == ["full", "half"]


# --- the vectorised path agrees with the single pair -----------------------------------------------

SKILLS = ["python", "sql", "linux", "docker", "excel", "welding", "driving c"]
LANGUAGES = ["ru", "be", "pl", "en"]
REGIONS = ["by", "pl", "lt"]
FIELDS = ["it", "logistics", "office"]


@st.composite
def candidates(draw, key):
    return Candidate(
        key=key,
        skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=5))),
        languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), max_size=3))),
        region=draw(st.sampled_from(REGIONS)),
        relocate=draw(st.booleans()),
        remote=draw(st.booleans()),
        field=draw(st.sampled_from(FIELDS)),
        seniority=draw(st.integers(0, 3)),
    )


@st.composite
def openings(draw, key):
    required = draw(st.sets(st.sampled_from(SKILLS), max_size=3))
    return Opening(
        key=key,
        required=frozenset(required),
        nice=frozenset(draw(st.sets(st.sampled_from(SKILLS), max_size=3))),
        languages=frozenset(draw(st.sets(st.sampled_from(LANGUAGES), max_size=2))),
        region=draw(st.sampled_from(REGIONS)),
        remote=draw(st.booleans()),
        field=draw(st.sampled_from(FIELDS)),
        seniority=draw(st.integers(0, 3)),
        seats=draw(st.integers(1, 3)),
    )


@st.composite
def pools(draw, max_candidates=12, max_openings=6):
    n = draw(st.integers(0, max_candidates))
    m = draw(st.integers(0, max_openings))
    return (
        [draw(candidates(i)) for i in range(n)],
        [draw(openings(j)) for j in range(m)],
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools(), block_size=st.integers(1, 5))
def test_the_vectorised_scores_equal_the_single_pair_scores(pool, block_size):
    people, jobs = pool
    expected = {
        (i, j): match.score
        for (i, c), (j, o) in itertools.product(enumerate(people), enumerate(jobs))
        if (match := matching.score_pair(c, o)) is not None
    }
    pairs = matching.eligible_pairs(people, jobs, block_size=block_size)
    found = {
        (int(c), int(o)): int(s)
        for c, o, s in zip(pairs.candidate, pairs.opening, pairs.score, strict=True)
    }
    assert found == expected


@settings(max_examples=80, deadline=None)
@given(pool=pools(max_candidates=16, max_openings=8), limit=st.integers(1, 4))
def test_limits_keep_each_candidates_and_each_openings_best_pairs(pool, limit):
    people, jobs = pool
    everything = matching.eligible_pairs(people, jobs)
    kept = matching.eligible_pairs(people, jobs, per_candidate=limit, per_opening=limit)
    all_pairs = set(zip(everything.candidate.tolist(), everything.opening.tolist(), strict=True))
    kept_pairs = set(zip(kept.candidate.tolist(), kept.opening.tolist(), strict=True))
    assert kept_pairs <= all_pairs
    assert len(kept_pairs) == len(kept), "a pair was kept twice"
    score = dict(
        zip(
            zip(everything.candidate.tolist(), everything.opening.tolist(), strict=True),
            everything.score.tolist(),
            strict=True,
        )
    )
    for i in range(len(people)):
        mine = sorted((s for (c, _o), s in score.items() if c == i), reverse=True)
        kept_mine = sorted((score[p] for p in kept_pairs if p[0] == i), reverse=True)
        assert kept_mine[: min(limit, len(mine))] == mine[:limit]


# --- the pool proposal ---------------------------------------------------------------------------


def _brute_force_best(pairs, seats) -> int:
    """The best summed score by a dense assignment on seat copies (small pools only)."""
    if not len(pairs):
        return 0
    n = int(pairs.candidate.max()) + 1
    slots = [j for j, s in enumerate(seats) for _ in range(s)]
    gain = np.zeros((n, len(slots) + n))
    for c, o, s in zip(pairs.candidate, pairs.opening, pairs.score, strict=True):
        for k, j in enumerate(slots):
            if j == o:
                gain[c, k] = s
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return int(gain[rows, cols].sum())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=pools())
def test_the_proposal_never_overbooks_and_is_optimal(pool):
    people, jobs = pool
    pairs = matching.eligible_pairs(people, jobs)
    seats = [o.seats for o in jobs]

    chosen = matching.assign(pairs, seats)

    eligible = set(zip(pairs.candidate.tolist(), pairs.opening.tolist(), strict=True))
    assert all(pair in eligible for pair in chosen), "only eligible pairs are proposed"
    per_candidate = [c for c, _o in chosen]
    assert len(per_candidate) == len(set(per_candidate)), "a candidate got two openings"
    per_opening = np.bincount([o for _c, o in chosen], minlength=len(jobs))
    assert all(per_opening[j] <= seats[j] for j in range(len(jobs))), "an opening was overbooked"
    pair_list = zip(pairs.candidate.tolist(), pairs.opening.tolist(), strict=True)
    score = dict(zip(pair_list, pairs.score.tolist(), strict=True))
    assert sum(score[p] for p in chosen) == _brute_force_best(pairs, seats)


@settings(max_examples=60, deadline=None)
@given(pool=pools(), seats=st.lists(st.integers(0, 2), min_size=6, max_size=6))
def test_an_opening_without_free_seats_gets_nobody(pool, seats):
    people, jobs = pool
    seats = seats[: len(jobs)]
    chosen = matching.assign(matching.eligible_pairs(people, jobs), seats)
    per_opening = np.bincount([o for _c, o in chosen], minlength=len(jobs))
    assert all(per_opening[j] <= seats[j] for j in range(len(jobs)))


def test_two_people_for_one_seat_the_better_one_gets_it():
    job = opening(required=frozenset({"python", "sql"}), seats=1)
    strong = candidate(key="strong", region="pl")
    weak = candidate(key="weak", skills=frozenset({"python"}))

    proposal = matching.propose([weak, strong], [job])

    assert [(c.key, o.key) for c, o, _s in proposal] == [("strong", 1)]


def test_the_assignment_trades_a_top_choice_for_a_better_total():
    # A greedy matcher gives the one-seat Python job to the best Python person and leaves
    # the welder job empty; the optimum moves them around.
    python_job = opening(key="py", required=frozenset({"python"}), languages=frozenset())
    welding_job = opening(key="weld", required=frozenset({"welding"}), languages=frozenset())
    both = candidate(key="both", skills=frozenset({"python", "welding"}), region="pl")
    only_python = candidate(key="py-only", skills=frozenset({"python"}), region="pl", seniority=0)

    proposal = matching.propose([both, only_python], [python_job, welding_job])

    assert sorted((c.key, o.key) for c, o, _s in proposal) == [("both", "weld"), ("py-only", "py")]


def test_an_empty_pool_proposes_nothing():
    assert matching.propose([], [opening()]) == []
    assert matching.propose([candidate()], []) == []


def test_more_than_sixty_three_nice_skills_are_refused():
    with pytest.raises(ValueError, match="nice skills"):
        matching.eligible_pairs(
            [candidate()], [opening(nice=frozenset(f"s{i}" for i in range(64)))]
        )
