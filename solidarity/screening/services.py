"""Screening cases, run only inside an unlocked coordinator session.

Everything here that reads identity data takes the coordinator and their unlocked staff
key, opens the intake key with it, and from the intake key the screening key: nothing that
can read a case or compute a keyed hash exists outside such a call. Entry points:

* ``import_abuser_list`` / ``read_abuser_list``: the fund's list, sealed entry by entry.
* ``screen_pending_cases``: the "screen new cases" action and the ``screen`` command. It
  works in batches through cases never screened, screened with an older key or index
  format, or not yet compared with the newest entries of the list.
* ``screen_case``: the same for one case, from its page.
* ``decide_flag``: a coordinator confirms, clears or reopens a flag.

Why lazily and not at intake: intake runs without any unlocked session (an applicant
submits at 3 a.m.), and the only keys it has are public ones. Hashing a phone number at
intake would need the screening key in server memory or configuration, which is exactly
what a seized server must not hold. So a new case is indexed the first time a coordinator
runs screening; until then it shows "not screened" on its page and in the counts, and the
verification checklist should require screening before a case is verified.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from solidarity.audit import services as audit
from solidarity.cases import sealed
from solidarity.cases.models import Case
from solidarity.screening import abuser_csv, names, stories, translit
from solidarity.screening.models import (
    AbuserEntry,
    AbuserImport,
    CaseFlag,
    CaseScreening,
    IdentifierDigest,
    ScreeningKey,
    StoryBand,
)
from solidarity.vault import core, keyring, screening_keys
from solidarity.vault.models import Organisation

log = logging.getLogger(__name__)

# Cases per "screen new cases" click. Measured: 10-30 ms a case with a 400-name list (name
# matching dominates), so a click answers within about three seconds.
BATCH_SIZE = 100
# A candidate story whose estimated similarity is this far below the threshold is still
# compared exactly (the MinHash estimate with 128 values has a standard error of ~0.04).
ESTIMATE_MARGIN = 0.1
# Answers searched for listed names. The form has no name field yet (docs/screening.md
# proposes one); a messenger handle often carries a name ("a_lukashenko") and stories name
# commanders and colleagues.
NAME_SOURCES = ("full_name", "name", "contact_handle", "story")
SERVICE_NUMBER_ANSWER = "service_number"
# A listed number is looked for inside free text only from this length: shorter ones occur
# by chance in dates and sums.
MIN_NUMBER_IN_TEXT = 5


class ScreeningError(Exception):
    pass


class ScreeningRefusedError(ScreeningError):
    """Not a coordinator holding the intake key, with that key unlocked in this session."""


class FlagStateError(ScreeningError):
    """The flag is already in the state asked for."""


AbuserListError = abuser_csv.AbuserListError


# --- the unlocked session's keys, in memory only ---------------------------------------------


@dataclass
class _Keys:
    user: object
    intake_private_key: bytes
    key_row: ScreeningKey
    identifiers: bytes
    shingle_hash: stories.Hash32
    bands: bytes
    abuser: bytes


def _open_intake(user, staff_private_key: bytes | None) -> bytes:
    """The intake private key, for a coordinator in an unlocked session. Raises
    ScreeningRefusedError (and audits the refusal) for anyone else."""
    allowed = (
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_coordinator", False)
        and getattr(user, "revoked_at", None) is None
        and staff_private_key is not None
        and keyring.has_intake_access(user)
    )
    if allowed:
        try:
            return keyring.open_intake_key(user, staff_private_key)
        except core.VaultError:
            pass
    actor = user if getattr(user, "is_authenticated", False) else None
    audit.record("screening.refused", actor=actor)
    raise ScreeningRefusedError("screening needs an unlocked coordinator session")


def _unlock(user, staff_private_key: bytes | None) -> _Keys:
    """Every key a screening run needs. Raises ScreeningRefusedError."""
    intake_private_key = _open_intake(user, staff_private_key)
    key_row = _current_key()
    try:
        screening_key = screening_keys.open_screening_key(key_row.key_sealed, intake_private_key)
    except core.VaultError:
        # Sealed to another intake key: fail closed rather than make a second key that
        # would silently split the index.
        raise ScreeningRefusedError(
            "the screening key does not open with this intake key"
        ) from None
    shingles_key = screening_keys.subkey(screening_key, screening_keys.STORY_SHINGLES)
    return _Keys(
        user=user,
        intake_private_key=intake_private_key,
        key_row=key_row,
        identifiers=screening_keys.subkey(screening_key, screening_keys.IDENTIFIERS),
        shingle_hash=screening_keys.shingle_hasher(shingles_key),
        bands=screening_keys.subkey(screening_key, screening_keys.STORY_BANDS),
        abuser=screening_keys.subkey(screening_key, screening_keys.ABUSER_ENTRIES),
    )


def _current_key() -> ScreeningKey:
    row = ScreeningKey.objects.order_by("-id").first()
    if row is not None:
        return row
    with transaction.atomic():
        # The organisation row serialises the first creation: two coordinators starting
        # screening at once must not make two keys.
        Organisation.objects.select_for_update().order_by("id").first()
        row = ScreeningKey.objects.order_by("-id").first()
        if row is None:
            _key, key_sealed = screening_keys.new_screening_key(keyring.intake_public_key())
            row = ScreeningKey.objects.create(
                key_sealed=key_sealed, created_on=timezone.localdate()
            )
    return row


def check_access(user, staff_private_key: bytes | None) -> None:
    """Raise ScreeningRefusedError unless this session may screen (views use it up front)."""
    _open_intake(user, staff_private_key)


# --- the abuser list -------------------------------------------------------------------------


def import_abuser_list(
    user, staff_private_key: bytes, data: bytes, *, replace: bool
) -> AbuserImport:
    """Seal every person of a CSV file into the list; all or nothing.

    Raises ScreeningRefusedError, or AbuserListError (nothing stored) for a bad file.
    ``replace`` drops the entries of earlier imports in the same transaction; flags they
    raised stay, with their sealed details, for the coordinators to decide.
    """
    _open_intake(user, staff_private_key)
    try:
        people = abuser_csv.parse_abuser_csv(data)
    except AbuserListError as exc:
        audit.record("screening.abuser_list_rejected", actor=user, problems=len(exc.problems))
        raise
    intake_public_key = keyring.intake_public_key()
    with transaction.atomic():
        if replace:
            AbuserEntry.objects.all().delete()
        batch = AbuserImport.objects.create(
            imported_on=timezone.localdate(),
            imported_by=user,
            entry_count=len(people),
            replaced_previous=replace,
        )
        AbuserEntry.objects.bulk_create(
            AbuserEntry(batch=batch, entry_sealed=_seal(intake_public_key, person.as_dict()))
            for person in people
        )
        audit.record(
            "screening.abuser_list_imported", actor=user, entries=len(people), replaced=replace
        )
    return batch


def _seal(intake_public_key: bytes, document: dict) -> bytes:
    """For the coordinators alone: a JSON document sealed to the intake key."""
    return core.seal_to(intake_public_key, json.dumps(document, ensure_ascii=False).encode())


def _open(intake_private_key: bytes, sealed_bytes: bytes) -> dict:
    return json.loads(core.open_sealed(intake_private_key, bytes(sealed_bytes)).decode("utf-8"))


def read_abuser_list(user, staff_private_key: bytes) -> list[dict]:
    """The decrypted list, for the coordinator's list page (audited). Raises ScreeningRefusedError."""
    intake_private_key = _open_intake(user, staff_private_key)
    entries = [
        {"id": e.id, "batch": e.batch_id, **_open(intake_private_key, e.entry_sealed)}
        for e in AbuserEntry.objects.all()
    ]
    audit.record("screening.abuser_list_viewed", actor=user, entries=len(entries))
    return entries


