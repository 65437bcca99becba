from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from solidarity.oversight.exports import MAX_EXPORT_CASES, parse_case_codes
from solidarity.oversight.models import IdentityExport


class ExportRequestForm(forms.Form):
    case_codes = forms.CharField(
        label=_("Case codes"),
        help_text=_("Verified cases only, one code per line."),
        widget=forms.Textarea(attrs={"rows": 5, "autocomplete": "off"}),
        max_length=20 * MAX_EXPORT_CASES,
    )
    purpose = forms.ChoiceField(label=_("Purpose"), choices=IdentityExport.Purpose.choices)

    def clean_case_codes(self) -> list[str]:
        codes = parse_case_codes(self.cleaned_data["case_codes"])
        if not codes:
            raise forms.ValidationError(_("Enter at least one case code."))
        if len(codes) > MAX_EXPORT_CASES:
            raise forms.ValidationError(
                _("One export covers at most %(n)d cases.") % {"n": MAX_EXPORT_CASES}
            )
        return codes
