"""Template tags for the case-work panels of the staff case page."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from solidarity.cases import verification
from solidarity.cases.forms import ChecklistItemForm, DecisionForm
from solidarity.vault import session as vault_session

register = template.Library()


@register.simple_tag(takes_context=True)
def verification_panel(context) -> dict | None:
    """The verification panel of ``case`` for the signed-in staff member, or None when the
    vault is locked or their key does not open the case (the page itself refuses then)."""
    request = context.get("request")
    case = context.get("case")
    if request is None or case is None:
        return None
    staff_key = vault_session.unlocked_key(request, vault_session.STAFF)
    if staff_key is None:
        return None
    try:
        panel = verification.verification_panel(case, request.user, staff_key)
    except verification.VerificationDeniedError:
        return None
    decision_form = DecisionForm()
    # No outcome is preselected: a decision is always a choice someone made.
    decision_form.fields["outcome"].choices = [("", _("Choose…")), *panel.outcomes]
    return {"panel": panel, "item_form": ChecklistItemForm(), "decision_form": decision_form}
