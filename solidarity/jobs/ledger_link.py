"""The one place the jobs app asks the ledger for money: a course fee becomes a commitment.

The jobs app must work before, and without, the ledger (the issue says so), so it calls
``solidarity.ledger.services.commit_course_fee`` only when the ledger app is installed and
exposes that function; otherwise it records nothing and says so. The function it expects:

    commit_course_fee(case, *, amount: Decimal, currency: str, due_on: date,
                      requested_by: User | None) -> object

It books ``amount`` as owed to ``case`` (a retraining-course commitment), inside the caller's
transaction, and raises an exception to refuse (no plan, currency it does not hold, ...). A
refusal is rolled back to a savepoint and reported as "not booked": the candidate's answer
stands, and the coach's page says the fee still has to be arranged with a coordinator.

Called from the candidate's own session (they accept the seat), because only there is the
case known: job coaches never learn which case a profile belongs to. Nothing that names the
course or the profile is passed on, so the ledger row alone cannot be joined to the profile;
the fee amount and the start day still could be when a course has a single enrolment (see
the note at the top of ``services``).
"""

from __future__ import annotations

import datetime
import importlib
import logging
from decimal import Decimal
from typing import Protocol

from django.apps import apps
from django.db import transaction

log = logging.getLogger(__name__)

LEDGER_APP = "solidarity.ledger"
LEDGER_MODULE = "solidarity.ledger.services"
LEDGER_FUNCTION = "commit_course_fee"


class CommitCourseFee(Protocol):
    def __call__(
        self,
        case,
        *,
        amount: Decimal,
        currency: str,
        due_on: datetime.date,
        requested_by,
    ) -> object: ...


def _ledger_function() -> CommitCourseFee | None:
    if not apps.is_installed(LEDGER_APP):
        return None
    try:
        module = importlib.import_module(LEDGER_MODULE)
    except ImportError:
        return None
    return getattr(module, LEDGER_FUNCTION, None)


def ledger_available() -> bool:
    """Whether accepting a course seat will book its fee."""
    return _ledger_function() is not None


def commit_course_fee(
    case, *, amount: Decimal, currency: str, due_on: datetime.date, requested_by
) -> bool:
    """Ask the ledger to commit a course fee to ``case``. True when it was booked; False when
    no ledger takes it or the ledger refused (nothing of a refused attempt is kept)."""
    function = _ledger_function()
    if function is None:
        log.info("course fee not booked: the ledger exposes no %s", LEDGER_FUNCTION)
        return False
    if amount <= 0:
        return False  # a free course owes nothing
    try:
        with transaction.atomic():
            function(
                case, amount=amount, currency=currency, due_on=due_on, requested_by=requested_by
            )
    except Exception as exc:
        # The ledger's own rule said no; its reason may not be ours to show. Only the
        # exception's class is logged: never an amount with a case, never a message.
        log.warning("course fee refused by the ledger: %s", type(exc).__name__)
        return False
    return True
