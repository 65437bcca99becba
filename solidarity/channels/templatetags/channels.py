from __future__ import annotations

from django import template

from solidarity.channels import services

register = template.Library()


@register.simple_tag
def official_fingerprint() -> str:
    """The current signing key's fingerprint for the footer, or "" when nothing is signed."""
    return services.current_fingerprint()
