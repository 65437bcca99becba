from __future__ import annotations

from django import template

from solidarity.channels import services

register = template.Library()


@register.simple_tag
def official_fingerprint() -> str:
    """The current signing key's fingerprint for the footer, or "" when nothing is signed."""
    return services.current_fingerprint()


@register.simple_tag
def signing_key_predates(moment) -> bool:
    """Whether the current signing key was made before ``moment`` (a revocation, say): then
    whoever was revoked at that moment may still hold a copy of it."""
    return services.signing_key_predates(moment)
