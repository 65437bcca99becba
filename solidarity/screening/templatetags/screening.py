"""The screening panel of the staff case page (templates/staff/case/_screening.html)."""

from __future__ import annotations

from django import template

from solidarity.screening import services
from solidarity.screening.models import CaseFlag, CaseScreening
from solidarity.vault import session as vault_session

register = template.Library()


@register.simple_tag(takes_context=True)
def screening_panel(context) -> dict | None:
    """The case's flags with their sealed details, for a coordinator with the vault unlocked;
    None for anyone else (volunteers see no screening: it is coordinators' work)."""
    request = context.get("request")
    case = context.get("case")
    if request is None or case is None or not getattr(request.user, "is_coordinator", False):
        return None
    staff_key = vault_session.unlocked_key(request, vault_session.STAFF)
    if staff_key is None:
        return None
    try:
        flags = services.case_flags(request.user, staff_key, case)
    except services.ScreeningRefusedError:
        return None
    row = CaseScreening.objects.filter(case=case).only("screened_on").first()
    return {
        "flags": flags,
        "open": sum(1 for item in flags if item.flag.state == CaseFlag.State.OPEN),
        "status": services.screening_status(case),
        "screened_on": row.screened_on if row else None,
    }