def abuser_revision() -> int:
    """The newest import's id: cases screened at a lower revision still have entries to meet."""
    return AbuserImport.objects.aggregate(n=Max("id"))["n"] or 0


# --- what is compared, taken from a case's answers -----------------------------------------


def case_identifiers(answers: dict) -> set[tuple[str, str]]:
    """(kind, normalised value) of every identifier in the answers; kinds are CaseFlag.Reason."""
    out: set[tuple[str, str]] = set()
    number = translit.identifier(str(answers.get(SERVICE_NUMBER_ANSWER) or ""))
    low, high = abuser_csv.SERVICE_NUMBER_LENGTH
    if low <= len(number) <= high:
        out.add((CaseFlag.Reason.SERVICE_NUMBER, number))
    handle = str(answers.get("contact_handle") or "").strip()
    kind = answers.get("contact_kind")
    if handle and kind == "telegram":
        out.add((CaseFlag.Reason.TELEGRAM_HANDLE, translit.handle(handle)))
    elif handle and kind == "signal":
        number_like = re.fullmatch(r"[+0-9 ()\-]+", handle)
        phone = translit.phone(handle) if number_like else ""
        if phone:
            out.add((CaseFlag.Reason.PHONE, phone))
        else:
            out.add((CaseFlag.Reason.SIGNAL_USERNAME, translit.handle(handle)))
    chat = answers.get("telegram_chat_id")
    if isinstance(chat, int) and not isinstance(chat, bool):
        out.add((CaseFlag.Reason.TELEGRAM_CHAT, str(chat)))
    return out


