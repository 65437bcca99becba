"""Turning match reasons into sentences for job coaches ("3 of 4 required skills, speaks
Polish, open to relocation")."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from solidarity.jobs.matching import Reason
from solidarity.jobs.models import Field, Language, Region


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def reason_text(reason: Reason) -> str:
    kind, _good, values = reason
    if kind == "skills":
        matched, total = values
        return ngettext(
            "%(matched)d of %(total)d required skill",
            "%(matched)d of %(total)d required skills",
            total,
        ) % {"matched": matched, "total": total}
    if kind == "nice":
        matched, total = values
        return ngettext(
            "%(matched)d of %(total)d nice-to-have skill",
            "%(matched)d of %(total)d nice-to-have skills",
            total,
        ) % {"matched": matched, "total": total}
    if kind == "speaks":
        return _("speaks %(language)s") % {"language": _label(Language, values[0])}
    if kind == "lacks_language":
        return _("does not speak %(language)s") % {"language": _label(Language, values[0])}
    if kind == "same_region":
        return _("already in %(country)s") % {"country": _label(Region, values[0])}
    if kind == "remote":
        return _("remote work on both sides")
    if kind == "relocation":
        return _("open to relocation")
    if kind == "seniority_below":
        return ngettext(
            "%(n)d level below the seniority asked",
            "%(n)d levels below the seniority asked",
            values[0],
        ) % {"n": values[0]}
    if kind == "field":
        return _("wants to work in %(field)s") % {"field": _label(Field, values[0])}
    return kind


def reasons_line(reasons: Iterable[Reason]) -> str:
    return ", ".join(reason_text(r) for r in reasons)


def reason_rows(reasons: Iterable[Reason]) -> list[dict]:
    """Each reason with its sentence and whether it speaks for the match, for templates."""
    return [{"text": reason_text(r), "good": r.good} for r in reasons]
