"""Jobs and retraining: pseudonymous candidate profiles, employers, openings, courses, the
introduction pipeline and placements.

What a copy of these tables shows, and what it does not:

* A profile's matching facts (skills, languages, country, field, seniority) are in clear so
  that job coaches can match without any key. They are coarse on purpose: a country, not a
  town; skill tags, not a CV.
* Nothing joins a profile to its case. The profile is found by ``owner_tag``, a keyed hash
  that only a holder of the case private key can compute (``vault.jobs_keys``); there is no
  foreign key, no case code and no case public key on any row here.
* Employer names, contacts and notes, and a candidate's optional contact, are sealed to the
  organisation's jobs key, which only job coaches hold.
* What a coach writes to a candidate is sealed to the profile's own key, whose private half
  is sealed to the case key: the candidate reads it, the coach never learns the case.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Field(models.TextChoices):
    IT = "it", _("IT")
    ENGINEERING = "engineering", _("Engineering and technical trades")
    LOGISTICS = "logistics", _("Transport and logistics")
    CONSTRUCTION = "construction", _("Construction")
    SECURITY = "security", _("Private security")
    HEALTHCARE = "healthcare", _("Health and care")
    EDUCATION = "education", _("Education")
    HOSPITALITY = "hospitality", _("Hospitality and services")
    OFFICE = "office", _("Office and administration")
    OTHER = "other", _("Other")


class Region(models.TextChoices):
    """Countries, never towns: a town and a few skills can point to one person."""

    BELARUS = "by", _("Belarus")
    POLAND = "pl", _("Poland")
    LITHUANIA = "lt", _("Lithuania")
    LATVIA = "lv", _("Latvia")
    UKRAINE = "ua", _("Ukraine")
    GEORGIA = "ge", _("Georgia")
    GERMANY = "de", _("Germany")
    CZECHIA = "cz", _("Czechia")
    EU_OTHER = "eu_other", _("Elsewhere in the EU")
    OTHER = "other", _("Elsewhere")


class Language(models.TextChoices):
    BELARUSIAN = "be", _("Belarusian")
    RUSSIAN = "ru", _("Russian")
    UKRAINIAN = "uk", _("Ukrainian")
    POLISH = "pl", _("Polish")
    LITHUANIAN = "lt", _("Lithuanian")
    LATVIAN = "lv", _("Latvian")
    # A context of its own: the language switcher shows "English" untranslated, by design.
    ENGLISH = "en", pgettext_lazy("language name", "English")
    GERMAN = "de", _("German")
    CZECH = "cs", _("Czech")
    GEORGIAN = "ka", _("Georgian")


def language_names(codes) -> str:
    """Language codes as their names, for pages."""
    names = []
    for code in codes:
        try:
            names.append(str(Language(code).label))
        except ValueError:
            names.append(code)
    return ", ".join(names)


class Seniority(models.IntegerChoices):
    TRAINEE = 0, _("New to the field")
    JUNIOR = 1, _("Junior")
    MIDDLE = 2, _("Middle")
    SENIOR = 3, _("Senior")


class Education(models.TextChoices):
    SECONDARY = "secondary", _("Secondary school")
    VOCATIONAL = "vocational", _("Vocational")
    HIGHER = "higher", _("University degree")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class Availability(models.TextChoices):
    NOW = "now", _("Now")
    MONTH = "month", _("Within a month")
    QUARTER = "quarter", _("Within three months")
    LATER = "later", _("Later")


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    PLN = "PLN", "PLN"
    BYN = "BYN", "BYN"


# --- the jobs key ----------------------------------------------------------------------------


class JobsKey(models.Model):
    """The public half of the organisation's jobs key (one row). Employer contacts are sealed
    to it, so job coaches can read them without holding the intake key."""

    public_key = models.BinaryField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)


class JobsKeyWrap(models.Model):
    """The jobs private key sealed to one job coach's personal key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs_key_wrap"
    )
    jobs_private_key_sealed = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)


# --- candidates ------------------------------------------------------------------------------


class CandidateProfile(models.Model):
    """A job profile a verified applicant chose to share. Pseudonymous: see the module note."""

    pseudonym = models.CharField(max_length=16, unique=True)
    # Keyed hash under the case private key (hex): how the candidate finds "my profile".
    owner_tag = models.CharField(max_length=64, unique=True)
    profile_public_key = models.BinaryField(max_length=32)
    profile_private_key_sealed = models.BinaryField()
    # Optional, for job coaches only (sealed to the jobs key); empty bytes when not given.
    contact_for_coaches_sealed = models.BinaryField(default=b"", blank=True)
    skills = models.JSONField(default=list)
    languages = models.JSONField(default=list)
    education = models.CharField(max_length=16, choices=Education.choices)
    region = models.CharField(max_length=10, choices=Region.choices)
    relocate = models.BooleanField(default=False)
    remote = models.BooleanField(default=False)
    field = models.CharField(max_length=16, choices=Field.choices)
    availability = models.CharField(max_length=10, choices=Availability.choices)
    seniority = models.PositiveSmallIntegerField(choices=Seniority.choices)
    # The first day of the month only: a day could be matched against the applicant's
    # session rows, which name the case.
    updated_on = models.DateField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def language_names(self) -> str:
        return language_names(self.languages)