def numbers_in_text(text: str) -> set[str]:
    """Service-number-like strings in free text, also when split by a space or dash."""
    parts = [translit.identifier(p) for p in re.findall(r"\w+", text)]
    out = set()
    for size in (1, 2, 3):
        for i in range(len(parts) - size + 1):
            joined = "".join(parts[i : i + size])
            if len(joined) >= MIN_NUMBER_IN_TEXT and any(c.isdigit() for c in joined):
                out.add(joined)
    return out


def _unit_matches(unit: str, employer: str) -> bool:
    unit_words = set(stories.sentence_stems(unit))
    employer_words = set(stories.sentence_stems(employer))
    return bool(unit_words) and len(unit_words & employer_words) * 2 >= len(unit_words)


# --- screening -------------------------------------------------------------------------------


@dataclass
class RunReport:
    screened: int = 0
    remaining: int = 0
    unreadable: int = 0
    flags: Counter = field(default_factory=Counter)
    last_case_id: int = 0

    @property
    def flags_raised(self) -> int:
        return sum(self.flags.values())


def pending_cases(key_row: ScreeningKey | None = None, revision: int | None = None):
    """Cases that screening has not fully done: never screened, screened with an older key
    or index format, or not yet compared with the newest entries of the list."""
    key_row = key_row or ScreeningKey.objects.order_by("-id").first()
    revision = abuser_revision() if revision is None else revision
    stale = Q(screening__isnull=True) | Q(screening__abuser_revision__lt=revision)
    stale |= ~Q(screening__index_version=stories.INDEX_VERSION)
    if key_row is not None:
        stale |= ~Q(screening__key=key_row)
    return Case.objects.filter(stale).order_by("id")


def pending_count() -> int:
    return pending_cases().count()


