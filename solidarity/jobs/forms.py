"""Forms of the jobs app: the candidate's profile, and the job coaches' records."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from solidarity.jobs.models import (
    Availability,
    CourseStart,
    Currency,
    Education,
    Field,
    Language,
    Opening,
    Region,
    Seniority,
    Stage,
)
from solidarity.lib.forms import AmountField

# Skill tags, not a CV: short, few, and plain characters, so nobody is tempted (or able) to
# write a story that identifies them into a field job coaches read in clear.
MAX_SKILLS = 20
MAX_SKILL_LENGTH = 40
_SKILL_RE = re.compile(r"^[\w][\w +#./-]*$")
MAX_SALARY = Decimal("1000000")  # per month, in any currency we list: catches extra zeros
MAX_FEE = Decimal("100000")


class SkillsField(forms.CharField):
    """Comma-separated skill tags, normalised to lower case; returns a sorted list."""

    def __init__(self, *, max_tags: int = MAX_SKILLS, **kwargs) -> None:
        kwargs.setdefault("max_length", max_tags * (MAX_SKILL_LENGTH + 2))
        super().__init__(**kwargs)
        self.max_tags = max_tags

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        tags = []
        for raw in re.split(r"[,;\n]", text or ""):
            tag = " ".join(raw.split()).lower()
            if not tag:
                continue
            if len(tag) > MAX_SKILL_LENGTH or not _SKILL_RE.match(tag):
                raise ValidationError(
                    _("Each skill is a short tag of letters and numbers: “%(tag)s” is not."),
                    params={"tag": tag[:MAX_SKILL_LENGTH]},
                    code="skill",
                )
            if tag not in tags:
                tags.append(tag)
        if len(tags) > self.max_tags:
            raise ValidationError(
                _("At most %(n)d skills."), params={"n": self.max_tags}, code="too_many"
            )
        return sorted(tags)

    def validate(self, value) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")


def _languages_field(*, required: bool, label, help_text="") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=Language.choices,
        required=required,
        label=label,
        help_text=help_text,
        widget=forms.CheckboxSelectMultiple,
    )


def _seniority_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(choices=Seniority.choices, coerce=int, label=label)


class DateInput(forms.DateInput):
    input_type = "date"  # the browser's own date picker: no script of ours needed


# --- the candidate ----------------------------------------------------------------------------


class ProfileForm(forms.Form):
    field = forms.ChoiceField(choices=Field.choices, label=_("The field you want to work in"))
    skills = SkillsField(
        label=_("Your skills"),
        help_text=_(
            "Short tags separated by commas, for example: python, sql, driving licence c, "
            "electrician. Do not write names, places or anything else that identifies you."
        ),
    )
    seniority = _seniority_field(_("Your experience in that field"))
    languages = _languages_field(required=True, label=_("Languages you can work in"))
    education = forms.ChoiceField(choices=Education.choices, label=_("Education"))
    region = forms.ChoiceField(
        choices=Region.choices,
        label=_("Country you live in now"),
        help_text=_("Only the country: job coaches never see your town."),
    )
    relocate = forms.BooleanField(required=False, label=_("I am ready to move for a job"))
    remote = forms.BooleanField(required=False, label=_("I want to work remotely"))
    availability = forms.ChoiceField(choices=Availability.choices, label=_("When you can start"))
    contact = forms.CharField(
        required=False,
        max_length=200,
        label=_("How a job coach can reach you (optional)"),
        help_text=_(
            "For example a Telegram or Signal handle used only for this. It is sealed: only "
            "the fund's job coaches can read it. Leave empty to hear from them only on this page."
        ),
    )
    remove_contact = forms.BooleanField(required=False, label=_("Remove the contact I gave before"))

    def __init__(self, *args, contact_possible: bool = True, has_contact: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not contact_possible:
            del self.fields["contact"]
        if not has_contact:
            del self.fields["remove_contact"]


class EnrolmentAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])


# --- job coaches ------------------------------------------------------------------------------


class EmployerForm(forms.Form):
    name = forms.CharField(max_length=200, label=_("Company name"))
    contact = forms.CharField(
        max_length=500,
        required=False,
        label=_("Contact person"),
        help_text=_("Name and how to reach them. Sealed: only job coaches can read it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        max_length=2000,
        required=False,
        label=_("Notes"),
        help_text=_("Sealed like the contact."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    field = forms.ChoiceField(choices=Field.choices, label=_("Main field"))
    region = forms.ChoiceField(choices=Region.choices, label=_("Country"))
    active = forms.BooleanField(required=False, initial=True, label=_("Still hiring"))


class OpeningForm(forms.Form):
    title = forms.CharField(max_length=120, label=_("Job title"))
    field = forms.ChoiceField(choices=Field.choices, label=_("Field"))
    region = forms.ChoiceField(choices=Region.choices, label=_("Country of the workplace"))
    remote = forms.BooleanField(required=False, label=_("Remote work possible"))
    required_skills = SkillsField(
        required=False,
        label=_("Required skills"),
        help_text=_("Comma-separated tags. Leave empty for an opening that trains newcomers."),
    )
    nice_skills = SkillsField(required=False, label=_("Nice-to-have skills"))
    languages = _languages_field(required=False, label=_("Required languages"))
    seniority = _seniority_field(_("Seniority asked"))
    salary_min = AmountField(
        required=False,
        min_value=0,
        max_value=MAX_SALARY,
        decimal_places=2,
        label=_("Monthly salary from"),
    )
    salary_max = AmountField(
        required=False,
        min_value=0,
        max_value=MAX_SALARY,
        decimal_places=2,
        label=_("Monthly salary to"),
    )
    salary_currency = forms.ChoiceField(
        required=False, choices=[("", "—"), *Currency.choices], label=_("Currency")
    )
    positions = forms.IntegerField(
        min_value=1,
        max_value=50,
        initial=1,
        label=_("Candidates at a time"),
        help_text=_(
            "How many people may be introduced (or hired) at once: usually the posts on offer."
        ),
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("salary_min"), data.get("salary_max")
        if low is not None and high is not None and low > high:
            self.add_error("salary_max", _("The upper end is below the lower end."))
        if (low is not None or high is not None) and not data.get("salary_currency"):
            self.add_error("salary_currency", _("Give the currency of the salary."))
        return data


class CourseForm(forms.Form):
    provider = forms.CharField(max_length=120, label=_("Provider"))
    title = forms.CharField(max_length=120, label=_("Course"))
    field = forms.ChoiceField(choices=Field.choices, label=_("Field"))
    length_weeks = forms.IntegerField(min_value=1, max_value=156, label=_("Length in weeks"))
    fee = AmountField(min_value=0, max_value=MAX_FEE, decimal_places=2, label=_("Fee"))
    currency = forms.ChoiceField(choices=Currency.choices, label=_("Currency"))
    starts = forms.CharField(
        required=False,
        max_length=400,
        label=_("Start dates"),
        help_text=_("Dates as YYYY-MM-DD, separated by commas."),
    )

    def clean_starts(self) -> list[datetime.date]:
        days = []
        for raw in re.split(r"[,;\s]+", self.cleaned_data.get("starts") or ""):
            if not raw:
                continue
            try:
                days.append(datetime.date.fromisoformat(raw))
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not a date as YYYY-MM-DD."), params={"value": raw[:20]}
                ) from None
        return sorted(set(days))


class CourseStartForm(forms.Form):
    starts_on = forms.DateField(label=_("Start date"), widget=DateInput)


class IntroduceForm(forms.Form):
    opening = forms.ModelChoiceField(
        queryset=Opening.objects.filter(status=Opening.Status.OPEN), label=_("Opening")
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Next steps for the candidate"),
        help_text=_("Sealed so only the candidate reads it on their status page."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(
        choices=[(s.value, s.label) for s in Stage if s != Stage.INTRODUCED], label=_("Move to")
    )
    on = forms.DateField(label=_("On"), widget=DateInput)
    note = forms.CharField(
        required=False,
        max_length=1000,
        label=_("Replace the note for the candidate"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class OfferCourseForm(forms.Form):
    start = forms.ModelChoiceField(queryset=CourseStart.objects.none(), label=_("Course"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["start"]
        field.queryset = CourseStart.objects.filter(
            course__active=True, starts_on__gte=timezone.localdate()
        ).select_related("course")
        field.label_from_instance = lambda start: (
            f"{start.course.title} · {start.course.provider} · {start.starts_on:%Y-%m-%d}"
        )


class _PairsField(forms.MultipleChoiceField):
    """Ticked "profile id:opening id" values. Whether each pair may still be introduced is
    the service's decision, made when the coach submits."""

    def valid_value(self, value) -> bool:
        return bool(re.fullmatch(r"\d{1,18}:\d{1,18}", str(value)))


class ProposalForm(forms.Form):
    pairs = _PairsField(label=_("Introductions"))

    def clean_pairs(self) -> list[tuple[int, int]]:
        out = []
        for value in self.cleaned_data["pairs"]:
            profile_id, _sep, opening_id = value.partition(":")
            out.append((int(profile_id), int(opening_id)))
        return out
