"""Jobs and retraining: the candidate's profile, matching, the pipeline and the public
figures (recording employers, openings and courses is in ``records``). Views, the demo and
commands call these; each owns its transaction and writes the audit event of a staff
action in it.

The sealed link, and what remains joinable:

* A profile carries no case id, code or public key. The candidate finds it by a tag only the
  case key can compute (``vault.jobs_keys.profile_owner_tag``). Re-keying a case changes the
  tag, so ``vault.keyring.rekey_case`` calls ``rekey_profile`` (its registered hook).
* The candidate's own actions (opt in, edit, withdraw, answer a course offer) write no audit
  event and keep only months, not days: the audit log's timestamps and the applicant's
  session rows (which name the case) would otherwise join the two.
* Accepting a course seat asks the ledger to commit the fee to the case. The ledger row then
  says "case X owes a course fee of N from day D"; if only one candidate takes a course with
  that fee and start, a copy of both apps' tables can join that case to that profile. The
  fund should know this before enabling the ledger link for small courses.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.cases.models import Case
from solidarity.jobs import keys, ledger_link, matching
from solidarity.jobs.forms import ProfileForm
from solidarity.jobs.models import (
    ACTIVE_STAGES,
    STAGE_ORDER,
    CandidateProfile,
    Enrolment,
    Field,
    Introduction,
    Opening,
    Placement,
    Stage,
)
from solidarity.jobs.roles import require_job_coach
from solidarity.vault import jobs_keys

# Above this many candidate × opening pairs the pool proposal keeps only each side's best
# pairs (bench/matching.py: 99.99 % of the exact summed score at 20,000 × 5,000).
EXACT_POOL_LIMIT = 2_000_000
POOL_BEST_PAIRS = 24


class JobsError(Exception):
    pass


class CaseNotVerifiedError(JobsError):
    """Only a verified case may create a job profile."""


class NoProfileError(JobsError):
    """This case has no job profile."""


class InvalidFormError(JobsError):
    """The input has errors; ``form`` carries them."""

    def __init__(self, form) -> None:
        super().__init__("invalid input")
        self.form = form


class OpeningClosedError(JobsError):
    """The opening is closed."""


class OpeningFullError(JobsError):
    """Every seat of the opening is taken by candidates in the pipeline or hired."""


class CandidateBusyError(JobsError):
    """The candidate is already in the pipeline for another opening."""


class AlreadyIntroducedError(JobsError):
    """The candidate was introduced to this opening before."""


class StageError(JobsError):
    """The introduction cannot move to that stage (or on that day)."""


class EnrolmentStateError(JobsError):
    """The course offer was answered already, or the seat was offered before."""


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


# --- the candidate's side (an unlocked receipt session) -----------------------------------------

# Only a verified case may opt in: the fund vouches for a candidate when it introduces them.
OPT_IN_STATUSES = frozenset({Case.Status.VERIFIED})
# Pseudonyms: no look-alike characters, so a coach can read one out on a call.
_PSEUDONYM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_PSEUDONYM_LENGTH = 6  # 31^6 ≈ 887 million: collisions are retried, never expected


def new_pseudonym() -> str:
    return "C-" + "".join(secrets.choice(_PSEUDONYM_ALPHABET) for _ in range(_PSEUDONYM_LENGTH))


def find_profile(case_private_key: bytes) -> CandidateProfile | None:
    """The job profile of the case whose private key this is, if it has one."""
    tag = jobs_keys.profile_owner_tag(case_private_key)
    return CandidateProfile.objects.filter(owner_tag=tag).first()


def may_opt_in(case: Case) -> bool:
    return case.status in OPT_IN_STATUSES


def profile_form(
    case_private_key: bytes, data=None, profile: CandidateProfile | None = None
) -> ProfileForm:
    """The profile form, filled from ``profile`` when editing."""
    initial = {}
    if profile is not None:
        initial = {
            name: getattr(profile, name)
            for name in (
                "field",
                "skills",
                "seniority",
                "languages",
                "education",
                "region",
                "relocate",
                "remote",
                "availability",
            )
        }
    return ProfileForm(
        data,
        initial=initial,
        contact_possible=keys.current_key() is not None,
        has_contact=bool(profile is not None and bytes(profile.contact_for_coaches_sealed)),
    )


def save_profile(case: Case, case_private_key: bytes, data) -> CandidateProfile:
    """Create or update the case's job profile from the candidate's form.

    Raises CaseNotVerifiedError (for a new profile of a case that is not verified) or
    InvalidFormError. Writes no audit event (see the module note).
    """
    tag = jobs_keys.profile_owner_tag(case_private_key)
    existing = CandidateProfile.objects.filter(owner_tag=tag).first()
    form = profile_form(case_private_key, data, existing)
    if not form.is_valid():
        raise InvalidFormError(form)
    if existing is None and not may_opt_in(case):
        raise CaseNotVerifiedError(case.status)
    cleaned = form.cleaned_data
    for _attempt in range(5):
        try:
            with transaction.atomic():
                profile = CandidateProfile.objects.select_for_update().filter(owner_tag=tag).first()
                if profile is None:
                    public_key, private_key_sealed = jobs_keys.create_profile_keys(
                        bytes(case.case_public_key)
                    )
                    profile = CandidateProfile(
                        owner_tag=tag,
                        pseudonym=new_pseudonym(),
                        profile_public_key=public_key,
                        profile_private_key_sealed=private_key_sealed,
                    )
                for name in (
                    "field",
                    "skills",
                    "seniority",
                    "languages",
                    "education",
                    "region",
                    "relocate",
                    "remote",
                    "availability",
                ):
                    setattr(profile, name, cleaned[name])
                profile.languages = sorted(cleaned["languages"])
                if cleaned.get("contact"):
                    profile.contact_for_coaches_sealed = keys.seal_text(
                        keys.current_key(), cleaned["contact"].strip()
                    )
                elif cleaned.get("remove_contact"):
                    profile.contact_for_coaches_sealed = b""
                profile.updated_on = first_of_month(timezone.localdate())
                profile.save()
                return profile
        except IntegrityError:
            continue  # a pseudonym collision: draw another
    raise JobsError("could not allocate a pseudonym")


@transaction.atomic
def withdraw_profile(case_private_key: bytes) -> bool:
    """Delete the case's job profile with its introductions and course offers. Hires stay
    counted (``Placement`` keeps the opening and the day, not the person). False if there
    was nothing to delete."""
    profile = find_profile(case_private_key)
    if profile is None:
        return False
    profile.delete()
    return True


@dataclass(frozen=True)
class StageStep:
    stage: str
    label: str
    on: datetime.date | None


@dataclass(frozen=True)
class CandidateIntroduction:
    id: int
    title: str
    field_label: str
    region_label: str
    remote: bool
    stage: str
    stage_label: str
    steps: list[StageStep]
    note: str
    active: bool


@dataclass(frozen=True)
class CandidateView:
    profile: CandidateProfile
    introductions: list[CandidateIntroduction]
    enrolments: list[Enrolment]


def _steps(intro: Introduction) -> list[StageStep]:
    steps = [StageStep(Stage.INTRODUCED, Stage.INTRODUCED.label, intro.introduced_on)]
    for stage, day in (
        (Stage.INTERVIEW, intro.interview_on),
        (Stage.OFFER, intro.offer_on),
        (Stage.HIRED, intro.hired_on),
    ):
        if day is not None:
            steps.append(StageStep(stage, stage.label, day))
    if intro.stage == Stage.NOT_HIRED:
        steps.append(StageStep(Stage.NOT_HIRED, Stage.NOT_HIRED.label, intro.ended_on))
    return steps


def candidate_view(case_private_key: bytes) -> CandidateView | None:
    """What the candidate sees on /status/jobs/: their profile, progress and course offers,
    with the coaches' notes opened through the case key."""
    profile = find_profile(case_private_key)
    if profile is None:
        return None
    profile_key = jobs_keys.open_profile_key(
        case_private_key, bytes(profile.profile_private_key_sealed)
    )
    introductions = []
    for intro in profile.introductions.select_related("opening").order_by("-id"):
        sealed = bytes(intro.note_for_candidate_sealed)
        note = jobs_keys.open_for_candidate(profile_key, sealed).decode("utf-8") if sealed else ""
        opening = intro.opening
        introductions.append(
            CandidateIntroduction(
                id=intro.pk,
                title=opening.title,
                field_label=opening.get_field_display(),
                region_label=opening.get_region_display(),
                remote=opening.remote,
                stage=intro.stage,
                stage_label=intro.get_stage_display(),
                steps=_steps(intro),
                note=note,
                active=intro.is_active,
            )
        )
    enrolments = list(profile.enrolments.select_related("start__course").order_by("-id"))
    return CandidateView(profile=profile, introductions=introductions, enrolments=enrolments)