class _Screener:
    """One run: the keys, the list opened once, and the flags it raises."""

    def __init__(self, keys: _Keys) -> None:
        self.keys = keys
        self.revision = abuser_revision()
        self.today = timezone.localdate()
        self.intake_public_key = keyring.intake_public_key()
        self.report = RunReport()
        self._entries: list[tuple[int, int, dict]] | None = None
        self._people: dict[int, dict] = {}
        self._matchers: dict[int, tuple[names.NameMatcher, dict[str, list[int]]]] = {}

    # The list is decrypted once per run, and a matcher is built per "entries newer than"
    # revision, so a case needs to meet only the entries it has not met yet.
    def _listed(self) -> list[tuple[int, int, dict]]:
        if self._entries is None:
            self._entries = [
                (e.id, e.batch_id, _open(self.keys.intake_private_key, e.entry_sealed))
                for e in AbuserEntry.objects.all()
            ]
            self._people = {entry_id: person for entry_id, _batch, person in self._entries}
        return self._entries

    def _matcher(self, after_revision: int):
        if after_revision not in self._matchers:
            listed = [(i, p) for i, batch, p in self._listed() if batch > after_revision]
            names_ = []
            numbers: dict[str, list[int]] = {}
            for entry_id, person in listed:
                if person.get("name"):
                    try:
                        names_.append(names.listed_name(entry_id, person["name"]))
                    except names.NameTooWeakError:
                        pass  # checked at import; a row from an older format is skipped
                number = translit.identifier(person.get("service_number") or "")
                if number:
                    numbers.setdefault(number, []).append(entry_id)
            self._matchers[after_revision] = (names.NameMatcher(names_), numbers)
        return self._matchers[after_revision]

    def open_answers(self, case: Case) -> dict | None:
        try:
            # keyring also tries intake keys retired by a rotation a re-key job has not finished.
            case_key = keyring.open_case_key_with_intake(case, self.keys.intake_private_key)
            return sealed.open_json(case_key, case.answers_sealed)
        except (core.VaultError, ValueError):
            return None

    def screen(self, case: Case) -> None:
        self.report.last_case_id = case.id
        answers = self.open_answers(case)
        if answers is None:
            # Altered or foreign ciphertext: leave the case pending and say so, never guess.
            log.warning("screening skipped a case whose answers do not open")
            self.report.unreadable += 1
            return
        try:
            self._screen_opened(case, answers)
        except IntegrityError:
            # Another coordinator screened this case at the same moment: theirs stands, and
            # this run leaves it to them rather than fail the whole batch.
            log.info("screening skipped a case being screened concurrently")
            return
        self.report.screened += 1

    def _screen_opened(self, case: Case, answers: dict) -> None:
        row = CaseScreening.objects.filter(case=case).first()
        with transaction.atomic():
            index_current = (
                row is not None
                and row.key_id == self.keys.key_row.id
                and row.index_version == stories.INDEX_VERSION
            )
            signature = bytes(row.story_signature_keyed) if index_current else b""
            if not index_current:
                self._index_identifiers(case, answers)
                signature = self._index_story(case, answers)
            met = row.abuser_revision if row is not None else 0
            if self.revision > met:
                self._match_list(case, answers, met)
            CaseScreening.objects.update_or_create(
                case=case,
                defaults={
                    "key": self.keys.key_row,
                    "index_version": stories.INDEX_VERSION,
                    "abuser_revision": self.revision,
                    "story_signature_keyed": signature,
                    "screened_on": self.today,
                },
            )

    # (b) the same identifier in several cases
    def _index_identifiers(self, case: Case, answers: dict) -> None:
        digests = {
            screening_keys.identifier_digest(self.keys.identifiers, kind, value): kind
            for kind, value in case_identifiers(answers)
        }
        IdentifierDigest.objects.filter(case=case).delete()
        IdentifierDigest.objects.bulk_create(
            IdentifierDigest(case=case, kind=kind, digest=digest)
            for digest, kind in digests.items()
        )
        others = (
            IdentifierDigest.objects.filter(digest__in=digests)
            .exclude(case=case)
            .select_related("case")
        )
        for other in others:
            self._flag_pair(
                case,
                other.case,
                CaseFlag.Kind.DUPLICATE_IDENTIFIER,
                other.kind,
                f"ident:{other.kind}",
            )

    # (c) near-duplicate stories
    def _index_story(self, case: Case, answers: dict) -> bytes:
        StoryBand.objects.filter(case=case).delete()
        sketch = stories.sketch(str(answers.get("story") or ""))
        if not sketch.comparable:
            return b""
        signature = stories.signature_bytes(sketch.shingles, self.keys.shingle_hash)
        bands = [
            screening_keys.band_digest(self.keys.bands, band)
            for band in stories.bands(sketch.vocabulary, self.keys.shingle_hash)
        ]
        candidates = set(
            StoryBand.objects.filter(band__in=bands)
            .exclude(case=case)
            .values_list("case_id", flat=True)
        )
        if candidates:
            stored = CaseScreening.objects.filter(
                case_id__in=candidates,
                key=self.keys.key_row,
                index_version=stories.INDEX_VERSION,
            ).select_related("case")
            for other in stored:
                estimate = stories.estimate(signature, bytes(other.story_signature_keyed))
                if estimate < stories.DEFAULT_THRESHOLD - ESTIMATE_MARGIN:
                    continue
                # Close enough to look: compare the two stories exactly, in memory.
                other_answers = self.open_answers(other.case)
                if other_answers is None:
                    continue
                other_sketch = stories.sketch(str(other_answers.get("story") or ""))
                score = round(stories.jaccard(sketch.shingles, other_sketch.shingles), 3)
                if score >= stories.DEFAULT_THRESHOLD:
                    self._flag_pair(
                        case,
                        other.case,
                        CaseFlag.Kind.DUPLICATE_STORY,
                        CaseFlag.Reason.STORY,
                        "story",
                        score=score,
                    )
        StoryBand.objects.bulk_create(StoryBand(case=case, band=band) for band in set(bands))
        return signature

    def _flag_pair(
        self, case: Case, other: Case, kind: str, reason: str, what: str, *, score=None
    ) -> None:
        for this, that in ((case, other), (other, case)):
            self._raise(
                this,
                kind=kind,
                reason=reason,
                fingerprint=f"{what}:{that.code}",
                explanation=_explain_pair(kind, reason, that.code, score),
                related_case=that,
                score=score,
            )

    # (a) the abuser list
    def _match_list(self, case: Case, answers: dict, met_revision: int) -> None:
        matcher, numbers = self._matcher(met_revision)
        employer = str(answers.get("employer") or "")
        hits: dict[int, dict] = {}
        own_number = translit.identifier(str(answers.get(SERVICE_NUMBER_ANSWER) or ""))
        for entry_id in numbers.get(own_number, []) if own_number else []:
            hits[entry_id] = {
                "source": SERVICE_NUMBER_ANSWER,
                "reason": CaseFlag.Reason.SERVICE_NUMBER,
                "score": 1.0,
            }
        free_text_numbers = numbers_in_text(str(answers.get("story") or ""))
        for number, entry_ids in numbers.items():
            if len(number) >= MIN_NUMBER_IN_TEXT and number in free_text_numbers:
                for entry_id in entry_ids:
                    hits.setdefault(
                        entry_id,
                        {"source": "story", "reason": CaseFlag.Reason.SERVICE_NUMBER, "score": 1.0},
                    )
        if matcher.names:
            for source in NAME_SOURCES:
                text = answers.get(source)
                if not isinstance(text, str) or not text.strip():
                    continue
                for hit in matcher.find(text, handle=source == "contact_handle"):
                    known = hits.get(hit.entry)
                    if known is None or known["score"] < hit.score:
                        hits[hit.entry] = {
                            "source": source,
                            "reason": CaseFlag.Reason.NAME,
                            "score": hit.score,
                            "found": hit.words,
                        }
        for entry_id, hit in hits.items():
            person = self._people[entry_id]
            unit_too = bool(person.get("unit")) and _unit_matches(person["unit"], employer)
            detail = {"entry": person, "source": hit["source"], "unit_matches": unit_too}
            self._raise(
                case,
                kind=CaseFlag.Kind.ABUSER_MATCH,
                reason=hit["reason"],
                source=hit["source"],
                fingerprint=f"{self._entry_fingerprint(person)}:{hit['reason']}",
                explanation=_explain_abuser(hit["reason"], hit["source"], hit["score"], unit_too),
                score=hit["score"],
                detail=detail,
                found=hit.get("found", ""),
            )

    def _entry_fingerprint(self, person: dict) -> str:
        # Keyed, and made of the name and number rather than the row id, so re-importing the
        # same person (a replaced list) does not raise a hit a coordinator already cleared.
        name = " ".join(translit.words(person.get("name") or ""))
        number = translit.identifier(person.get("service_number") or "")
        digest = screening_keys.identifier_digest(self.keys.abuser, "abuser", f"{name}\x00{number}")
        return f"abuser:{digest}"

    def _raise(self, case: Case, *, detail: dict | None = None, found: str = "", **fields) -> None:
        # What was listed goes to the intake key; the applicant's own words that matched go
        # to the case key, so that shredding the case shreds them and a re-key moves them.
        detail_sealed = _seal(self.intake_public_key, detail) if detail else b""
        found_sealed = (
            sealed.seal_json(bytes(case.case_public_key), {"found": found}) if found else b""
        )
        _flag, created = CaseFlag.objects.get_or_create(
            case=case,
            fingerprint=fields.pop("fingerprint"),
            defaults={
                **fields,
                "detail_sealed": detail_sealed,
                "found_sealed": found_sealed,
                "created_on": self.today,
            },
        )
        if created:
            self.report.flags[fields["kind"]] += 1


