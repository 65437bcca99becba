from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from solidarity.accounts import demo
from solidarity.accounts.models import User
from solidarity.audit.services import verify_chain
from solidarity.cases.models import Attachment, Case
from solidarity.jobs.demo import DEMO_COACH
from solidarity.testing.factories import Staff, log_in, make_org
from solidarity.vault.keyring import has_intake_access


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", "--no-qr", *args, stdout=out)
    return out.getvalue()


def test_demo_creates_four_logins_and_about_fifty_cases(db):
    output = run_demo()

    assert set(User.objects.values_list("username", "role")) == {
        ("coordinator", "coordinator"),
        ("volunteer", "volunteer"),
        ("treasurer", "treasurer"),
        ("jobcoach", "job_coach"),
    }
    assert has_intake_access(User.objects.get(username="coordinator"))
    assert not has_intake_access(User.objects.get(username="volunteer"))
    # The jobs story adds a few verified candidates of its own to the invented applications.
    assert demo.DEMO_APPLICATIONS < Case.objects.count() <= demo.DEMO_APPLICATIONS + 10
    assert Case.objects.values("programme").distinct().count() == 3
    assert Case.objects.exclude(status=Case.Status.NEW).count() >= 5
    assert Attachment.objects.exists()
    for username, _role, passphrase in (*demo.DEMO_STAFF, DEMO_COACH):
        assert username in output
        assert passphrase in output
    assert verify_chain().ok


def test_a_second_run_prints_the_same_logins_and_changes_nothing(db):
    first = run_demo()

    cases = Case.objects.count()

    second = run_demo()

    assert Case.objects.count() == cases
    secrets = [line.split()[-2] for line in first.splitlines() if line.startswith("coordinator ")]
    assert secrets
    assert secrets[0] in second
    assert "nothing was changed" in second


def test_demo_totp_secrets_are_derived_not_random(db):
    run_demo()

    device = User.objects.get(username="volunteer").totpdevice_set.get()
    assert device.key == demo.demo_totp_key("volunteer")


def test_the_demo_coordinator_can_sign_in_and_open_a_demo_case(db, client):
    run_demo("--applications", "3")
    user = User.objects.get(username="coordinator")
    staff = Staff(user, user.totpdevice_set.get(), demo.DEMO_STAFF[0][2])

    log_in(client, staff)
    case = Case.objects.first()
    response = client.get(reverse("staff:case", args=[case.code]))

    assert response.status_code == 200
    assert "Demo application" in response.content.decode()


def test_demo_refuses_a_real_organisation(db):
    make_org("A real fund")

    with pytest.raises(CommandError, match="real organisation"):
        run_demo()

    assert not Case.objects.exists()
