"""Staged disclosure: what staff may tell an applicant before the case is verified.

Provocateurs apply to learn how a fund works: its payment rails, its routes, who works for
it, which other cases exist. Until a case is verified, staff send reviewed templates for
that stage, or free text that names no operational term and no other case code. A
coordinator may override the term check with a reason, which goes to the audit log.

The terms are stored only as keyed digests (``OperationalTerm.term_digest``): a message is
checked by digesting each of its phrases, so the server never holds the list in a form it
could show to an applicant, an informer with a database login, or whoever seizes it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidarity.audit import services as audit
from solidarity.cases.models import (
    Case,
    Decision,
    MessageTemplate,
    OperationalTerm,
    Stage,
    TermDigestKey,
)
from solidarity.intake.receipts import CODE_ALPHABET, normalise_code
from solidarity.vault import core

# A term is at most this many words: longer phrases are for templates, not for a list of
# names and rails, and every extra word multiplies the digests a message check computes.
MAX_TERM_WORDS = 4
# A one-word term matches words it begins only if it has this many letters: shorter stems
# ("pay") would refuse half of every message.
MIN_PREFIX_CHARS = 4
# The longest term (characters), and the longest override reason kept in the audit log.
MAX_TERM_CHARS = 120
MAX_REASON_CHARS = 300

# A case code as staff might write it: three groups of four code characters, with dashes or
# nothing between them, in either case, Cyrillic look-alikes included. Spaces are not taken
# as separators: "case date have" must not read as a code.
_CODE_CHARS = re.escape(CODE_ALPHABET + "АВСЕНКМРТХУ" + CODE_ALPHABET.lower() + "авсенкмртху")
_CASE_CODE = re.compile(rf"(?<![\w-])[{_CODE_CHARS}]{{4}}(?:-?[{_CODE_CHARS}]{{4}}){{2}}(?![\w-])")
_WORD = re.compile(r"\w+", re.UNICODE)


class DisclosureError(Exception):
    """Base of the refusals below; the message is safe to show to staff (never to applicants)."""


class TemplateStageError(DisclosureError):
    """A post-verification template was chosen for a case that is not verified."""


class TemplateUnavailableError(DisclosureError):
    """The template does not exist or was deactivated."""


class OperationalTermsError(DisclosureError):
    """A message to an unverified applicant names operational terms or another case."""

    def __init__(self, message: str, found: list[str]) -> None:
        super().__init__(message)
        self.found = found


class OverrideNotAllowedError(DisclosureError):
    """Only a coordinator may override the term check, and only with a reason."""


class TermError(DisclosureError):
    """An operational term is empty, too long or has too many words."""


# --- the stage of a case ----------------------------------------------------------------------


def is_verified(case: Case) -> bool:
    """Verified now, or closed after a verification (payment may still be discussed)."""
    if case.status == Case.Status.VERIFIED:
        return True
    if case.status != Case.Status.CLOSED:
        return False
    last = case.decisions.order_by("-id").only("outcome").first()
    return last is not None and last.outcome == Decision.Outcome.VERIFIED


def stage_of(case: Case) -> str:
    return Stage.AFTER_VERIFICATION if is_verified(case) else Stage.BEFORE_VERIFICATION


def templates_for(case: Case):
    """The active templates staff may send on this case now."""
    qs = MessageTemplate.objects.filter(active=True)
    if not is_verified(case):
        qs = qs.filter(stage=Stage.BEFORE_VERIFICATION)
    return qs


# --- terms as digests ---------------------------------------------------------------------------


def _normalise(text: str) -> list[str]:
    """Words, case-folded, with accents and the Belarusian/Russian "ё" variants folded."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("ё", "е")
    return _WORD.findall(text)


def _digest_key() -> bytes:
    row = TermDigestKey.objects.order_by("id").first()
    if row is None:
        with transaction.atomic():
            row = TermDigestKey.objects.select_for_update().order_by("id").first()
            if row is None:
                row = TermDigestKey.objects.create(digest_key=core.random_key())
    return bytes(row.digest_key)