def answer_enrolment(
    case: Case, case_private_key: bytes, enrolment_id: int, *, accept: bool
) -> Enrolment:
    """The candidate accepts or declines a course seat. Accepting asks the ledger to commit
    the fee to the case (``ledger_link``), in the same transaction.

    Raises NoProfileError, Enrolment.DoesNotExist (not this candidate's offer) or
    EnrolmentStateError.
    """
    profile = find_profile(case_private_key)
    if profile is None:
        raise NoProfileError()
    with transaction.atomic():
        enrolment = (
            Enrolment.objects.select_for_update()
            .select_related("start__course")
            .get(pk=enrolment_id, profile=profile)
        )
        if enrolment.status != Enrolment.Status.OFFERED:
            raise EnrolmentStateError(enrolment.status)
        if accept:
            course = enrolment.start.course
            enrolment.fee_committed = ledger_link.commit_course_fee(
                case,
                amount=course.fee,
                currency=course.currency,
                due_on=enrolment.start.starts_on,
                requested_by=enrolment.offered_by,
            )
            enrolment.status = Enrolment.Status.ACCEPTED
        else:
            enrolment.status = Enrolment.Status.DECLINED
        enrolment.answered_on = first_of_month(timezone.localdate())
        enrolment.save(update_fields=["status", "answered_on", "fee_committed"])
    return enrolment


