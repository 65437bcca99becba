"""Who may do what with money (ARCHITECTURE.md, Roles). Views check these before calling a
service, and the services check them again, so a management command or a future API cannot
skip them."""

from __future__ import annotations

from solidarity.accounts.models import User


class NotAllowedError(Exception):
    """This staff member's role may not do this."""


TREASURER = User.Role.TREASURER
COORDINATOR = User.Role.COORDINATOR

# Prepare a batch, record donations and rates, import statements and confirmations.
TREASURY_ROLES = frozenset({TREASURER})
# Approve a batch someone else prepared: a second treasurer or a coordinator.
APPROVER_ROLES = frozenset({TREASURER, COORDINATOR})
# See the books and the forecast, export an approved batch, record payout destinations.
MONEY_ROLES = frozenset({TREASURER, COORDINATOR})
# Edit policies, propose and change plans, release pledges.
PLAN_ROLES = frozenset({COORDINATOR})


def has_role(user, roles: frozenset) -> bool:
    return bool(
        user is not None and getattr(user, "is_authenticated", False) and user.role in roles
    )


def require(user, roles: frozenset) -> None:
    if not has_role(user, roles):
        raise NotAllowedError(getattr(user, "role", "anonymous"))