def _digest(key: bytes, phrase: str) -> bytes:
    return core.keyed_digest(key, phrase.encode("utf-8"), size=32)


def add_term(term: str, kind: str, *, by, prefix: bool = True) -> OperationalTerm:
    """Add (or reactivate) an operational term; only its digest is stored. Audited with its
    kind, never the term. Raises TermError."""
    words = _normalise(term)
    if not words:
        raise TermError(_("Write the word or phrase to watch for."))
    if len(term) > MAX_TERM_CHARS or len(words) > MAX_TERM_WORDS:
        raise TermError(
            _("A term is at most %(n)s words: add the parts that matter one by one.")
            % {"n": MAX_TERM_WORDS}
        )
    if kind not in OperationalTerm.Kind.values:
        raise TermError(_("Choose a kind from the list."))
    digest = _digest(_digest_key(), " ".join(words))
    with transaction.atomic():
        row, created = OperationalTerm.objects.update_or_create(
            term_digest=digest,
            defaults={
                "kind": kind,
                "words": len(words),
                "prefix": prefix and len(words) == 1 and len(words[0]) >= MIN_PREFIX_CHARS,
                "active": True,
                "added_by": by,
                "added_on": timezone.localdate(),
            },
        )
        audit.record(
            "disclosure.term_added" if created else "disclosure.term_reactivated",
            actor=by,
            subject=row.pk,
            kind=kind,
        )
    return row


def deactivate_term(term: OperationalTerm, *, by) -> None:
    with transaction.atomic():
        OperationalTerm.objects.filter(pk=term.pk).update(active=False)
        audit.record("disclosure.term_deactivated", actor=by, subject=term.pk, kind=term.kind)


def _candidates(words: list[str], max_words: int, prefix_terms: bool) -> dict[str, str]:
    """Every phrase of the message a term could be, mapped to the words it came from."""
    found: dict[str, str] = {}
    for start in range(len(words)):
        for n in range(1, min(max_words, len(words) - start) + 1):
            phrase = words[start : start + n]
            found.setdefault(" ".join(phrase), " ".join(phrase))
        if prefix_terms:
            word = words[start]
            for end in range(MIN_PREFIX_CHARS, len(word)):
                found.setdefault(word[:end], word)
    return found


@dataclass(frozen=True)
class Finding:
    kind: str  # an OperationalTerm.Kind, or "case_code"
    words: str  # the words of the message that matched


def find_operational_terms(text: str, case: Case) -> list[Finding]:
    """What in ``text`` must not reach this case's applicant before verification."""
    findings: list[Finding] = []
    shapes = [m.group(0) for m in _CASE_CODE.finditer(text)]
    existing = set(
        Case.objects.filter(code__in={normalise_code(s) for s in shapes}).values_list(
            "code", flat=True
        )
    )
    for shape in shapes:
        code = normalise_code(shape)
        if code == case.code:
            continue
        # A real code, or anything that looks like one (a digit, or dashes between groups):
        # naming a made-up code would tell a provocateur the format. Twelve plain letters
        # are an ordinary word unless a case has that code.
        if code in existing or "-" in shape or any(c.isdigit() for c in shape):
            findings.append(Finding("case_code", shape))
    terms = list(OperationalTerm.objects.filter(active=True).only("term_digest", "kind", "words"))
    if not terms:
        return findings
    by_digest = {bytes(t.term_digest): t for t in terms}
    max_words = max(t.words for t in terms)
    key = _digest_key()
    seen: set[int] = set()
    prefix_terms = any(t.prefix for t in terms)
    for phrase, source in _candidates(_normalise(text), max_words, prefix_terms).items():
        term = by_digest.get(_digest(key, phrase))
        if term is None or term.pk in seen:
            continue
        if phrase != source and not term.prefix:
            continue  # a stem of a word, but this term matches whole words only
        seen.add(term.pk)
        findings.append(Finding(term.kind, source))
    return findings