# --- the case's keys -----------------------------------------------------------------------------


@transaction.atomic
def rekey_profile(
    old_case_private_key: bytes, new_case_private_key: bytes, new_case_public_key: bytes
) -> bool:
    """Follow a case's re-keying: the new key must find and open the profile. Registered as
    the jobs hook in ``vault.sealed_fields.CASE_REKEY_HOOKS``, so ``vault.keyring.rekey_case``
    calls it in its transaction. False if the case has no profile."""
    tag = jobs_keys.profile_owner_tag(old_case_private_key)
    profile = CandidateProfile.objects.select_for_update().filter(owner_tag=tag).first()
    if profile is None:
        return False
    profile.owner_tag = jobs_keys.profile_owner_tag(new_case_private_key)
    profile.profile_private_key_sealed = jobs_keys.reseal_profile_key(
        old_case_private_key, new_case_public_key, bytes(profile.profile_private_key_sealed)
    )
    profile.save(update_fields=["owner_tag", "profile_private_key_sealed"])
    return True


# --- matching -------------------------------------------------------------------------------------


def candidate_facts(profile: CandidateProfile) -> matching.Candidate:
    return matching.Candidate(
        key=profile.pk,
        skills=frozenset(profile.skills),
        languages=frozenset(profile.languages),
        region=profile.region,
        relocate=profile.relocate,
        remote=profile.remote,
        field=profile.field,
        seniority=profile.seniority,
    )


def opening_facts(opening: Opening, seats: int = 1) -> matching.Opening:
    return matching.Opening(
        key=opening.pk,
        required=frozenset(opening.required_skills),
        nice=frozenset(opening.nice_skills),
        languages=frozenset(opening.languages),
        region=opening.region,
        remote=opening.remote,
        field=opening.field,
        seniority=opening.seniority,
        seats=seats,
    )