_SOURCE_NAMES = {
    "story": "the story",
    "contact_handle": "the contact handle",
    "full_name": "the name",
    "name": "the name",
    SERVICE_NUMBER_ANSWER: "the service number",
}


# The stored explanation is English, for the record (exports, the audit trail, the CLI);
# the console shows CaseFlag.describe() in the reader's language.
_REASON_NAMES = {
    CaseFlag.Reason.SERVICE_NUMBER: "service number",
    CaseFlag.Reason.PHONE: "phone number",
    CaseFlag.Reason.TELEGRAM_HANDLE: "Telegram username",
    CaseFlag.Reason.SIGNAL_USERNAME: "Signal username",
    CaseFlag.Reason.TELEGRAM_CHAT: "Telegram account (bot chat)",
}


def _explain_pair(kind: str, reason: str, other_code: str, score: float | None) -> str:
    """The clear explanation: the kind of match and the other case's code, nothing else."""
    if kind == CaseFlag.Kind.DUPLICATE_STORY:
        return f"Story similar to case {other_code}'s (similarity {score:.2f})."
    return f"Same {_REASON_NAMES[reason]} as case {other_code}."


def _explain_abuser(reason: str, source: str, score: float, unit_too: bool) -> str:
    where = _SOURCE_NAMES.get(source, "the answers")
    if reason == CaseFlag.Reason.SERVICE_NUMBER and source == SERVICE_NUMBER_ANSWER:
        text = "The service number matches an entry of the abuser list."
    elif reason == CaseFlag.Reason.SERVICE_NUMBER:
        text = f"A service number in {where} matches an entry of the abuser list."
    else:
        text = f"A name in {where} resembles an entry of the abuser list (similarity {score:.2f})."
    return text + (" The unit matches too." if unit_too else "")


