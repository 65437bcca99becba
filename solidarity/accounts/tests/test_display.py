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
