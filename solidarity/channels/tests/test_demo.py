"""`solidarity demo` signs invented channels, so a demo shows the page, footer and bot."""

from __future__ import annotations

from django.core.management import call_command

from solidarity.channels import services
from solidarity.channels.demo import DEMO_CHANNELS


def test_the_demo_signs_its_invented_channels(db, client):
    call_command("demo", applications=2, no_qr=True, verbosity=0)
    current = services.published()
    assert current is not None
    assert current.statement.bots == DEMO_CHANNELS.bots
    assert current.fingerprint in client.get("/channels/").content.decode()
