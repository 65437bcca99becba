from __future__ import annotations

from django import template

from solidarity.vault import session as vault_session

register = template.Library()


@register.simple_tag(takes_context=True)
def vault_unlocked(context) -> bool:
    """Whether this session holds an unlocked staff key (for the header's lock button)."""
    request = context.get("request")
    return request is not None and vault_session.is_unlocked(request, vault_session.STAFF)
