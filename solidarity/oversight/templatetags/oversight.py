from __future__ import annotations

from django import template

from solidarity.oversight import alerts

register = template.Library()


@register.simple_tag(takes_context=True)
def open_alerts(context) -> int:
    """How many alerts wait for a coordinator (the staff header's badge); 0 for others."""
    user = getattr(context.get("request"), "user", None)
    if user is None or not getattr(user, "is_coordinator", False):
        return 0
    return alerts.open_alert_count()
