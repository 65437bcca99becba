"""The questions of the application, one Telegram message each.

The questions are the fields of ``intake.forms.ApplicationForm``, in its order, with its
labels, choices and help texts; each answer is checked by that form as soon as it is
given (so the applicant hears about a mistake at once), and the whole form checks it all
again in ``submit_application``. The only question of our own is whether the fund may
answer in this chat (``reply_here``): the chat id is a contact detail and is sealed only
if the applicant agrees.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from solidarity.intake.forms import CURRENCIES, SITUATIONS, ApplicationForm

FIELDS = ApplicationForm.base_fields

# Buttons: (label, callback data). Telegram allows 64 bytes of callback data.
Button = tuple[str, str]
Keyboard = tuple[tuple[Button, ...], ...]

SKIP, DONE, YES, NO = "-skip", "-done", "-yes", "-no"


@dataclass
class HeldFile:
    """A file the applicant sent, already checked and stripped, held in memory until sent."""

    name: str
    data: bytes


@dataclass
class Answers:
    """One unfinished application. Lives only in process memory (see conversation.py)."""

    values: dict[str, str | list[str]] = field(default_factory=dict)
    files: dict[str, list[HeldFile]] = field(default_factory=dict)
    reply_here: bool = False

    def form_data(self) -> MultiValueDict:
        data = MultiValueDict()
        for name, value in self.values.items():
            data.setlist(name, value if isinstance(value, list) else [value])
        data["website"] = ""  # the honeypot: people never fill it
        return data

    def file_count(self) -> int:
        return sum(len(items) for items in self.files.values())

    def held_bytes(self) -> int:
        return sum(len(f.data) for items in self.files.values() for f in items)


def field_errors(answers: Answers, name: str) -> list[str]:
    """The form's errors for one field, given the answers so far (other fields may be missing)."""
    form = ApplicationForm(answers.form_data(), None)
    form.is_valid()
    return [str(e) for e in form.errors.get(name, [])]


def cleaned_value(answers: Answers, name: str):
    form = ApplicationForm(answers.form_data(), None)
    form.is_valid()
    return form.cleaned_data.get(name)


@dataclass(frozen=True)
class Step:
    """A question. ``name`` is the form field it fills (``reply_here`` is the bot's own)."""

    name: str
    skippable: bool = False
    # Asked again right after this one when this one changes (an edited programme needs a
    # new situation; an amount needs its currency).
    dependent: str | None = None

    def applies(self, answers: Answers) -> bool:
        return True

    def label(self) -> str:
        return str(FIELDS[self.name].label)

    def hint(self) -> str:
        return ""

    def question(self, answers: Answers) -> tuple[str, Keyboard]:
        parts = [self.label()]
        help_text = FIELDS[self.name].help_text if self.name in FIELDS else ""
        if help_text:
            parts.append(str(help_text))
        if self.hint():
            parts.append(self.hint())
        return "\n\n".join(parts), self.keyboard(answers)

    def keyboard(self, answers: Answers) -> Keyboard:
        return (((_("Skip"), SKIP),),) if self.skippable else ()

    def skip(self, answers: Answers) -> None:
        answers.values[self.name] = ""

    def take_text(self, answers: Answers, text: str) -> list[str]:
        """Store a typed answer; return the form's complaints (then nothing is stored)."""
        return [_("Please use the buttons under the question.")]

    def take_choice(self, answers: Answers, value: str) -> list[str] | None:
        """Store a pressed button's value; None means the button is not one of ours."""
        return None

    def shown(self, answers: Answers) -> str:
        """The answer as the summary shows it."""
        value = answers.values.get(self.name, "")
        return str(value) if value not in ("", None, []) else "—"


def _choice_label(name: str, value: str) -> str:
    return str(dict(FIELDS[name].choices).get(value, value))


@dataclass(frozen=True)
class ChoiceStep(Step):
    def choices(self, answers: Answers) -> list[tuple[str, str]]:
        return [(str(v), str(label)) for v, label in FIELDS[self.name].choices]

    def keyboard(self, answers: Answers) -> Keyboard:
        rows = tuple(((label, value),) for value, label in self.choices(answers))
        return rows + super().keyboard(answers)

    def take_choice(self, answers: Answers, value: str) -> list[str] | None:
        if value not in {v for v, _label in self.choices(answers)}:
            return None
        answers.values[self.name] = value
        errors = field_errors(answers, self.name)
        if errors:
            del answers.values[self.name]
        return errors

    def shown(self, answers: Answers) -> str:
        value = answers.values.get(self.name, "")
        return _choice_label(self.name, value) if value else "—"


