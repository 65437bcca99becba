from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        label=_("Action starts with"),
        max_length=64,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "case."}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=64, required=False)
    before = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
