"""Matching candidates to openings: a score with its reasons, rankings, and a proposal for
the whole pool. Plain data in, plain data out (no ORM), so ``bench/matching.py`` can run it on
20,000 candidates by 5,000 openings without a database.

The score (0 to 100) adds whole numbers, so the single-pair path (``score_pair``, which also
gives the reasons) and the vectorised path (``eligible_pairs``) agree to the point:

==============  ============================================================================
required skills 45 × matched ÷ required (rounded down); an opening asking for none: 45
nice to have    10 × matched ÷ asked; nothing extra asked: 10
languages       15 × spoken ÷ required; no language required: 15
location        15 same country, or remote work that both sides want; 10 ready to relocate
seniority       10 at or above the level asked; 5 one level below; 0 further below
field            5 the candidate wants to work in the opening's field
==============  ============================================================================

A pair is *eligible* when the location works (same country, both remote, or the candidate
relocates), at least one required skill matches (for an opening that asks for no skill: the
candidate wants its field) and the score reaches ``MIN_SCORE``.

The pool proposal introduces each candidate to at most one opening and gives no opening more
candidates than its free seats, maximising the summed score: a maximum-weight b-matching,
solved exactly as a minimum-cost full matching (SciPy's LAPJVsp) on a graph in which each
opening is copied once per seat and each candidate has a private "not this round" column.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

# Below this a suggestion is noise: a coach's time is the scarce resource.
MIN_SCORE = 40
W_REQUIRED, W_NICE, W_LANGUAGES, W_LOCATION, W_SENIORITY, W_FIELD = 45, 10, 15, 15, 10, 5
W_RELOCATE = 10  # of W_LOCATION: moving is possible but costs the candidate more
W_SENIORITY_ONE_BELOW = 5
MAX_SCORE = W_REQUIRED + W_NICE + W_LANGUAGES + W_LOCATION + W_SENIORITY + W_FIELD  # 100
# Costs for the assignment are CEILING - score, so every edge costs at least 1: the sparse
# solver would read an explicit 0 as a missing edge.
_CEILING = MAX_SCORE + 1
# The vectorised path packs (required matches, nice matches) into one integer per pair.
_REQUIRED_UNIT = 64
MAX_NICE_SKILLS = _REQUIRED_UNIT - 1
MAX_LANGUAGES = 64  # distinct languages in one pool: one bit each in a uint64


@dataclass(frozen=True)
class Candidate:
    key: Hashable
    skills: frozenset[str]
    languages: frozenset[str]
    region: str
    relocate: bool
    remote: bool
    field: str
    seniority: int


@dataclass(frozen=True)
class Opening:
    key: Hashable
    required: frozenset[str]
    nice: frozenset[str]
    languages: frozenset[str]
    region: str
    remote: bool
    field: str
    seniority: int
    seats: int = 1

    @property
    def extra(self) -> frozenset[str]:
        """Nice-to-have skills that are not also required (each counts once)."""
        return self.nice - self.required


class Reason(NamedTuple):
    """One line of "why": ``kind`` names the rule, ``values`` fills its sentence."""

    kind: str
    good: bool
    values: tuple = ()


@dataclass(frozen=True)
class Match:
    score: int
    reasons: tuple[Reason, ...] = field(default=())


def score_pair(candidate: Candidate, opening: Opening) -> Match | None:
    """The score of one pair with its reasons, or None when the pair is not eligible."""
    required, extra = opening.required, opening.extra
    matched = len(candidate.skills & required)
    if required and not matched:
        return None
    if not required and candidate.field != opening.field:
        return None
    same_region = candidate.region == opening.region
    both_remote = opening.remote and candidate.remote
    if not (same_region or both_remote or candidate.relocate):
        return None

    s_required = W_REQUIRED * matched // len(required) if required else W_REQUIRED
    nice_matched = len(candidate.skills & extra)
    s_nice = W_NICE * nice_matched // len(extra) if extra else W_NICE
    spoken = candidate.languages & opening.languages
    s_lang = (
        W_LANGUAGES * len(spoken) // len(opening.languages) if opening.languages else W_LANGUAGES
    )
    s_location = W_LOCATION if (same_region or both_remote) else W_RELOCATE
    gap = opening.seniority - candidate.seniority
    s_seniority = W_SENIORITY if gap <= 0 else W_SENIORITY_ONE_BELOW if gap == 1 else 0
    same_field = candidate.field == opening.field
    s_field = W_FIELD if same_field else 0
    score = s_required + s_nice + s_lang + s_location + s_seniority + s_field
    if score < MIN_SCORE:
        return None

    reasons = []
    if required:
        reasons.append(Reason("skills", matched == len(required), (matched, len(required))))
    if extra and nice_matched:
        reasons.append(Reason("nice", True, (nice_matched, len(extra))))
    for language in sorted(spoken):
        reasons.append(Reason("speaks", True, (language,)))
    for language in sorted(opening.languages - candidate.languages):
        reasons.append(Reason("lacks_language", False, (language,)))
    if same_region:
        reasons.append(Reason("same_region", True, (opening.region,)))
    elif both_remote:
        reasons.append(Reason("remote", True))
    else:
        reasons.append(Reason("relocation", True, (opening.region,)))
    if gap == 1:
        reasons.append(Reason("seniority_below", False, (1,)))
    elif gap > 1:
        reasons.append(Reason("seniority_below", False, (gap,)))
    if same_field:
        reasons.append(Reason("field", True, (opening.field,)))
    return Match(score, tuple(reasons))


def _ranked(pairs: Iterable[tuple[object, Match | None]], limit: int | None):
    found = [(index, item, match) for index, (item, match) in enumerate(pairs) if match]
    # Highest score first; ties keep the caller's order (newest opening, oldest profile...).
    found.sort(key=lambda row: (-row[2].score, row[0]))
    return [(item, match) for _index, item, match in found[:limit]]


def rank_openings(
    candidate: Candidate, openings: Sequence[Opening], limit: int | None = None
) -> list[tuple[Opening, Match]]:
    """Eligible openings for one candidate, best first."""
    return _ranked(((o, score_pair(candidate, o)) for o in openings), limit)


def rank_candidates(
    opening: Opening, candidates: Sequence[Candidate], limit: int | None = None
) -> list[tuple[Candidate, Match]]:
    """Eligible candidates for one opening, best first."""
    return _ranked(((c, score_pair(c, opening)) for c in candidates), limit)


# --- the vectorised path ---------------------------------------------------------------------


class Pairs(NamedTuple):
    """Eligible pairs as parallel arrays of candidate index, opening index and score."""

    candidate: np.ndarray
    opening: np.ndarray
    score: np.ndarray

    def __len__(self) -> int:
        return int(self.candidate.size)


def _popcount(values: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values).astype(np.int32)
    as_bytes = values.view(np.uint8).reshape(-1, 8)
    return np.unpackbits(as_bytes, axis=1).sum(axis=1).astype(np.int32)


class _Pool:
    """Candidates and openings as arrays. Skills become sparse 0/1 rows, so a single sparse
    product per block of candidates finds exactly the pairs that share a required skill (or,
    for an opening that asks for none, a field): all other pairs are ineligible anyway."""

    def __init__(self, candidates: Sequence[Candidate], openings: Sequence[Opening]) -> None:
        vocabulary: dict[object, int] = {}
        languages: dict[str, int] = {}

        def term(value: object) -> int:
            return vocabulary.setdefault(value, len(vocabulary))

        def language_mask(values: Iterable[str]) -> int:
            mask = 0
            for value in values:
                bit = languages.setdefault(value, len(languages))
                if bit >= MAX_LANGUAGES:
                    raise ValueError(f"more than {MAX_LANGUAGES} languages in one pool")
                mask |= 1 << bit
            return mask

        regions: dict[str, int] = {}
        fields: dict[str, int] = {}
        rows, cols = [], []
        for i, c in enumerate(candidates):
            for skill in c.skills:
                rows.append(i)
                cols.append(term(skill))
            rows.append(i)
            cols.append(term(("field", c.field)))
        o_rows, o_cols, o_vals = [], [], []
        for j, o in enumerate(openings):
            if len(o.extra) > MAX_NICE_SKILLS:
                raise ValueError(f"an opening may list at most {MAX_NICE_SKILLS} nice skills")
            keys = o.required or {("field", o.field)}
            for key in keys:
                o_rows.append(j)
                o_cols.append(term(key))
                o_vals.append(_REQUIRED_UNIT)
            for skill in o.extra:
                o_rows.append(j)
                o_cols.append(term(skill))
                o_vals.append(1)
        size = max(len(vocabulary), 1)
        self.skills = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.int32), (rows, cols)), shape=(len(candidates), size)
        )
        self.wanted = sparse.csr_matrix(
            (np.array(o_vals, dtype=np.int32), (o_cols, o_rows)), shape=(size, len(openings))
        )

        def code(table: dict[str, int], value: str) -> int:
            return table.setdefault(value, len(table))

        self.c_lang = np.array([language_mask(c.languages) for c in candidates], dtype=np.uint64)
        self.c_region = np.array([code(regions, c.region) for c in candidates], dtype=np.int32)
        self.c_field = np.array([code(fields, c.field) for c in candidates], dtype=np.int32)
        self.c_relocate = np.array([c.relocate for c in candidates], dtype=bool)
        self.c_remote = np.array([c.remote for c in candidates], dtype=bool)
        self.c_seniority = np.array([c.seniority for c in candidates], dtype=np.int32)
        self.o_lang = np.array([language_mask(o.languages) for o in openings], dtype=np.uint64)
        self.o_lang_count = np.array([len(o.languages) for o in openings], dtype=np.int32)
        self.o_required = np.array([len(o.required) for o in openings], dtype=np.int32)
        self.o_extra = np.array([len(o.extra) for o in openings], dtype=np.int32)
        self.o_region = np.array([code(regions, o.region) for o in openings], dtype=np.int32)
        self.o_field = np.array([code(fields, o.field) for o in openings], dtype=np.int32)
        self.o_remote = np.array([o.remote for o in openings], dtype=bool)
        self.o_seniority = np.array([o.seniority for o in openings], dtype=np.int32)
        self.n_candidates = len(candidates)
        self.n_openings = len(openings)

    def block(self, start: int, stop: int) -> Pairs:
        """The eligible pairs of candidates ``start``..``stop`` with every opening."""
        product = (self.skills[start:stop] @ self.wanted).tocsr()
        counts = np.diff(product.indptr)
        cand = np.repeat(np.arange(start, stop, dtype=np.int32), counts)
        op = product.indices.astype(np.int32, copy=False)
        packed = product.data
        # Cheapest filters first, on the most pairs: a shared required skill, then location.
        keep = packed >= _REQUIRED_UNIT
        cand, op, packed = cand[keep], op[keep], packed[keep]
        same_region = self.c_region[cand] == self.o_region[op]
        near = same_region | (self.o_remote[op] & self.c_remote[cand])
        keep = near | self.c_relocate[cand]
        cand, op, packed, near = cand[keep], op[keep], packed[keep], near[keep]

        required_matched = packed // _REQUIRED_UNIT
        nice_matched = packed % _REQUIRED_UNIT
        required = self.o_required[op]
        s_required = np.where(
            required > 0, W_REQUIRED * required_matched // np.maximum(required, 1), W_REQUIRED
        )
        extra = self.o_extra[op]
        s_nice = np.where(extra > 0, W_NICE * nice_matched // np.maximum(extra, 1), W_NICE)
        asked = self.o_lang_count[op]
        spoken = _popcount(self.c_lang[cand] & self.o_lang[op])
        s_lang = np.where(asked > 0, W_LANGUAGES * spoken // np.maximum(asked, 1), W_LANGUAGES)
        s_location = np.where(near, W_LOCATION, W_RELOCATE)
        gap = self.o_seniority[op] - self.c_seniority[cand]
        s_seniority = np.where(gap <= 0, W_SENIORITY, np.where(gap == 1, W_SENIORITY_ONE_BELOW, 0))
        s_field = np.where(self.c_field[cand] == self.o_field[op], W_FIELD, 0)
        score = s_required + s_nice + s_lang + s_location + s_seniority + s_field
        ok = score >= MIN_SCORE
        return Pairs(cand[ok].astype(np.int64), op[ok].astype(np.int64), score[ok].astype(np.int16))


def _top_per_group(
    group: np.ndarray, other: np.ndarray, score: np.ndarray, limit: int
) -> np.ndarray:
    """Indices of the ``limit`` best pairs of each group (ties: lower ``other`` index first)."""
    if group.size == 0:
        return np.zeros(0, dtype=np.int64)
    # One int64 key sorts by group, then score (high first), then the other index.
    span = int(other.max()) + 1
    key = (group.astype(np.int64) * (_CEILING + 1) + (MAX_SCORE - score.astype(np.int64))) * span
    key += other
    order = np.argsort(key, kind="stable")
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    first_of_group = np.repeat(starts, np.diff(np.r_[starts, sorted_group.size]))
    rank = np.arange(sorted_group.size) - first_of_group
    return order[rank < limit]


def _select(pairs: Pairs, index: np.ndarray) -> Pairs:
    return Pairs(pairs.candidate[index], pairs.opening[index], pairs.score[index])


def _concat(parts: list[Pairs]) -> Pairs:
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty, np.zeros(0, dtype=np.int16))
    return Pairs(*(np.concatenate([getattr(p, name) for p in parts]) for name in Pairs._fields))


def eligible_pairs(
    candidates: Sequence[Candidate],
    openings: Sequence[Opening],
    *,
    per_candidate: int | None = None,
    per_opening: int | None = None,
    block_size: int = 2048,
) -> Pairs:
    """Every eligible pair, scored; or, with limits, the union of each candidate's best
    ``per_candidate`` and each opening's best ``per_opening`` pairs (for pools too large to
    keep every pair). Memory grows with one block of candidates, never with the full matrix.
    """
    if not candidates or not openings:
        return _concat([])
    pool = _Pool(candidates, openings)
    limited = per_candidate is not None or per_opening is not None
    kept: list[Pairs] = []
    best_per_opening = _concat([])
    for start in range(0, pool.n_candidates, block_size):
        block = pool.block(start, min(start + block_size, pool.n_candidates))
        if not limited:
            kept.append(block)
            continue
        if per_candidate is not None:
            kept.append(
                _select(
                    block,
                    _top_per_group(block.candidate, block.opening, block.score, per_candidate),
                )
            )
        if per_opening is not None:
            merged = _concat([best_per_opening, block])
            best_per_opening = _select(
                merged, _top_per_group(merged.opening, merged.candidate, merged.score, per_opening)
            )
    if per_opening is not None:
        kept.append(best_per_opening)
    pairs = _concat(kept)
    if limited and len(pairs):
        # A pair can be both a candidate's and an opening's best: keep it once.
        key = pairs.candidate * pool.n_openings + pairs.opening
        _unique, first = np.unique(key, return_index=True)
        pairs = _select(pairs, first)
    return pairs


# --- the pool proposal -----------------------------------------------------------------------


def assign(pairs: Pairs, seats: Sequence[int] | np.ndarray) -> list[tuple[int, int]]:
    """The best set of (candidate, opening) introductions: each candidate at most once, no
    opening beyond ``seats[opening]``, the summed score as high as possible.

    ``pairs`` must hold each (candidate, opening) at most once. Exact on the pairs given.
    """
    seats = np.asarray(seats, dtype=np.int64)
    if len(pairs) == 0:
        return []
    usable = seats[pairs.opening] > 0
    cand, op, score = pairs.candidate[usable], pairs.opening[usable], pairs.score[usable]
    if cand.size == 0:
        return []
    rows_of, row = np.unique(cand, return_inverse=True)
    # No opening needs more copies than it has candidates: that bounds the graph.
    degree = np.bincount(op, minlength=seats.size)
    copies = np.minimum(seats, degree)
    first_slot = np.concatenate([[0], np.cumsum(copies)])
    n_slots = int(first_slot[-1])
    repeat = copies[op]
    edge_row = np.repeat(row, repeat)
    offset = np.arange(int(repeat.sum())) - np.repeat(np.cumsum(repeat) - repeat, repeat)
    edge_col = np.repeat(first_slot[op], repeat) + offset
    edge_cost = np.repeat(_CEILING - score.astype(np.int64), repeat)
    n_rows = rows_of.size
    # Each candidate's private "not this round" column costs as much as a score of 0, so a
    # full matching always exists and leaving someone out is never cheaper than a real match.
    edge_row = np.concatenate([edge_row, np.arange(n_rows)])
    edge_col = np.concatenate([edge_col, n_slots + np.arange(n_rows)])
    edge_cost = np.concatenate([edge_cost, np.full(n_rows, _CEILING)])
    graph = sparse.csr_matrix(
        (edge_cost.astype(np.float64), (edge_row, edge_col)), shape=(n_rows, n_slots + n_rows)
    )
    matched_rows, matched_cols = min_weight_full_bipartite_matching(graph)
    real = matched_cols < n_slots
    slot_owner = np.repeat(np.arange(seats.size), copies)
    return sorted(
        zip(
            rows_of[matched_rows[real]].tolist(),
            slot_owner[matched_cols[real]].tolist(),
            strict=True,
        )
    )


def propose(
    candidates: Sequence[Candidate],
    openings: Sequence[Opening],
    *,
    per_candidate: int | None = None,
    per_opening: int | None = None,
) -> list[tuple[Candidate, Opening, int]]:
    """The pool proposal: (candidate, opening, score) introductions, best first."""
    pairs = eligible_pairs(
        candidates, openings, per_candidate=per_candidate, per_opening=per_opening
    )
    scores = {
        (int(c), int(o)): int(s)
        for c, o, s in zip(pairs.candidate, pairs.opening, pairs.score, strict=True)
    }
    chosen = assign(pairs, [o.seats for o in openings])
    out = [(candidates[c], openings[o], scores[(c, o)]) for c, o in chosen]
    out.sort(key=lambda row: -row[2])
    return out