@dataclass(frozen=True)
class SituationStep(ChoiceStep):
    def choices(self, answers: Answers) -> list[tuple[str, str]]:
        programme = answers.values.get("programme", "")
        return [(f"{programme}:{key}", str(label)) for key, label in SITUATIONS.get(programme, [])]


@dataclass(frozen=True)
class CurrencyStep(ChoiceStep):
    amount: str = ""

    def applies(self, answers: Answers) -> bool:
        return bool(answers.values.get(self.amount))

    def label(self) -> str:
        return f"{FIELDS[self.amount].label}: {FIELDS[self.name].label}"

    def choices(self, answers: Answers) -> list[tuple[str, str]]:
        return list(CURRENCIES)


@dataclass(frozen=True)
class ContactKindStep(ChoiceStep):
    def choices(self, answers: Answers) -> list[tuple[str, str]]:
        # The empty choice ("no contact") is offered as a button like the others.
        return [(v or "none", label) for v, label in super().choices(answers)]

    def take_choice(self, answers: Answers, value: str) -> list[str] | None:
        if value not in {v for v, _label in self.choices(answers)}:
            return None
        answers.values[self.name] = "" if value == "none" else value
        # A handle belongs to its kind: a new kind asks for it again, no contact drops it.
        answers.values.pop("contact_handle", None)
        if value == "none":
            answers.values["contact_handle"] = ""
        return []

    def shown(self, answers: Answers) -> str:
        value = answers.values.get(self.name, "")
        return _choice_label(self.name, value)


@dataclass(frozen=True)
class TextStep(Step):
    def normalise(self, text: str) -> str:
        return text.strip()

    def take_text(self, answers: Answers, text: str) -> list[str]:
        answers.values[self.name] = self.normalise(text)
        errors = field_errors(answers, self.name)
        if errors:
            del answers.values[self.name]
        return errors


@dataclass(frozen=True)
class ContactHandleStep(TextStep):
    def applies(self, answers: Answers) -> bool:
        return bool(answers.values.get("contact_kind"))


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%y")


@dataclass(frozen=True)
class DateStep(TextStep):
    def hint(self) -> str:
        return _("Write the date as day.month.year, for example 21.08.2020, or press Skip.")

    def normalise(self, text: str) -> str:
        text = text.strip()
        for fmt in _DATE_FORMATS:
            try:
                return datetime.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        return text  # the form names the mistake


@dataclass(frozen=True)
class AmountStep(TextStep):
    def hint(self) -> str:
        return _("Send the amount as a number, for example 2500, or press Skip.")

    def normalise(self, text: str) -> str:
        # "12 500,50" and "12,500.50" are both how people write amounts.
        compact = re.sub(r"[\s\u00a0\u202f']", "", text)
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", compact):
            compact = compact.replace(",", "")
        return compact.replace(",", ".")

    def skip(self, answers: Answers) -> None:
        super().skip(answers)
        answers.values.pop(self.dependent or "", None)

    def shown(self, answers: Answers) -> str:
        value = answers.values.get(self.name, "")
        currency = answers.values.get(self.dependent or "", "")
        return f"{value} {currency}".strip() if value else "—"


@dataclass(frozen=True)
class NumberStep(TextStep):
    def hint(self) -> str:
        return _("Send a number, for example 2, or press Skip.")


@dataclass(frozen=True)
class MultiChoiceStep(Step):
    def keyboard(self, answers: Answers) -> Keyboard:
        chosen = answers.values.get(self.name) or []
        rows = tuple(
            ((("✅ " if value in chosen else "▫️ ") + str(label), value),)
            for value, label in FIELDS[self.name].choices
        )
        return rows + (((_("Done"), DONE),),)

    def hint(self) -> str:
        return _("Press everything that applies, then Done.")

    def take_choice(self, answers: Answers, value: str) -> list[str] | None:
        if value not in {v for v, _label in FIELDS[self.name].choices}:
            return None
        chosen = list(answers.values.get(self.name) or [])
        if value in chosen:
            chosen.remove(value)
        else:
            chosen.append(value)
        answers.values[self.name] = chosen
        return field_errors(answers, self.name)

    def shown(self, answers: Answers) -> str:
        chosen = answers.values.get(self.name) or []
        return ", ".join(_choice_label(self.name, v) for v in chosen) or "—"


