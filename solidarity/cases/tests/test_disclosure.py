"""Staged disclosure (issue 8): a provocateur who applies learns nothing operational before
verification. Played through the real case page, with the real verification path."""

from __future__ import annotations

import pytest
from django.urls import reverse

from solidarity.audit.models import AuditEvent
from solidarity.audit.services import verify_chain
from solidarity.cases import access, disclosure, verification
from solidarity.cases.models import Case, Message, MessageTemplate, OperationalTerm, Stage
from solidarity.cases.tests.conftest import make_case
from solidarity.cases.tests.test_verification import tick_all
from solidarity.intake.services import open_receipt, read_case_for_applicant
from solidarity.testing.factories import log_in

RAIL = "Revolut"  # a payment rail the fund uses
COURIER = "Taras Kupala"  # a staff member's real name


def _template(stage: str) -> MessageTemplate:
    return MessageTemplate.objects.filter(stage=stage, language="en", active=True).first()


def _post(client, case: Case, **data):
    return client.post(reverse("staff:case", args=[case.code]), data)


def _verify(case: Case, coordinator) -> None:
    tick_all(case, coordinator)
    verification.decide_case(
        case, by=coordinator.user, staff_key=coordinator.key, outcome="verified"
    )
    case.refresh_from_db()
    assert case.status == Case.Status.VERIFIED


def _applicant_reads(receipt) -> list[str]:
    case, key = open_receipt(receipt.case_code, receipt.passphrase, client="test-applicant")
    return [m["body"] for m in read_case_for_applicant(case, key).messages]


@pytest.fixture
def terms(coordinator):
    disclosure.add_term(RAIL, OperationalTerm.Kind.PAYMENT_RAIL, by=coordinator.user)
    disclosure.add_term(COURIER, OperationalTerm.Kind.STAFF_NAME, by=coordinator.user)


def test_the_migration_seeds_templates_for_both_stages_in_three_languages(db):
    seeded = set(MessageTemplate.objects.values_list("stage", "language"))
    assert {(s, lang) for s in Stage.values for lang in ("be", "ru", "en")} <= seeded


def test_a_post_verification_template_on_an_unverified_case_is_refused_by_the_page(
    client, coordinator, case, receipt
):
    # Given a provocateur's fresh application, and a coordinator on its page
    log_in(client, coordinator.staff)
    after = _template(Stage.AFTER_VERIFICATION)
    page = client.get(reverse("staff:case", args=[case.code])).content.decode()
    assert after.title not in page  # the menu offers only the templates for this stage

    # When the payment template is posted anyway
    response = _post(client, case, template=after.pk)

    # Then nothing is stored or sent, and the coordinator is told why
    assert response.status_code == 200
    assert "is for verified cases only; this case is not verified" in response.content.decode()
    assert not Message.objects.filter(case=case).exists()
    assert _applicant_reads(receipt) == []


def test_the_service_refuses_it_too_and_records_the_refusal(coordinator, case):
    from solidarity.accounts import services

    with pytest.raises(disclosure.TemplateStageError):
        services.send_message(
            coordinator.user,
            case,
            coordinator.key,
            "",
            [],
            template_id=_template(Stage.AFTER_VERIFICATION).pk,
        )

    assert not Message.objects.filter(case=case).exists()
    assert AuditEvent.objects.filter(
        action="disclosure.refused", subject=case.code, details__why="template_stage"
    ).exists()


def test_after_verification_the_payment_template_is_sent(client, coordinator, case, receipt):
    _verify(case, coordinator)
    log_in(client, coordinator.staff)
    after = _template(Stage.AFTER_VERIFICATION)

    response = _post(client, case, template=after.pk, body=f"We pay through {RAIL}.")

    assert response.status_code == 302
    bodies = _applicant_reads(receipt)
    assert bodies[-1] == f"{after.body}\n\nWe pay through {RAIL}."


def test_a_before_verification_template_is_sent_on_a_new_case(client, coordinator, case, receipt):
    log_in(client, coordinator.staff)
    before = _template(Stage.BEFORE_VERIFICATION)

    response = _post(client, case, template=before.pk)

    assert response.status_code == 302
    assert _applicant_reads(receipt) == [before.body]


