"""Who may open which staff page: one table, every staff URL, every role.

The cast, each signed in with both factors and the vault unlocked (except `anonymous`):

    anonymous          nobody signed in
    coordinator        alice, holds the intake key: the queue, every case, staff management
    volunteer_granted  victor, a volunteer the case is assigned to (he holds its access grant)
    volunteer          otto, a volunteer without a grant for the case
    treasurer, job_coach, trustee
                       staff whose roles open no case
    admin              manages staff accounts; opens no case

Every URL name in the "staff" namespace (nested ones included, e.g. "staff:screening:…")
and in "oversight" (insider limits, also under /staff/) must have a row: `test_every_staff_url_is_in_the_matrix` fails for a new view until someone
decides, here, who may use it. Statuses are written in the order of ROLES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from solidarity.accounts import team
from solidarity.accounts import urls as staff_urls
from solidarity.accounts.models import User
from solidarity.audit.models import AuditEvent
from solidarity.cases import access, disclosure
from solidarity.cases.models import Attachment, Case, MessageTemplate
from solidarity.oversight import urls as oversight_urls
from solidarity.testing.builders import jpeg_with_metadata
from solidarity.testing.factories import (
    DEFAULT_PASSPHRASE,
    log_in,
    make_application,
    make_org,
    make_staff,
    totp_code,
)
from solidarity.vault import keyring

ROLES = (
    "anonymous",
    "coordinator",
    "volunteer_granted",
    "volunteer",
    "treasurer",
    "job_coach",
    "trustee",
    "admin",
)


class World:
    """What the URLs of one test need, made on first use (each test gets a fresh world)."""

    @cached_property
    def org(self):
        return make_org()

    @cached_property
    def coordinator(self):
        self.org  # noqa: B018 - the organisation must exist first
        return make_staff(role="coordinator", username="alice")

    @cached_property
    def volunteer_granted(self):
        self.org  # noqa: B018
        return make_staff(role="volunteer", username="victor")

    def staff(self, role: str):
        if role == "coordinator":
            return self.coordinator
        if role == "volunteer_granted":
            self.case  # noqa: B018 - the case is assigned to him
            return self.volunteer_granted
        self.org  # noqa: B018
        name = {"volunteer": "otto"}.get(role, role.replace("_", ""))
        return make_staff(role=role, username=name)

    @cached_property
    def case(self) -> Case:
        self.coordinator  # noqa: B018
        receipt = make_application(
            files={"proof_files": [SimpleUploadedFile("id.jpg", jpeg_with_metadata())]}
        )
        case = Case.objects.get(code=receipt.case_code)
        alice = self.coordinator
        access.assign_case(
            case.pk,
            self.volunteer_granted.user,
            by=alice.user,
            staff_private_key=keyring.unlock_staff_key(alice.user, alice.passphrase),
        )
        case.refresh_from_db()
        return case

    @cached_property
    def attachment(self) -> Attachment:
        return Attachment.objects.get(case=self.case)

    @cached_property
    def invitation(self) -> team.Invitation:
        self.coordinator  # noqa: B018
        return team.invite_staff("newcomer", User.Role.VOLUNTEER, by=self.coordinator.user)

    @cached_property
    def enrolled(self) -> User:
        """A new volunteer who used their link and waits for approval."""
        invitation = self.invitation
        invite = team.find_invite(invitation.token)
        device = team.enrolment_device(invite)
        team.complete_enrolment(invitation.token, DEFAULT_PASSPHRASE, totp_code(device))
        return invitation.user

    @cached_property
    def rail(self):
        from solidarity.ledger import rail_register

        return rail_register.rail_for("bank", "LT", "BIC HABALT22")

    @cached_property
    def rekey_job(self):
        self.case  # noqa: B018
        leaver = make_staff(role="volunteer", username="leaver")
        return access.revoke_staff(leaver.user, by=self.coordinator.user)


@dataclass(frozen=True)
class Row:
    method: str
    statuses: str  # one status per role, in the order of ROLES
    args: Callable[[World], list] = lambda w: []
    data: Callable[[World], dict] = field(default=lambda w: {})

    def expected(self, role: str) -> int:
        return int(self.statuses.split()[ROLES.index(role)])


def _case(w: World) -> list:
    return [w.case.code]


def _seeded_template() -> int:
    return MessageTemplate.objects.order_by("id").values_list("id", flat=True)[0]


#                      anonymous  coordinator  volunteer_granted  volunteer  treasurer
#                      job_coach  trustee  admin
MATRIX: dict[str, Row] = {
    # signing in and out
    "staff:login": Row("get", "200 302 302 302 302 302 302 302"),
    "staff:logout": Row("post", "302 302 302 302 302 302 302 302"),
    "staff:unlock": Row("get", "302 302 302 302 302 302 302 302"),
    "staff:lock": Row("post", "302 302 302 302 302 302 302 302"),
    "staff:enrol": Row("get", "200 200 200 200 200 200 200 200", lambda w: [w.invitation.token]),
    # the queues
    # Everyone else is sent to the page of their role; a trustee has none.
    "staff:queue": Row("get", "302 200 302 302 302 302 403 302"),
    "staff:my_cases": Row("get", "302 302 200 200 403 403 403 403"),
    "staff:bulk_assign": Row(
        "post",
        "302 302 403 403 403 403 403 403",
        data=lambda w: {"case": [w.case.pk], "assignee": w.coordinator.user.pk},
    ),
    # one case
    "staff:case": Row("get", "302 200 200 403 403 403 403 403", _case),
    "staff:case_file": Row(
        "get", "302 200 200 403 403 403 403 403", lambda w: [w.case.code, w.attachment.pk]
    ),
    "staff:case_assign": Row(
        "post",
        "302 302 403 403 403 403 403 403",
        _case,
        lambda w: {"assignee": w.coordinator.user.pk},
    ),
    "staff:case_unassign": Row("post", "302 302 403 403 403 403 403 403", _case),
    # verification (solidarity/cases/urls.py)
    "staff:verification_item": Row(
        "post",
        "302 302 302 403 403 403 403 403",
        lambda w: [w.case.code, "service_id"],
        lambda w: {"done": "on", "note": "Seen"},
    ),
    "staff:verification_decision": Row(
        "post",
        "302 302 403 403 403 403 403 403",
        _case,
        lambda w: {"outcome": "more_info", "message": "Please send your papers."},
    ),
    # The volunteer working the case may take it under review; only coordinators decide.
    "staff:verification_status": Row(
        "post", "302 302 302 403 403 403 403 403", _case, lambda w: {"action": "resume"}
    ),
    "staff:audit": Row("get", "302 200 403 403 403 403 403 403"),
    # staged disclosure: templates and operational terms are coordinators' alone
    "staff:message_templates": Row("get", "302 200 403 403 403 403 403 403"),
    "staff:message_template_add": Row("get", "302 200 403 403 403 403 403 403"),
    "staff:message_template_edit": Row(
        "get", "302 200 403 403 403 403 403 403", lambda w: [_seeded_template()]
    ),
    "staff:message_template_deactivate": Row(
        "post", "302 302 403 403 403 403 403 403", lambda w: [_seeded_template()]
    ),
    "staff:operational_terms": Row("get", "302 200 403 403 403 403 403 403"),
    "staff:operational_term_deactivate": Row(
        "post",
        "302 302 403 403 403 403 403 403",
        lambda w: [disclosure.add_term("Revolut", "payment_rail", by=w.coordinator.user).pk],
    ),
    # screening (solidarity/screening/urls.py)
    "staff:screening:overview": Row("get", "302 200 403 403 403 403 403 403"),
    "staff:screening:run": Row("post", "302 302 403 403 403 403 403 403"),
    "staff:screening:abuser_list": Row("get", "302 200 403 403 403 403 403 403"),
    # No file: the coordinator gets the form back with its error.
    "staff:screening:import": Row("post", "302 400 403 403 403 403 403 403"),
    "staff:screening:case": Row("post", "302 302 403 403 403 403 403 403", _case),
    # No such flag: the coordinator is told so; nobody else learns whether it exists.
    "staff:screening:decide": Row(
        "post", "302 404 403 403 403 403 403 403", lambda w: [999_999], lambda w: {}
    ),
    # staff management
    "staff:people": Row("get", "302 200 403 403 403 403 403 200"),
    "staff:person_add": Row("get", "302 200 403 403 403 403 403 200"),
    "staff:person_approve": Row(
        "post", "302 302 403 403 403 403 403 302", lambda w: [w.enrolled.pk]
    ),
    "staff:person_revoke": Row(
        "get", "302 200 403 403 403 403 403 200", lambda w: [w.volunteer_granted.user.pk]
    ),
    "staff:rekey_job": Row("get", "302 200 403 403 403 403 403 200", lambda w: [w.rekey_job.pk]),
    # insider limits (solidarity/oversight/urls.py): coordinators only
    "oversight:alerts": Row("get", "302 200 403 403 403 403 403 403"),
    # No such alert: the coordinator is told so; nobody else learns whether it exists.
    "oversight:alert_acknowledge": Row(
        "post", "302 404 403 403 403 403 403 403", lambda w: [999_999]
    ),
    "oversight:grants": Row("get", "302 200 403 403 403 403 403 403"),
    # Not even the volunteer holding the grant renews it.
    "oversight:grant_renew": Row(
        "post",
        "302 302 403 403 403 403 403 403",
        lambda w: [w.case.code, w.volunteer_granted.user.pk],
    ),
    "oversight:exports": Row("get", "302 200 403 403 403 403 403 403"),
    "oversight:export_approve": Row("post", "302 404 403 403 403 403 403 403", lambda w: [999_999]),
    "oversight:export_cancel": Row("post", "302 404 403 403 403 403 403 403", lambda w: [999_999]),
    "oversight:export_download": Row(
        "post", "302 404 403 403 403 403 403 403", lambda w: [999_999]
    ),
}

# Money pages outside the "staff" namespace (solidarity/ledger/urls.py), row by row as above.
# Several rows may name one URL (one per method).
LEDGER_MATRIX: list[tuple[str, Row]] = [
    # The register of payout rails: treasurers and coordinators read it ...
    ("ledger:rails", Row("get", "302 200 403 403 200 403 403 403")),
    # ... only treasurers change a status; a coordinator is sent back with the refusal
    # (test_rails checks the status did not change).
    (
        "ledger:rails",
        Row(
            "post",
            "302 302 403 403 302 403 403 403",
            data=lambda w: {"rail": w.rail.pk, "status": "suspect", "reason": "Matrix"},
        ),
    ),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "row"), LEDGER_MATRIX, ids=[f"{n}-{r.method}" for n, r in LEDGER_MATRIX]
)
def test_the_money_permission_matrix(db, client, name, row, role):
    world = World()
    if role != "anonymous":
        staff = world.staff(role)
        assert log_in(client, staff).status_code == 302

    url, response = _request(client, row, world, name)

    assert response.status_code == row.expected(role), (name, role, url)
    if role == "anonymous":
        assert response["Location"].startswith(reverse("staff:login")), url


# Pages a person without a session must reach: everything else redirects to the login.
OPEN_PAGES = {"staff:login", "staff:logout", "staff:enrol"}


def _names(patterns, prefix: str) -> list[str]:
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}:{pattern.namespace}" if pattern.namespace else prefix
            names.extend(_names(pattern.url_patterns, namespace))
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{prefix}:{pattern.name}")
    return names


# The oversight app's pages are under /staff/ too, in their own namespace.
STAFF_URL_NAMES = _names(staff_urls.urlpatterns, "staff") + _names(
    oversight_urls.urlpatterns, "oversight"
)


def test_every_staff_url_is_in_the_matrix():
    missing = sorted(set(STAFF_URL_NAMES) - set(MATRIX))
    assert not missing, f"add these views to MATRIX in {__name__}: {missing}"
    stale = sorted(set(MATRIX) - set(STAFF_URL_NAMES))
    assert not stale, f"these rows name no view any more: {stale}"


def _request(client: Client, row: Row, world: World, name: str):
    url = reverse(name, args=row.args(world))
    return url, getattr(client, row.method)(url, row.data(world))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_permission_matrix(db, client, name, role):
    row = MATRIX[name]
    world = World()
    if role != "anonymous":
        staff = world.staff(role)
        assert log_in(client, staff).status_code == 302

    url, response = _request(client, row, world, name)

    assert response.status_code == row.expected(role), (name, role, url)
    if role == "anonymous" and name not in OPEN_PAGES:
        assert response["Location"].startswith(reverse("staff:login")), url


@pytest.mark.parametrize("name", ["staff:case", "staff:case_file"])
@pytest.mark.parametrize("role", ["volunteer", "treasurer", "job_coach", "trustee", "admin"])
def test_a_refused_case_page_is_audited_and_shows_nothing_of_the_case(db, client, name, role):
    world = World()
    staff = world.staff(role)
    log_in(client, staff)

    _url, response = _request(client, MATRIX[name], world, name)

    assert response.status_code == 403
    assert "I refused to beat protesters" not in response.content.decode()
    assert AuditEvent.objects.filter(
        action="case.access_denied", actor=staff.user, subject=world.case.code
    ).exists()


@pytest.mark.parametrize("name", sorted(set(MATRIX) - OPEN_PAGES))
def test_the_passphrase_alone_without_the_second_factor_opens_nothing(db, client, name):
    world = World()
    client.force_login(world.coordinator.user)  # a session that never passed the TOTP check

    url, response = _request(client, MATRIX[name], world, name)

    assert response.status_code == 302, url
    assert response["Location"].startswith(reverse("staff:login")), url
