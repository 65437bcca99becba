"""How sealed answers are shown on the case page."""

from __future__ import annotations

from django.utils import translation

from solidarity.accounts.display import answer_rows


def test_a_bot_applicants_chat_id_is_shown_as_a_fact_not_a_number():
    with translation.override("en"):
        rows = answer_rows({"story": "I refused the order.", "telegram_chat_id": 987654321})
    assert ("Replies also go to Telegram", "Yes") in rows
    assert not any("987654321" in text for _label, text in rows)


def test_answers_the_form_does_not_know_are_still_shown():
    with translation.override("en"):
        rows = answer_rows({"story": "x" * 30, "note_from_a_later_version": "kept"})
    assert ("note_from_a_later_version", "kept") in rows


def test_amounts_are_written_the_way_the_reader_writes_them():
    answers = {"debt_contract": "12500", "debt_contract_currency": "USD"}
    with translation.override("en"):
        assert dict(answer_rows(answers))["Contract-break penalty you owe"] == "$12,500.00"
    with translation.override("ru"):
        (text,) = [text for _label, text in answer_rows(answers)]
    assert text == "12\xa0500,00\xa0$"


def test_an_amount_that_is_not_a_number_is_shown_as_typed():
    # An answer sealed by an older version of the form, say
    with translation.override("en"):
        rows = answer_rows({"debt_contract": "about 12k", "debt_contract_currency": "USD"})
    assert [text for _label, text in rows] == ["about 12k USD"]