def kind_label(kind: str) -> str:
    if kind == "case_code":
        return _("another case code")
    return str(OperationalTerm.Kind(kind).label).lower()


# --- the check before a message is stored ----------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A message cleared for sending: its text, and whether a coordinator overrode the check."""

    body: str
    template: MessageTemplate | None
    overridden: list[Finding]


def clear_message(
    case: Case, text: str, *, by, template_id: int | None = None, override_reason: str = ""
) -> Outgoing:
    """Compose and check a staff message for this case at its stage.

    The template's text comes first, then what the staff member wrote. Before verification,
    a post-verification template is refused, and so is free text naming an operational term
    or another case code unless a coordinator gives a reason to override. Raises
    TemplateUnavailableError, TemplateStageError, OperationalTermsError or
    OverrideNotAllowedError.
    """
    template = None
    if template_id:
        template = MessageTemplate.objects.filter(pk=template_id, active=True).first()
        if template is None:
            raise TemplateUnavailableError(_("This template is no longer in use."))
    verified = is_verified(case)
    if template is not None and template.stage == Stage.AFTER_VERIFICATION and not verified:
        audit.record(
            "disclosure.refused",
            actor=by,
            subject=case.code,
            why="template_stage",
            template=template.pk,
        )
        raise TemplateStageError(
            _(
                "“%(title)s” is for verified cases only; this case is not verified. "
                "Choose a template for before verification."
            )
            % {"title": template.title}
        )
    text = (text or "").strip()
    body = "\n\n".join(part for part in (template.body if template else "", text) if part)
    overridden: list[Finding] = []
    if not verified and text:
        # Only the free text is checked: templates were reviewed for their stage.
        findings = find_operational_terms(text, case)
        if findings:
            reason = (override_reason or "").strip()
            if not reason:
                audit.record(
                    "disclosure.refused",
                    actor=by,
                    subject=case.code,
                    why="operational_terms",
                    kinds=sorted({f.kind for f in findings}),
                )
                raise OperationalTermsError(
                    _(
                        "This case is not verified yet, and the message names what an "
                        "applicant learns only after verification: %(found)s. Rephrase it, "
                        "or ask a coordinator to send it with a reason."
                    )
                    % {"found": "; ".join(f"“{f.words}” ({kind_label(f.kind)})" for f in findings)},
                    [f.words for f in findings],
                )
            if not by.is_coordinator:
                raise OverrideNotAllowedError(_("Only a coordinator may override this check."))
            overridden = findings
    return Outgoing(body=body, template=template, overridden=overridden)


def record_override(case: Case, outgoing: Outgoing, *, by, reason: str, message_id: int) -> None:
    """Audit a coordinator's override, in the transaction that stores the message. The
    reason is kept in the log for oversight; the words matched are not (they are the terms)."""
    audit.record(
        "disclosure.override",
        actor=by,
        subject=case.code,
        message=message_id,
        kinds=sorted({f.kind for f in outgoing.overridden}),
        reason=reason.strip()[:MAX_REASON_CHARS],
    )


# --- managing templates -------------------------------------------------------------------------


def save_template(template: MessageTemplate, *, by) -> MessageTemplate:
    """Create or change a template (audited with its id, stage and language)."""
    created = template.pk is None
    with transaction.atomic():
        template.save()
        audit.record(
            "disclosure.template_added" if created else "disclosure.template_changed",
            actor=by,
            subject=template.pk,
            stage=template.stage,
            language=template.language,
            active=template.active,
        )
    return template


def deactivate_template(template: MessageTemplate, *, by) -> None:
    with transaction.atomic():
        MessageTemplate.objects.filter(pk=template.pk).update(active=False)
        audit.record("disclosure.template_deactivated", actor=by, subject=template.pk)
