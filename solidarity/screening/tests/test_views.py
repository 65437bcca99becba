"""Screening in the staff console, and who is refused it.

Cast (conftest.py): `coordinator` may do everything; `volunteer` is enrolled staff without
the intake key; `outsider` is not signed in (the test client)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from solidarity.audit.models import AuditEvent
from solidarity.screening.models import AbuserEntry, CaseFlag, CaseScreening
from solidarity.screening.tests.conftest import apply
from solidarity.testing.factories import log_in

LIST = "name,service_number,unit\nАляксандр Лукашэнка,АВ 123456,ОМОН Мінск\n"


def signed_in(worker) -> Client:
    client = Client()
    response = log_in(client, worker.staff)
    assert response.status_code == 302
    return client


def _routes(code: str, flag_id: int = 1) -> list[tuple[str, str]]:
    return [
        ("get", reverse("staff:screening:overview")),
        ("get", reverse("staff:screening:abuser_list")),
        ("post", reverse("staff:screening:run")),
        ("post", reverse("staff:screening:import")),
        ("post", reverse("staff:screening:case", args=[code])),
        ("post", reverse("staff:screening:decide", args=[flag_id])),
    ]


def _csv(text: str = LIST) -> SimpleUploadedFile:
    return SimpleUploadedFile("list.csv", text.encode("utf-8"))


@pytest.fixture
def case(org):
    return apply(service_number="ab123456", contact_kind="telegram", contact_handle="same_person")


def test_outsider_is_sent_to_login(client, case):
    for method, url in _routes(case.code):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:login")), url
    assert not CaseScreening.objects.exists()


def test_a_volunteer_is_refused_every_page(volunteer, case):
    client = signed_in(volunteer)
    for method, url in _routes(case.code):
        data = {"file": _csv(), "decision": "clear"} if method == "post" else None
        assert getattr(client, method)(url, data).status_code == 403, url
    assert not CaseScreening.objects.exists()
    assert not AbuserEntry.objects.exists()


def test_a_coordinator_with_the_vault_locked_is_sent_to_unlock(coordinator, case):
    client = signed_in(coordinator)
    client.post(reverse("staff:lock"))
    for method, url in _routes(case.code):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("staff:unlock")), url
    assert not CaseScreening.objects.exists()


def test_screening_pages_refuse_the_wrong_method(coordinator, case):
    client = signed_in(coordinator)
    for method, url in _routes(case.code):
        other = client.post if method == "get" else client.get
        assert other(url).status_code == 405, url


def test_a_coordinator_imports_the_list_screens_and_decides(coordinator, case):
    client = signed_in(coordinator)
    apply(contact_kind="telegram", contact_handle="Same_Person")

    # The overview says two cases wait
    page = client.get(reverse("staff:screening:overview")).content.decode()
    assert "2 cases have not been screened yet" in page

    # Import the list, then screen
    response = client.post(reverse("staff:screening:import"), {"file": _csv()})
    assert response.status_code == 302
    assert AbuserEntry.objects.count() == 1
    response = client.post(reverse("staff:screening:run"), follow=True)
    assert "Screened 2 cases; 3 new flags; 0 cases still to screen." in response.content.decode()

    # The case page shows the flags; the listed person only inside the sealed detail
    page = client.get(reverse("staff:case", args=[case.code])).content.decode()
    assert "The service number matches an entry of the abuser list." in page
    assert "Same Telegram username as case" in page
    assert "Аляксандр Лукашэнка" in page  # decrypted for this coordinator

    # Clearing a flag is recorded
    flag = CaseFlag.objects.get(case=case, kind=CaseFlag.Kind.ABUSER_MATCH)
    response = client.post(reverse("staff:screening:decide", args=[flag.id]), {"decision": "clear"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"/cases/{case.code}/#screening")
    flag.refresh_from_db()
    assert flag.state == CaseFlag.State.CLEARED
    assert AuditEvent.objects.filter(action="screening.flag_cleared", subject=case.code).exists()


def test_a_bad_list_shows_every_problem_and_stores_nothing(coordinator, case):
    client = signed_in(coordinator)
    bad = "name,service_number,unit\nЛукашенко,,\nАляксандр Лукашэнка,12,\n"

    response = client.post(reverse("staff:screening:import"), {"file": _csv(bad)})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported." in page
    assert "Row 2: the name needs a given name" in page
    assert "Row 3: a service number has 4 to 32 letters and digits" in page
    assert not AbuserEntry.objects.exists()


def test_the_list_page_is_decrypted_audited_and_not_cached(coordinator, case):
    client = signed_in(coordinator)
    client.post(reverse("staff:screening:import"), {"file": _csv()})

    response = client.get(reverse("staff:screening:abuser_list"))

    assert "Аляксандр Лукашэнка" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="screening.abuser_list_viewed").exists()


def test_a_case_is_screened_from_its_own_page(coordinator, case):
    client = signed_in(coordinator)
    page = client.get(reverse("staff:case", args=[case.code])).content.decode()
    assert "Screen this case now" in page

    response = client.post(reverse("staff:screening:case", args=[case.code]), follow=True)

    assert "Screened. 0 new flags." in response.content.decode()
    assert CaseScreening.objects.filter(case=case).exists()
    assert "Screened: no open flags." in response.content.decode()
