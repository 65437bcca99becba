"""Amounts are read the way the applicant or staff member writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from solidarity.intake.forms import ApplicationForm
from solidarity.lib.forms import AmountField


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("be", "1234,50", Decimal("1234.50")),
        ("be", "1 234,50", Decimal("1234.50")),
        ("be", "12\xa0500", Decimal("12500")),
        ("ru", "12\u202f500,5", Decimal("12500.5")),
        ("ru", "1234.50", Decimal("1234.50")),
        ("be", " 800 ", Decimal("800")),
        ("en", "1234.50", Decimal("1234.50")),
        ("en", "12 500", Decimal("12500")),
    ],
)
def test_an_amount_is_read_as_the_reader_writes_it(language, typed, expected):
    with translation.override(language):
        assert AmountField(decimal_places=2).clean(typed) == expected


@pytest.mark.parametrize(("language", "typed"), [("be", "12,50,0"), ("ru", "abc"), ("en", "1,5")])
def test_what_is_not_an_amount_gets_a_translated_error(language, typed):
    field = AmountField(decimal_places=2)
    with translation.override(language):
        with pytest.raises(ValidationError) as refused:
            field.clean(typed)
        message = " ".join(refused.value.messages)
        expected = translation.gettext("Enter a number.")
    assert message == expected
    if language != "en":
        assert message != "Enter a number."


def test_the_form_offers_a_phone_its_number_keyboard_and_no_number_box():
    field = next(
        name for name, f in ApplicationForm.base_fields.items() if isinstance(f, AmountField)
    )
    html = str(ApplicationForm()[field])
    assert 'inputmode="decimal"' in html
    assert 'type="text"' in html
