"""Every sealed column in the project says what it is sealed to (vault/sealed_fields.py).

Re-keying reseals what is listed as sealed to a case key, and revocation deletes what is
listed as a copy for a staff member's key. A new ``*_sealed`` or ``*_locked`` column that is
not listed would be skipped by both, silently: this test fails until it is listed.
"""

from __future__ import annotations

from django.apps import apps
from django.db import models

from solidarity.vault import sealed_fields


def _sealed_columns() -> set[tuple[str, str]]:
    found = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.BinaryField) and field.name.endswith(
                ("_sealed", "_locked")
            ):
                found.add((model._meta.label, field.name))
    return found


def test_every_sealed_column_says_what_it_is_sealed_to():
    unlisted = sorted(c for c in _sealed_columns() if not sealed_fields.is_listed(*c))
    assert not unlisted, (
        "List these in solidarity/vault/sealed_fields.py (which key are they sealed to?): "
        f"{unlisted}"
    )


def test_every_listed_column_of_an_installed_app_exists():
    existing = _sealed_columns()
    for label, field in sealed_fields.SEALED_FIELDS:
        try:
            apps.get_model(label)
        except LookupError:
            continue  # an optional app that is not installed here
        assert (label, field) in existing, f"{label}.{field} is listed but does not exist"


def test_models_sealed_to_a_case_key_reach_their_case_by_a_field_named_case():
    for columns in sealed_fields.case_sealed():
        if columns.model._meta.label == "cases.Case":
            continue
        field = columns.model._meta.get_field("case")
        assert field.related_model._meta.label == "cases.Case", columns.model


def test_models_holding_a_staff_copy_name_their_owner_user():
    for model in sealed_fields.staff_key_copies():
        assert model._meta.get_field("user").related_model._meta.label == "accounts.User"


def test_columns_resealed_by_a_hook_belong_to_an_app_with_a_hook():
    for (label, field), what in sealed_fields.SEALED_FIELDS.items():
        if what == sealed_fields.CASE_KEY_BY_HOOK:
            app_label = label.split(".")[0]
            assert app_label in sealed_fields.CASE_REKEY_HOOKS, f"{label}.{field}"
