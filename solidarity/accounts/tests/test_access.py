"""What a staff page does with a case or file that does not exist. Who may open which page
is the permission matrix (test_permission_matrix.py). The cast: `coordinator` (holds the
intake key); the outsider is anonymous and covered by the matrix."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from solidarity.cases.models import Attachment
from solidarity.testing.builders import jpeg_with_metadata
from solidarity.testing.factories import log_in, make_application, make_org, make_staff


@pytest.fixture
def case(db):
    make_org()
    receipt = make_application(
        files={"proof_files": [SimpleUploadedFile("id.jpg", jpeg_with_metadata())]}
    )
    return receipt.case_code


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