@pytest.mark.parametrize(
    "text",
    [
        "We usually pay through Revolut, so open an account.",
        "Send it to REVOLUTу card please",  # an inflected form, upper case
        "Our courier taras kupala will meet you.",  # a two-word staff name
    ],
)
def test_a_free_message_naming_a_term_is_refused_before_verification(
    client, coordinator, case, receipt, terms, text
):
    log_in(client, coordinator.staff)

    response = _post(client, case, body=text)

    assert response.status_code == 200
    assert "This case is not verified yet" in response.content.decode()
    assert not Message.objects.filter(case=case).exists()
    event = AuditEvent.objects.get(action="disclosure.refused", subject=case.code)
    assert event.details["why"] == "operational_terms"
    # The log names the kind of term, never the term.
    assert RAIL.lower() not in str(event.details).lower()


def test_a_message_naming_another_case_code_is_refused(client, coordinator, case, receipt):
    other = make_case()
    log_in(client, coordinator.staff)
    lower_no_dashes = other.code.replace("-", "").lower()

    for text in (
        f"Like case {other.code}, you will be fine.",
        f"ask {lower_no_dashes}",
        "Like ABCD-EFGH-JKMN",  # a made-up code, all letters, still shaped like one
    ):
        response = _post(client, case, body=text)
        assert response.status_code == 200
        assert "another case code" in response.content.decode()

    assert not Message.objects.filter(case=case).exists()
    # Its own code is not another case's.
    assert _post(client, case, body=f"Your case {case.code} is received.").status_code == 302


def test_a_word_sharing_only_a_few_letters_or_half_a_name_is_not_refused(coordinator, case, terms):
    # Stems match words they begin ("Revolutу"), but "revolt" does not begin with "revolut",
    # and half of a two-word name is not the name.
    assert disclosure.find_operational_terms("The revolt was long ago.", case) == []
    assert [f.kind for f in disclosure.find_operational_terms("Taras came", case)] == []


def test_a_coordinator_may_override_with_a_reason_which_is_audited(
    client, coordinator, case, receipt, terms
):
    log_in(client, coordinator.staff)
    text = "Open a Revolut account now; the wait is long."

    response = _post(
        client, case, body=text, override_reason="Applicant in danger, board agreed on call"
    )

    assert response.status_code == 302
    assert _applicant_reads(receipt) == [text]
    message = Message.objects.get(case=case)
    event = AuditEvent.objects.get(action="disclosure.override", subject=case.code)
    assert event.actor == coordinator.user
    assert event.details == {
        "message": message.pk,
        "kinds": ["payment_rail"],
        "reason": "Applicant in danger, board agreed on call",
    }
    assert verify_chain().ok


def test_a_volunteer_may_not_override(client, coordinator, volunteer, case, terms):
    access.assign_case(
        case.pk, volunteer.user, by=coordinator.user, staff_private_key=coordinator.key
    )
    log_in(client, volunteer.staff)

    page = client.get(reverse("staff:case", args=[case.code])).content.decode()
    assert "override_reason" not in page
    response = _post(client, case, body="Pay by Revolut", override_reason="I think it is fine")

    assert response.status_code == 200
    assert not Message.objects.filter(case=case).exists()
    with pytest.raises(disclosure.OverrideNotAllowedError):
        disclosure.clear_message(case, "Pay by Revolut", by=volunteer.user, override_reason="x")


def test_after_verification_free_text_naming_terms_is_sent(client, coordinator, case, terms):
    _verify(case, coordinator)
    log_in(client, coordinator.staff)

    assert _post(client, case, body="We pay through Revolut.").status_code == 302
    assert not AuditEvent.objects.filter(action="disclosure.refused").exists()


def test_a_question_with_a_decision_is_checked_too(coordinator, case, terms):
    with pytest.raises(verification.InvalidDecisionError):
        verification.decide_case(
            case,
            by=coordinator.user,
            staff_key=coordinator.key,
            outcome="more_info",
            message="Do you have a Revolut card?",
        )
    case.refresh_from_db()
    assert case.status == Case.Status.NEW


