"""Screening rows. Nothing here identifies anyone in clear:

* the abuser list is one sealed box per entry (to the intake key);
* the screening key exists only sealed to the intake key;
* the index holds keyed hashes (identifiers, story bands) and keyed MinHash signatures,
  which cannot be recomputed from a guess without the screening key;
* a flag's clear ``explanation`` names only the kind of match and other case codes (clear
  by design); what matched is sealed: the list entry to the intake key
  (``detail_sealed``), the applicant's words to the case key (``found_sealed``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from solidarity.cases.models import Case


class ScreeningKey(models.Model):
    """The random key behind every keyed hash of screening, sealed to the intake key.

    The newest row is the current key; index rows made with an older key are rebuilt.
    """

    key_sealed = models.BinaryField()
    created_on = models.DateField()


class AbuserImport(models.Model):
    """One CSV upload of the fund's list of identified abusers. Its id is the list revision:
    a case screened at revision N has been compared with every entry of imports 1..N."""

    imported_on = models.DateField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entry_count = models.PositiveIntegerField()
    replaced_previous = models.BooleanField(default=False)


class AbuserEntry(models.Model):
    """One listed person: ``{"name", "service_number", "unit", "note"}`` sealed to the intake key."""

    batch = models.ForeignKey(AbuserImport, on_delete=models.CASCADE, related_name="entries")
    entry_sealed = models.BinaryField()

    class Meta:
        ordering = ["id"]


class CaseScreening(models.Model):
    """When a case was last screened, and with what: the key, the index format, the list."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="screening")
    key = models.ForeignKey(ScreeningKey, on_delete=models.PROTECT, related_name="+")
    index_version = models.PositiveSmallIntegerField()
    abuser_revision = models.PositiveIntegerField(default=0)
    # A keyed MinHash signature of the story's shingles (stories.NUM_PERM × uint32), or empty
    # for a story too short to compare. Keyed: see solidarity.vault.screening_keys.
    story_signature_keyed = models.BinaryField(blank=True, default=b"")
    screened_on = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["abuser_revision"], name="screening_abuser_revision")]


class IdentifierDigest(models.Model):
    """A keyed hash of one normalised identifier of a case (phone, handle, service number)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    digest = models.CharField(max_length=32, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "digest"], name="identifier_once")
        ]


class StoryBand(models.Model):
    """One keyed LSH band of a case's story: cases sharing a band are compared."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    band = models.BigIntegerField(db_index=True)


class CaseFlag(models.Model):
    """A screening hit on a case, for a coordinator to confirm or clear.

    The queue filters on ``flags__kind`` and ``flags__state``. ``fingerprint`` names the hit
    (the other case, the kind of identifier, or a keyed hash of the list entry), so a run
    never raises again a hit that was already decided.
    """

    class Kind(models.TextChoices):
        ABUSER_MATCH = "abuser_match", _("Matches the abuser list")
        DUPLICATE_IDENTIFIER = "duplicate_identifier", _("Identifier used in another case")
        DUPLICATE_STORY = "duplicate_story", _("Story like another case's")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CONFIRMED = "confirmed", _("Confirmed")
        CLEARED = "cleared", _("Cleared")

    class Reason(models.TextChoices):
        NAME = "name", _("name")
        SERVICE_NUMBER = "service_number", _("service number")
        PHONE = "phone", _("phone number")
        TELEGRAM_HANDLE = "telegram_handle", _("Telegram username")
        SIGNAL_USERNAME = "signal_username", _("Signal username")
        TELEGRAM_CHAT = "telegram_chat", _("Telegram account (bot)")
        STORY = "story", _("story")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    # Which answer matched ("story", "contact_handle", "service_number"): a field name only.
    source = models.CharField(max_length=20, blank=True)
    # Clear, and never identifying: the kind of match, a score and other case codes only.
    # English, for the record; the console shows describe() in the reader's language.
    explanation = models.CharField(max_length=300)
    # The listed entry that matched, sealed to the intake key (the applicant must never read it).
    detail_sealed = models.BinaryField(blank=True, default=b"")
    # The applicant's words that matched, sealed to the case key: shredding the case shreds
    # them, and re-keying the case moves them (vault/sealed_fields.py).
    found_sealed = models.BinaryField(blank=True, default=b"")
    related_case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.FloatField(null=True, blank=True)
    fingerprint = models.CharField(max_length=80)
    created_on = models.DateField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "fingerprint"], name="flag_once_per_hit")
        ]
        indexes = [models.Index(fields=["state", "kind"], name="flag_state_kind")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.kind}:{self.state}"

    def describe(self) -> str:
        """The explanation in the active language, from the clear fields only."""
        code = self.related_case.code if self.related_case_id else _("(deleted)")
        if self.kind == self.Kind.DUPLICATE_STORY:
            return _("Story similar to case %(code)s's (similarity %(score).2f).") % {
                "code": code,
                "score": self.score or 0.0,
            }
        if self.kind == self.Kind.DUPLICATE_IDENTIFIER:
            return _("Same %(what)s as case %(code)s.") % {
                "what": self.get_reason_display(),
                "code": code,
            }
        where = {
            "story": _("the story"),
            "contact_handle": _("the contact handle"),
            "service_number": _("the service number"),
            "name": _("the name"),
            "full_name": _("the name"),
        }.get(self.source, _("the answers"))
        if self.reason == self.Reason.SERVICE_NUMBER and self.source == "service_number":
            return _("The service number matches an entry of the abuser list.")
        if self.reason == self.Reason.SERVICE_NUMBER:
            return _("A service number in %(where)s matches an entry of the abuser list.") % {
                "where": where
            }
        return _(
            "A name in %(where)s resembles an entry of the abuser list (similarity %(score).2f)."
        ) % {"where": where, "score": self.score or 0.0}