@dataclass(frozen=True)
class ReplyHereStep(Step):
    """The bot's own question: may the fund write to this chat? (Seals the chat id if so.)"""

    def label(self) -> str:
        return _("May the fund write to you here, in this chat with the bot?")

    def hint(self) -> str:
        return _(
            "If you agree, the number of this chat is sealed with your application, like any "
            "contact detail: only the fund's coordinators can open it. Otherwise you can still "
            "read the fund's messages with /status."
        )

    def keyboard(self, answers: Answers) -> Keyboard:
        return (((_("Yes, write to me here"), YES),), ((_("No"), NO),))

    def take_choice(self, answers: Answers, value: str) -> list[str] | None:
        if value not in (YES, NO):
            return None
        answers.reply_here = value == YES
        return []

    def shown(self, answers: Answers) -> str:
        return _("Yes") if answers.reply_here else _("No")


@dataclass(frozen=True)
class StoryStep(TextStep):
    def hint(self) -> str:
        return _(
            "You can write it in several messages. Press Done when you have finished. "
            "Your words are sealed when you send the application."
        )

    def keyboard(self, answers: Answers) -> Keyboard:
        return (((_("Done"), DONE),),) if answers.values.get(self.name) else ()

    def take_text(self, answers: Answers, text: str) -> list[str]:
        before = answers.values.get(self.name, "")
        answers.values[self.name] = f"{before}\n\n{text.strip()}" if before else text.strip()
        errors = [e for e in field_errors(answers, self.name) if not self._too_short(answers)]
        if errors:
            answers.values[self.name] = before
        return errors

    def _too_short(self, answers: Answers) -> bool:
        return len(answers.values.get(self.name, "")) < (FIELDS[self.name].min_length or 0)

    def finish(self, answers: Answers) -> list[str]:
        if not answers.values.get(self.name):
            return [str(forms.Field.default_error_messages["required"])]
        return field_errors(answers, self.name)

    def shown(self, answers: Answers) -> str:
        text = str(answers.values.get(self.name, ""))
        return text if len(text) <= 300 else text[:300] + "…"


@dataclass(frozen=True)
class FilesStep(Step):
    accept: str = ""
    many: bool = True

    def hint(self) -> str:
        if self.many:
            return _(
                "Send photos or PDF files, one or several; then press Done. Photos are cleaned "
                "of the data cameras hide in them (place, phone model) before they are sealed."
            )
        return _("Send one video, or press Skip.")

    def keyboard(self, answers: Answers) -> Keyboard:
        if self.many:
            return (((_("Done"), DONE),),)
        return (((_("Skip"), SKIP),),)

    def skip(self, answers: Answers) -> None:
        answers.files.setdefault(self.name, [])

    def shown(self, answers: Answers) -> str:
        held = answers.files.get(self.name, [])
        return str(len(held)) if held else "—"


def _amount(name: str) -> list[Step]:
    currency = f"{name}_currency"
    return [
        AmountStep(name, skippable=True, dependent=currency),
        CurrencyStep(currency, amount=name),
    ]


STEPS: list[Step] = [
    ChoiceStep("programme", dependent="situation"),
    SituationStep("situation"),
    TextStep("employer"),
    TextStep("role", skippable=True),
    TextStep("service_number", skippable=True),
    DateStep("since", skippable=True),
    *_amount("debt_contract"),
    *_amount("debt_loans"),
    *_amount("debt_other"),
    *_amount("income_lost"),
    NumberStep("dependants", skippable=True),
    MultiChoiceStep("needs"),
    TextStep("skills", skippable=True),
    TextStep("languages", skippable=True),
    ReplyHereStep("reply_here"),
    ContactKindStep("contact_kind", dependent="contact_handle"),
    ContactHandleStep("contact_handle"),
    StoryStep("story"),
    FilesStep("proof_files", accept="documents"),
    FilesStep("papers_files", accept="documents"),
    FilesStep("video_file", accept="video", many=False),
]
BY_NAME = {step.name: step for step in STEPS}


def next_step(after: str | None, answers: Answers) -> Step | None:
    """The first question after ``after`` (None: from the start) that applies."""
    names = [s.name for s in STEPS]
    start = 0 if after is None else names.index(after) + 1
    for step in STEPS[start:]:
        if step.applies(answers):
            return step
    return None
