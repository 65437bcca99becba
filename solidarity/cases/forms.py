"""Forms of the verification panel. They check shape only; the rules are in verification.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from solidarity.cases.disclosure import MAX_TERM_CHARS
from solidarity.cases.models import Decision, MessageTemplate, OperationalTerm
from solidarity.cases.verification import MAX_NOTE_CHARS


class ChecklistItemForm(forms.Form):
    done = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Evidence note"),
        max_length=MAX_NOTE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you saw and where. Sealed: only people who can open the case read it."),
    )
    voucher_code = forms.CharField(label=_("Voucher's case code"), max_length=40, required=False)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Decision.Outcome.choices)
    reason_category = forms.ChoiceField(
        label=_("Reason category"),
        choices=Decision.ReasonCategory.choices,
        required=False,
        help_text=_("Kept in clear for statistics: it must not identify anyone."),
    )
    reason = forms.CharField(
        label=_("Reason (sealed, for the fund)"),
        max_length=MAX_NOTE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    send_reason = forms.BooleanField(
        label=_("Also send the reason to the applicant"), required=False
    )
    message = forms.CharField(
        label=_("Message to the applicant"),
        max_length=MAX_NOTE_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when asking for more information."),
    )


class StatusActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("resume", "resume"), ("reopen", "reopen"), ("close", "close")]
    )


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["title", "language", "stage", "body", "active"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "stage": _(
                "Before verification: nothing about payment rails, routes, staff or other "
                "cases. After verification: sent only on verified cases."
            ),
        }


class OperationalTermForm(forms.Form):
    term = forms.CharField(
        label=_("Word or phrase"),
        max_length=MAX_TERM_CHARS,
        strip=True,
        help_text=_(
            "Stored only as a keyed digest: nobody, you included, can read it back from this "
            "page. At most four words."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OperationalTerm.Kind.choices)
    prefix = forms.BooleanField(
        label=_("Also match words that begin with it (inflected forms)"),
        required=False,
        initial=True,
    )
