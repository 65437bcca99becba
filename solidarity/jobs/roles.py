"""Who may work with jobs (ARCHITECTURE.md, Roles). Views check it before calling a service,
and the services check it again, so a management command cannot skip it."""

from __future__ import annotations

from solidarity.accounts.models import User


class NotAllowedError(Exception):
    """This staff member's role may not do this."""


# Only job coaches see candidate profiles and employer contacts: a coordinator already holds
# the intake key, and keeping the two apart means no one person can join a profile to a case.
JOB_ROLES = frozenset({User.Role.JOB_COACH})


def is_job_coach(user) -> bool:
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and user.role in JOB_ROLES
    )


def require_job_coach(user) -> None:
    if not is_job_coach(user):
        raise NotAllowedError(getattr(user, "role", "anonymous"))