def test_the_terms_are_kept_only_as_digests(client, coordinator, terms):
    log_in(client, coordinator.staff)

    page = client.get(reverse("staff:operational_terms")).content.decode()

    assert RAIL not in page
    assert COURIER not in page
    for row in OperationalTerm.objects.all():
        assert RAIL.lower().encode() not in bytes(row.term_digest)
    events = AuditEvent.objects.filter(action="disclosure.term_added")
    assert events.count() == 2
    assert RAIL not in str(list(events.values_list("details", flat=True)))


def test_coordinators_manage_templates_through_the_pages(client, coordinator):
    log_in(client, coordinator.staff)

    response = client.post(
        reverse("staff:message_template_add"),
        {
            "title": "Interview",
            "language": "en",
            "stage": "before",
            "body": "Are you safe?",
            "active": "on",
        },
    )
    assert response.status_code == 302
    added = MessageTemplate.objects.get(title="Interview")
    assert added.active
    client.post(
        reverse("staff:message_template_edit", args=[added.pk]),
        {
            "title": "Interview",
            "language": "ru",
            "stage": "before",
            "body": "Вы в безопасности?",
            "active": "on",
        },
    )
    client.post(reverse("staff:message_template_deactivate", args=[added.pk]))

    added.refresh_from_db()
    assert (added.language, added.active) == ("ru", False)
    actions = list(
        AuditEvent.objects.filter(subject=str(added.pk), action__startswith="disclosure.template")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "disclosure.template_added",
        "disclosure.template_changed",
        "disclosure.template_deactivated",
    ]


def test_a_bad_template_form_is_refused_with_reasons(client, coordinator):
    log_in(client, coordinator.staff)

    response = client.post(reverse("staff:message_template_add"), {"title": "", "stage": "x"})

    assert response.status_code == 400
    assert MessageTemplate.objects.filter(title="").count() == 0


def test_a_deactivated_template_cannot_be_sent(client, coordinator, case):
    before = _template(Stage.BEFORE_VERIFICATION)
    disclosure.deactivate_template(before, by=coordinator.user)
    log_in(client, coordinator.staff)

    response = _post(client, case, template=before.pk)

    assert response.status_code == 200
    assert "no longer in use" in response.content.decode()


def test_a_term_too_long_is_refused_with_a_reason(client, coordinator):
    log_in(client, coordinator.staff)

    response = client.post(
        reverse("staff:operational_terms"),
        {"term": "one two three four five", "kind": "route"},
    )

    assert response.status_code == 400
    assert "at most 4 words" in response.content.decode()
    assert not OperationalTerm.objects.exists()


def test_a_deactivated_term_is_no_longer_checked(coordinator, case, terms):
    rail = next(
        t for t in OperationalTerm.objects.all() if t.kind == OperationalTerm.Kind.PAYMENT_RAIL
    )
    disclosure.deactivate_term(rail, by=coordinator.user)

    assert disclosure.find_operational_terms("Pay by Revolut", case) == []


def test_a_seized_database_holds_no_term_in_clear(client, coordinator, case):
    """Seizure: the staff name and the rail typed on the terms page, and the message that was
    refused for naming them, appear in no byte of any table (audit log included)."""
    from solidarity.ledger.tests.test_seizure import _encodings, _raw_tables

    name = "Канарэйка Ўладзімірава"
    rail = "CanaryRailX7Q"
    log_in(client, coordinator.staff)
    for term, kind in ((name, "staff_name"), (rail, "payment_rail")):
        response = client.post(reverse("staff:operational_terms"), {"term": term, "kind": kind})
        assert response.status_code == 302
    refused = _post(client, case, body=f"Ask {name} about {rail}, override me")
    assert refused.status_code == 200
    _post(client, case, body=f"Ask {name} about {rail}", override_reason="Agreed by the board")

    dump = _raw_tables()
    for canary in (name, rail, name.casefold(), rail.casefold()):
        for encoded in _encodings(canary):
            assert encoded not in dump, canary


def test_a_real_code_of_letters_only_is_caught_written_without_dashes(coordinator, case):
    # About one code in forty has no digit; written plainly it looks like a word.
    other = make_case()
    Case.objects.filter(pk=other.pk).update(code="ABCD-EFGH-JKMN")

    found = disclosure.find_operational_terms("please ask abcdefghjkmn about it", case)

    assert [f.kind for f in found] == ["case_code"]
    assert disclosure.find_operational_terms("please ask abcdefghjkmp about it", case) == []
