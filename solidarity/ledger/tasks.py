"""Periodic ledger work, run by `solidarity worker` (see ``solidarity.lib.periodic``)."""

from __future__ import annotations

import datetime

from django_tasks import task

from solidarity.ledger import donor_protection
from solidarity.lib import periodic

# Receipt addresses are deleted, and old reference digests forgotten, within a day of the
# end of their retention. `solidarity donors purge` does the same by hand.
PERIOD = datetime.timedelta(days=1)


@task()
def purge_donor_data() -> int:
    """`solidarity donors purge`, every PERIOD: returns how many rows it cleared."""
    try:
        receipts = donor_protection.purge_expired_receipts()
        donations, events = donor_protection.forget_old_references()
        return receipts + donations + events
    finally:
        periodic.queue_next(purge_donor_data, delay=PERIOD)


PERIODIC_TASKS = (purge_donor_data,)


def schedule_periodic_tasks() -> int:
    return periodic.schedule(PERIODIC_TASKS)
