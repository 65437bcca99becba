"""Shaping what the console shows: queue tables, and a decrypted application as labelled rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext as _

from solidarity.accounts.forms import AssignForm
from solidarity.accounts.models import User
from solidarity.cases import access
from solidarity.cases import services as cases
from solidarity.cases.models import Case, Programme
from solidarity.intake.forms import ATTACHMENT_KINDS, ApplicationForm
from solidarity.lib.money import format_money

_CURRENCY_SUFFIX = "_currency"
_NOT_SHOWN = {"website"}  # the honeypot is never part of an application
_EXTRA_LABELS = {"submitted_at": lambda: _("Submitted at")}
# What a channel sealed beside the form, shown as a fact rather than a value: the bot's chat
# id opens only to send a reply, so a bot application reads like a web one.
_EXTRA_FACTS = {"telegram_chat_id": lambda: (_("Replies also go to Telegram"), _("Yes"))}
# Only these are displayed in the page itself; anything else is a download (the CSP
# blocks <video>, and a PDF viewer is a larger attack surface than a download).
INLINE_IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def _choice_label(field: forms.Field, value) -> str:
    labels = {str(key): label for key, label in getattr(field, "choices", [])}
    return str(labels.get(str(value), value))


def _show(field: forms.Field | None, value) -> str:
    if value in (None, "", []):
        return "—"
    if field is not None and isinstance(field, forms.MultipleChoiceField):
        return ", ".join(_choice_label(field, v) for v in value)
    if field is not None and isinstance(field, forms.ChoiceField):
        return _choice_label(field, value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _amount(value, currency: str) -> str:
    """An amount the applicant typed, written the reader's way; anything that is not a
    plain number (an older answer, say) is shown as it was typed."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return f"{value} {currency}"
    return format_money(amount, currency)


def answer_rows(answers: dict) -> list[tuple[str, str]]:
    """(label, text) pairs in the order of the application form, amounts with their currency.

    Keys the form does not know (added by a later version) are shown under their own
    names, so nothing the applicant wrote is ever hidden from the coordinator.
    """
    fields = ApplicationForm.base_fields
    rows: list[tuple[str, str]] = []
    shown: set[str] = set(_NOT_SHOWN)
    for name, field in fields.items():
        if name in ATTACHMENT_KINDS or name in _NOT_SHOWN or name not in answers:
            continue
        if name.endswith(_CURRENCY_SUFFIX) and name[: -len(_CURRENCY_SUFFIX)] in answers:
            continue  # shown beside its amount
        text = _show(field, answers[name])
        currency = answers.get(name + _CURRENCY_SUFFIX)
        if currency and text != "—":
            text = _amount(answers[name], currency)
        rows.append((str(field.label), text))
        shown.update({name, name + _CURRENCY_SUFFIX})
    for name, value in answers.items():
        if name in shown:
            continue
        if name in _EXTRA_FACTS:
            rows.append(_EXTRA_FACTS[name]())
            continue
        label = _EXTRA_LABELS[name]() if name in _EXTRA_LABELS else name
        rows.append((label, _show(None, value)))
    return rows


@dataclass(frozen=True)
class QueueRow:
    case: Case
    url: str
    programme: str
    status: str
    assignee: str


def queue_rows(page: list[Case]) -> list[QueueRow]:
    """A queue page ready to print: labels translated once per value rather than once per
    row, assignees' names in one query, links built from one reversed URL. The queue is the
    page coordinators reload all day; this keeps it well inside its time budget."""
    ids = {case.assignee_id for case in page if case.assignee_id}
    names = dict(User.objects.filter(id__in=ids).values_list("id", "username"))
    programmes = {value: str(label) for value, label in Programme.choices}
    statuses = {value: str(label) for value, label in Case.Status.choices}
    # Case codes are letters, digits and dashes: safe to put into the path as they are.
    pattern = reverse("staff:case", args=["CODE"])
    return [
        QueueRow(
            case=case,
            url=pattern.replace("CODE", case.code),
            programme=programmes.get(case.programme, case.programme),
            status=statuses.get(case.status, case.status),
            assignee=names.get(case.assignee_id, ""),
        )
        for case in page
    ]


def queue_counts() -> dict:
    """Case counts for the queue's table: programmes down, statuses across, totals below."""
    statuses = Case.Status.choices
    by_status: dict[str, int] = {}
    grid: dict[str, dict[str, int]] = {value: {} for value, _label in Programme.choices}
    for row in cases.programme_status_counts():
        grid.setdefault(row["programme"], {})[row["status"]] = row["n"]
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
    return {
        "status_labels": [label for _value, label in statuses],
        "status_counts": [(label, by_status.get(value, 0)) for value, label in statuses],
        "total": sum(by_status.values()),
        "programme_counts": [
            (label, [grid[value].get(status, 0) for status, _label in statuses])
            for value, label in Programme.choices
        ],
    }


def assignable_staff() -> list[User]:
    """Active volunteers and coordinators: the people a case can be assigned to."""
    return list(
        User.objects.filter(
            is_active=True,
            revoked_at__isnull=True,
            role__in=[User.Role.VOLUNTEER, User.Role.COORDINATOR],
        ).order_by("role", "username")
    )


def flag_kinds() -> list[tuple[str, str]]:
    """The kinds of screening flag the queue can filter by (none without the screening app)."""
    if not cases.flags_available():
        return []
    kind = apps.get_model("screening", "CaseFlag")._meta.get_field("kind")
    return [(str(value), str(label)) for value, label in (kind.choices or [])]


def access_panel(case: Case, user: User) -> dict:
    """Who holds a key to this case beyond the coordinators, for the case page."""
    grants = access.grants_of(case)
    can_manage = user.is_coordinator
    yours = next((grant for grant in grants if grant.user_id == user.pk), None)
    return {
        "assignee": case.assignee,
        "grants": grants,
        "you_hold_a_grant": yours is not None,
        "your_grant": yours,
        "can_manage": can_manage,
        "form": AssignForm(assignees=assignable_staff(), initial={"assignee": case.assignee_id})
        if can_manage
        else None,
    }