# --- employers, openings, courses -------------------------------------------------------------


class Employer(models.Model):
    """A company willing to hire. Which companies hire people who left the security forces
    is itself dangerous to them, so the name is sealed like the contact."""

    name_sealed = models.BinaryField()
    contact_sealed = models.BinaryField()
    notes_sealed = models.BinaryField()
    field = models.CharField(max_length=16, choices=Field.choices)
    region = models.CharField(max_length=10, choices=Region.choices)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_on = models.DateField()

    class Meta:
        ordering = ["-id"]


class Opening(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("opening status", "Open")
        CLOSED = "closed", pgettext_lazy("opening status", "Closed")

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="openings")
    title = models.CharField(max_length=120)
    field = models.CharField(max_length=16, choices=Field.choices)
    region = models.CharField(max_length=10, choices=Region.choices)
    remote = models.BooleanField(default=False)
    required_skills = models.JSONField(default=list)
    nice_skills = models.JSONField(default=list)
    languages = models.JSONField(default=list)
    seniority = models.PositiveSmallIntegerField(choices=Seniority.choices)
    salary_min = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    salary_max = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    salary_currency = models.CharField(max_length=3, choices=Currency.choices, blank=True)
    # How many candidates may be in the pipeline (or hired) at once: the posts on offer.
    positions = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_on = models.DateField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(salary_min__isnull=True)
                | Q(salary_max__isnull=True)
                | Q(salary_min__lte=models.F("salary_max")),
                name="opening_salary_range",
            ),
            models.CheckConstraint(condition=Q(positions__gte=1), name="opening_positions"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def language_names(self) -> str:
        return language_names(self.languages)


class Course(models.Model):
    provider = models.CharField(max_length=120)
    title = models.CharField(max_length=120)
    field = models.CharField(max_length=16, choices=Field.choices)
    length_weeks = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(156)]
    )
    fee = models.DecimalField(max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=3, choices=Currency.choices)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_on = models.DateField()

    class Meta:
        ordering = ["title", "id"]
        constraints = [models.CheckConstraint(condition=Q(fee__gte=0), name="course_fee_positive")]

    def __str__(self) -> str:
        return self.title


class CourseStart(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="starts")
    starts_on = models.DateField()

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "starts_on"], name="course_start_once")
        ]


class Enrolment(models.Model):
    """A course seat a coach offers to a candidate; the candidate accepts or declines it on
    their status page. Accepting asks the ledger to commit the fee (``ledger_link``)."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    profile = models.ForeignKey(
        CandidateProfile, on_delete=models.CASCADE, related_name="enrolments"
    )
    start = models.ForeignKey(CourseStart, on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    offered_on = models.DateField()
    answered_on = models.DateField(null=True, blank=True)
    # Whether the ledger booked the fee. No commitment id here: it would join this profile to
    # the case the commitment names.
    fee_committed = models.BooleanField(default=False)
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["profile", "start"], name="enrolment_once")]


# --- the pipeline --------------------------------------------------------------------------


class Stage(models.TextChoices):
    INTRODUCED = "introduced", _("Introduced")
    INTERVIEW = "interview", _("Interview")
    OFFER = "offer", _("Offer")
    HIRED = "hired", _("Hired")
    NOT_HIRED = "not_hired", _("Not hired")


# Stages in which the candidate holds a seat and may not be introduced elsewhere.
ACTIVE_STAGES = (Stage.INTRODUCED, Stage.INTERVIEW, Stage.OFFER)
STAGE_ORDER = {
    Stage.INTRODUCED: 0,
    Stage.INTERVIEW: 1,
    Stage.OFFER: 2,
    Stage.HIRED: 3,
    Stage.NOT_HIRED: 3,
}


class Introduction(models.Model):
    """One candidate introduced to one opening, and how it went, day by day."""

    profile = models.ForeignKey(
        CandidateProfile, on_delete=models.CASCADE, related_name="introductions"
    )
    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="introductions")
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.INTRODUCED)
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    introduced_on = models.DateField()
    interview_on = models.DateField(null=True, blank=True)
    offer_on = models.DateField(null=True, blank=True)
    hired_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    # Sealed to the profile key: next steps for the candidate (whom to write to, when).
    note_for_candidate_sealed = models.BinaryField(default=b"", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            # One opening at a time per candidate (the rule, kept by the database too).
            models.UniqueConstraint(
                fields=["profile"],
                condition=Q(stage__in=["introduced", "interview", "offer"]),
                name="introduction_one_active_per_profile",
            ),
            models.UniqueConstraint(
                fields=["profile", "opening"], name="introduction_once_per_opening"
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.stage in ACTIVE_STAGES


class Placement(models.Model):
    """A hire, kept for the public count even after the candidate withdraws their profile.
    It names the opening and the day, never the person."""

    introduction = models.OneToOneField(
        Introduction, null=True, blank=True, on_delete=models.SET_NULL, related_name="placement"
    )
    opening = models.ForeignKey(Opening, on_delete=models.PROTECT, related_name="placements")
    field = models.CharField(max_length=16, choices=Field.choices)
    placed_on = models.DateField()

    class Meta:
        ordering = ["placed_on", "id"]