def taken_seats(opening_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Seats held per opening: candidates in its pipeline plus everyone it hired."""
    intros = Introduction.objects.filter(stage__in=ACTIVE_STAGES)
    placements = Placement.objects.all()
    if opening_ids is not None:
        ids = list(opening_ids)
        intros = intros.filter(opening_id__in=ids)
        placements = placements.filter(opening_id__in=ids)
    taken: Counter[int] = Counter()
    for row in intros.values("opening_id").annotate(n=Count("id")):
        taken[row["opening_id"]] += row["n"]
    for row in placements.values("opening_id").annotate(n=Count("id")):
        taken[row["opening_id"]] += row["n"]
    return dict(taken)


def free_seats(openings: Iterable[Opening]) -> dict[int, int]:
    openings = list(openings)
    taken = taken_seats(o.pk for o in openings)
    return {o.pk: max(o.positions - taken.get(o.pk, 0), 0) for o in openings}


def available_profiles():
    """Profiles that may be introduced now: not in a pipeline, not hired."""
    busy = Introduction.objects.filter(Q(stage__in=ACTIVE_STAGES) | Q(stage=Stage.HIRED)).values(
        "profile_id"
    )
    return CandidateProfile.objects.exclude(pk__in=busy)


def _open_openings_with_seats() -> list[tuple[Opening, int]]:
    openings = list(Opening.objects.filter(status=Opening.Status.OPEN).order_by("-id"))
    seats = free_seats(openings)
    return [(o, seats[o.pk]) for o in openings if seats[o.pk] > 0]


def _introduced_pairs() -> set[tuple[int, int]]:
    return set(Introduction.objects.values_list("profile_id", "opening_id"))


def suggestions_for_candidate(
    profile: CandidateProfile, limit: int = 10
) -> list[tuple[Opening, matching.Match]]:
    """Open openings with a free seat, best first, without those already tried."""
    tried = set(profile.introductions.values_list("opening_id", flat=True))
    openings = [o for o, _seats in _open_openings_with_seats() if o.pk not in tried]
    by_key = {o.pk: o for o in openings}
    ranked = matching.rank_openings(
        candidate_facts(profile), [opening_facts(o) for o in openings], limit
    )
    return [(by_key[facts.key], match) for facts, match in ranked]


def suggestions_for_opening(
    opening: Opening, limit: int = 20
) -> list[tuple[CandidateProfile, matching.Match]]:
    """Available candidates for an opening, best first, without those already introduced."""
    tried = set(opening.introductions.values_list("profile_id", flat=True))
    profiles = [p for p in available_profiles().order_by("id") if p.pk not in tried]
    by_key = {p.pk: p for p in profiles}
    ranked = matching.rank_candidates(
        opening_facts(opening), [candidate_facts(p) for p in profiles], limit
    )
    return [(by_key[facts.key], match) for facts, match in ranked]


@dataclass(frozen=True)
class Proposal:
    profile: CandidateProfile
    opening: Opening
    match: matching.Match


def propose_pool() -> list[Proposal]:
    """Introductions for the whole pool: each available candidate to at most one opening, no
    opening beyond its free seats, the summed score as high as possible (``matching``)."""
    profiles = list(available_profiles().order_by("id"))
    with_seats = _open_openings_with_seats()
    if not profiles or not with_seats:
        return []
    candidates = [candidate_facts(p) for p in profiles]
    openings = [opening_facts(o, seats) for o, seats in with_seats]
    exact = len(candidates) * len(openings) <= EXACT_POOL_LIMIT
    limit = None if exact else POOL_BEST_PAIRS
    pairs = matching.eligible_pairs(candidates, openings, per_candidate=limit, per_opening=limit)
    tried = _introduced_pairs()
    if tried and len(pairs):
        fresh = [
            (profiles[c].pk, with_seats[o][0].pk) not in tried
            for c, o in zip(pairs.candidate.tolist(), pairs.opening.tolist(), strict=True)
        ]
        pairs = matching.Pairs(*(array[fresh] for array in pairs))
    chosen = matching.assign(pairs, [o.seats for o in openings])
    proposals = []
    for c, o in chosen:
        match = matching.score_pair(candidates[c], openings[o])
        proposals.append(Proposal(profiles[c], with_seats[o][0], match))
    proposals.sort(key=lambda p: (-p.match.score, p.profile.pk))
    return proposals


def reasons_to_json(reasons: Iterable[matching.Reason]) -> list:
    return json.loads(json.dumps([list(r) for r in reasons]))


def reasons_from_json(rows: Iterable) -> list[matching.Reason]:
    return [matching.Reason(kind, good, tuple(values)) for kind, good, values in rows]


# --- the pipeline ----------------------------------------------------------------------------------


def introduce(profile: CandidateProfile, opening: Opening, *, by, note: str = "") -> Introduction:
    """Introduce a candidate to an opening, with the score and reasons of the moment.

    Raises NotAllowedError, OpeningClosedError, OpeningFullError, CandidateBusyError or
    AlreadyIntroducedError.
    """
    require_job_coach(by)
    try:
        with transaction.atomic():
            # Lock the opening row: two coaches must not both take its last seat.
            opening = Opening.objects.select_for_update().get(pk=opening.pk)
            profile = CandidateProfile.objects.select_for_update().get(pk=profile.pk)
            if opening.status != Opening.Status.OPEN:
                raise OpeningClosedError(opening.pk)
            if free_seats([opening])[opening.pk] < 1:
                raise OpeningFullError(opening.pk)
            if profile.introductions.filter(stage__in=ACTIVE_STAGES).exists():
                raise CandidateBusyError(profile.pseudonym)
            if profile.introductions.filter(opening=opening).exists():
                raise AlreadyIntroducedError(profile.pseudonym)
            match = matching.score_pair(candidate_facts(profile), opening_facts(opening))
            note = note.strip()
            intro = Introduction.objects.create(
                profile=profile,
                opening=opening,
                score=match.score if match else 0,
                reasons=reasons_to_json(match.reasons if match else ()),
                introduced_on=timezone.localdate(),
                note_for_candidate_sealed=(
                    jobs_keys.seal_for_candidate(
                        bytes(profile.profile_public_key), note.encode("utf-8")
                    )
                    if note
                    else b""
                ),
                created_by=by,
            )
            audit.record(
                "jobs.introduced",
                actor=by,
                subject=f"profile:{profile.pseudonym}",
                opening=opening.pk,
                score=intro.score,
            )
            return intro
    except IntegrityError:
        # The database's own rule (one active introduction per candidate) caught a race.
        raise CandidateBusyError(profile.pseudonym) from None


def introduce_proposals(pairs: Iterable[tuple[int, int]], *, by) -> tuple[list[Introduction], int]:
    """Introduce the (profile id, opening id) pairs a coach ticked in the pool proposal.
    Pairs that no longer fit (taken seat, busy candidate, withdrawn profile) are skipped.
    Returns the introductions made and how many were skipped."""
    require_job_coach(by)
    made, skipped = [], 0
    for profile_id, opening_id in pairs:
        profile = CandidateProfile.objects.filter(pk=profile_id).first()
        opening = Opening.objects.filter(pk=opening_id).first()
        if profile is None or opening is None:
            skipped += 1
            continue
        try:
            made.append(introduce(profile, opening, by=by))
        except (OpeningClosedError, OpeningFullError, CandidateBusyError, AlreadyIntroducedError):
            skipped += 1
    return made, skipped


_STAGE_DAY = {
    Stage.INTERVIEW: "interview_on",
    Stage.OFFER: "offer_on",
    Stage.HIRED: "hired_on",
    Stage.NOT_HIRED: "ended_on",
}


def move_stage(
    introduction: Introduction,
    stage: str,
    *,
    by,
    on: datetime.date | None = None,
    note: str | None = None,
) -> Introduction:
    """Move an introduction forward (introduced → interview → offer → hired), or end it as
    not hired, on a day. A hire is counted for the public figures (``Placement``) and fills
    the opening's last seat by closing it.

    Raises NotAllowedError or StageError (backwards, from a final stage, a day in the future
    or before the introduction).
    """
    require_job_coach(by)
    stage = Stage(stage)
    on = on or timezone.localdate()
    with transaction.atomic():
        intro = (
            Introduction.objects.select_for_update()
            .select_related("opening", "profile")
            .get(pk=introduction.pk)
        )
        if not intro.is_active or stage == Stage.INTRODUCED:
            raise StageError(intro.stage)
        if STAGE_ORDER[stage] <= STAGE_ORDER[Stage(intro.stage)]:
            raise StageError(f"{intro.stage} to {stage}")
        if on > timezone.localdate() or on < intro.introduced_on:
            raise StageError("day out of range")
        intro.stage = stage
        setattr(intro, _STAGE_DAY[stage], on)
        if note is not None and note.strip():
            intro.note_for_candidate_sealed = jobs_keys.seal_for_candidate(
                bytes(intro.profile.profile_public_key), note.strip().encode("utf-8")
            )
        intro.save()
        if stage == Stage.HIRED:
            opening = Opening.objects.select_for_update().get(pk=intro.opening_id)
            Placement.objects.create(
                introduction=intro, opening=opening, field=opening.field, placed_on=on
            )
            if opening.placements.count() >= opening.positions:
                opening.status = Opening.Status.CLOSED
                opening.save(update_fields=["status"])
        audit.record(
            "jobs.stage_changed",
            actor=by,
            subject=f"profile:{intro.profile.pseudonym}",
            opening=intro.opening_id,
            stage=stage.value,
            on=on.isoformat(),
        )
    return intro


# --- figures --------------------------------------------------------------------------------------


def placements_by_field() -> dict[str, int]:
    """People placed in jobs, by field (every field, zeros included), for the transparency
    page, which applies its own small-count suppression. Survives withdrawn profiles."""
    counts = {value: 0 for value in Field.values}
    for row in Placement.objects.values("field").annotate(n=Count("id")):
        counts[row["field"]] = row["n"]
    return counts


def public_placements() -> list[tuple[datetime.date, str]]:
    """(day, opaque id) of every hire, as ``transparency.services.job_events`` reads them."""
    return [
        (day, f"placement:{pk}") for pk, day in Placement.objects.values_list("pk", "placed_on")
    ]


@dataclass(frozen=True)
class Overview:
    profiles: int
    available: int
    open_openings: int
    free_seats: int
    in_pipeline: int
    placed: int
    by_field: dict[str, int]


def overview() -> Overview:
    openings = list(Opening.objects.filter(status=Opening.Status.OPEN))
    return Overview(
        profiles=CandidateProfile.objects.count(),
        available=available_profiles().count(),
        open_openings=len(openings),
        free_seats=sum(free_seats(openings).values()),
        in_pipeline=Introduction.objects.filter(stage__in=ACTIVE_STAGES).count(),
        placed=Placement.objects.count(),
        by_field=placements_by_field(),
    )
