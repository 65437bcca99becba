from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from solidarity.screening import abuser_csv


class AbuserListForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of the abuser list"),
        help_text=_(
            "UTF-8 CSV with a heading row: name, service_number, unit, note. "
            "Every row is checked; nothing is stored if one is wrong."
        ),
    )
    replace = forms.BooleanField(
        label=_("Replace the whole list (otherwise the people in the file are added)"),
        required=False,
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if getattr(upload, "too_large", False) or upload.size > abuser_csv.MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.")
                % {"mb": abuser_csv.MAX_BYTES // (1024 * 1024)}
            )
        return upload.read()


class FlagDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("confirm", _("Confirm")),
            ("clear", _("Clear")),
            ("reopen", _("Reopen")),
        ]
    )