def screen_pending_cases(
    user, staff_private_key: bytes, *, limit: int = BATCH_SIZE, after_id: int = 0
) -> RunReport:
    """Screen up to ``limit`` pending cases (oldest first, from ``after_id``). Audited once.

    Raises ScreeningRefusedError. Each case is committed on its own, so an interrupted run
    loses nothing and the next one continues where this stopped.
    """
    keys = _unlock(user, staff_private_key)
    screener = _Screener(keys)
    batch = list(pending_cases(keys.key_row, screener.revision).filter(id__gt=after_id)[:limit])
    report = screener.report
    try:
        for case in batch:
            screener.screen(case)
        report.remaining = pending_cases(keys.key_row, screener.revision).count()
    finally:
        # Each case commits on its own, so even an interrupted run is recorded.
        audit.record(
            "screening.run",
            actor=user,
            screened=report.screened,
            unreadable=report.unreadable,
            flags=dict(report.flags),
            remaining=report.remaining,
        )
    return report


def screen_case(user, staff_private_key: bytes, case: Case) -> RunReport:
    """Screen one case now, from its page. Raises ScreeningRefusedError. Audited."""
    keys = _unlock(user, staff_private_key)
    screener = _Screener(keys)
    screener.screen(case)
    report = screener.report
    audit.record("screening.case_screened", actor=user, subject=case.code, flags=dict(report.flags))
    return report


