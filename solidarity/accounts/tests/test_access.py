"""Who may open which staff page. The cast: `coordinator` (holds the intake key), `volunteer`
and `treasurer` (enrolled staff without it), `outsider` (anonymous)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from solidarity.accounts import urls as staff_urls
from solidarity.audit.models import AuditEvent
from solidarity.cases.models import Attachment, Message
from solidarity.testing.builders import jpeg_with_metadata
from solidarity.testing.factories import log_in, make_application, make_org, make_staff


@pytest.fixture
def case(db):
    make_org()
    receipt = make_application(
        files={"proof_files": [SimpleUploadedFile("id.jpg", jpeg_with_metadata())]}
    )
    return receipt.case_code


@pytest.fixture
def every_staff_url(case) -> list[tuple[str, str]]:
    """(method, url) for every route in the staff console, so a new route cannot be missed."""
    attachment = Attachment.objects.get(case__code=case)
    args = {
        "case": [case],
        "case_file": [case, attachment.id],
    }
    methods = {"lock": "post", "logout": "post"}
    return [
        (methods.get(p.name, "get"), reverse(f"staff:{p.name}", args=args.get(p.name, [])))
        for p in staff_urls.urlpatterns
    ]


def test_outsider_is_sent_to_login_from_every_staff_page(client, every_staff_url):
    for method, url in every_staff_url:
        if url in (reverse("staff:login"), reverse("staff:logout")):
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login")), url


def test_password_alone_without_the_second_factor_opens_nothing(client, case, every_staff_url):
    volunteer = make_staff(role="coordinator", username="halfway")
    client.force_login(volunteer.user)  # a session that never passed the TOTP check

    for method, url in every_staff_url:
        if url in (reverse("staff:login"), reverse("staff:logout")):
            continue
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login")), url


@pytest.mark.parametrize("role", ["volunteer", "treasurer", "admin"])
def test_staff_without_the_intake_key_are_refused_every_case_page(client, case, role):
    staff = make_staff(role=role)
    log_in(client, staff)
    attachment = Attachment.objects.get(case__code=case)

    queue = client.get(reverse("staff:queue"))
    page = client.get(reverse("staff:case", args=[case]))
    image = client.get(reverse("staff:case_file", args=[case, attachment.id]))
    message = client.post(reverse("staff:case", args=[case]), {"body": "Hello from a stranger"})

    for response in (queue, page, image, message):
        assert response.status_code == 403
        assert "Not allowed" in response.content.decode()
    assert story_not_in(page)
    assert story_not_in(queue)
    assert not Message.objects.filter(case__code=case).exists()
    assert AuditEvent.objects.filter(action="case.access_denied", actor=staff.user).count() == 3


def story_not_in(response) -> bool:
    return "I refused to beat protesters" not in response.content.decode()


def test_a_file_of_another_case_is_not_found(client, case):
    coordinator = make_staff(role="coordinator")
    other = make_application(
        files={"proof_files": [SimpleUploadedFile("other.jpg", jpeg_with_metadata())]}
    )
    foreign = Attachment.objects.get(case__code=other.case_code)
    log_in(client, coordinator)

    response = client.get(reverse("staff:case_file", args=[case, foreign.id]))

    assert response.status_code == 404


def test_an_unknown_case_code_is_not_found(client, case):
    coordinator = make_staff(role="coordinator")
    log_in(client, coordinator)

    assert client.get(reverse("staff:case", args=["AAAA-BBBB-CCCC"])).status_code == 404