def screening_status(case: Case) -> str:
    """One of "not_screened", "flagged" (open flags) or "clear", for the verification checklist.

    A case screened before the newest list import counts as not screened: it has not met
    every listed person yet.
    """
    if pending_cases().filter(id=case.id).exists():
        return "not_screened"
    if case.flags.filter(state=CaseFlag.State.OPEN).exists():
        return "flagged"
    return "clear"


# --- flags -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagView:
    flag: CaseFlag
    detail: dict


def case_flags(user, staff_private_key: bytes, case: Case) -> list[FlagView]:
    """The case's flags with their sealed details opened. Raises ScreeningRefusedError."""
    intake_private_key = _open_intake(user, staff_private_key)
    out = []
    case_key: bytes | None = None
    for flag in case.flags.select_related("related_case", "decided_by"):
        detail = {}
        # A detail that does not open is shown as missing, never guessed at.
        try:
            if flag.detail_sealed:
                detail = _open(intake_private_key, flag.detail_sealed)
            if flag.found_sealed:
                case_key = case_key or keyring.open_case_key_with_intake(case, intake_private_key)
                detail["found"] = sealed.open_json(case_key, flag.found_sealed).get("found", "")
        except (core.VaultError, ValueError):
            pass
        out.append(FlagView(flag=flag, detail=detail))
    return out


# decision → (new state, audit action)
_DECISIONS = {
    "confirm": (CaseFlag.State.CONFIRMED, "screening.flag_confirmed"),
    "clear": (CaseFlag.State.CLEARED, "screening.flag_cleared"),
    "reopen": (CaseFlag.State.OPEN, "screening.flag_reopened"),
}


def decide_flag(user, staff_private_key: bytes, flag_id: int, decision: str) -> CaseFlag:
    """Confirm, clear or reopen a flag (audited). Raises ScreeningRefusedError,
    FlagStateError, CaseFlag.DoesNotExist, or ValueError for an unknown decision."""
    if decision not in _DECISIONS:
        raise ValueError("unknown decision")
    _open_intake(user, staff_private_key)
    with transaction.atomic():
        flag = CaseFlag.objects.select_for_update().select_related("case").get(pk=flag_id)
        state, action = _DECISIONS[decision]
        if flag.state == state:
            raise FlagStateError(flag.state)
        flag.state = state
        flag.decided_by = user if state != CaseFlag.State.OPEN else None
        flag.decided_on = timezone.localdate() if state != CaseFlag.State.OPEN else None
        flag.save(update_fields=["state", "decided_by", "decided_on"])
        audit.record(action, actor=user, subject=flag.case.code, flag=flag.id, kind=flag.kind)
    return flag


# --- the console's overview: clear columns only ---------------------------------------------


@dataclass(frozen=True)
class Overview:
    entries: int
    imports: list[AbuserImport]
    pending: int
    open_flags: dict[str, int]
    recent_flags: list[CaseFlag]


def overview(*, recent: int = 50) -> Overview:
    """Counts and the newest open flags, from clear columns: needs no key."""
    open_flags = {value: 0 for value, _label in CaseFlag.Kind.choices}
    rows = CaseFlag.objects.filter(state=CaseFlag.State.OPEN).values("kind").annotate(n=Count("id"))
    open_flags.update({row["kind"]: row["n"] for row in rows})
    return Overview(
        entries=AbuserEntry.objects.count(),
        imports=list(AbuserImport.objects.select_related("imported_by").order_by("-id")[:5]),
        pending=pending_count(),
        open_flags=open_flags,
        recent_flags=list(
            CaseFlag.objects.filter(state=CaseFlag.State.OPEN)
            .select_related("case", "related_case")
            .order_by("-id")[:recent]
        ),
    )
