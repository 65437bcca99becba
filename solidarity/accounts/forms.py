from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from solidarity.cases.models import Case, Programme
from solidarity.intake.forms import ANY, MultipleFileField, clean_uploads
from solidarity.vault.core import MAX_PASSPHRASE_LENGTH


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    passphrase = forms.CharField(
        label=_("Passphrase"),
        max_length=MAX_PASSPHRASE_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


class UnlockForm(forms.Form):
    passphrase = forms.CharField(
        label=_("Passphrase"),
        max_length=MAX_PASSPHRASE_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )


class QueueFilterForm(forms.Form):
    programme = forms.ChoiceField(
        label=_("Programme"),
        choices=[("", _("All programmes")), *Programme.choices],
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *Case.Status.choices], required=False
    )
    before = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class StaffMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message to the applicant"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    files = MultipleFileField(label=_("Attach files"), required=False)

    def clean_files(self):
        cleaned = clean_uploads(self.cleaned_data.get("files") or [], "message", accept=ANY)
        if len(cleaned) > settings.MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(n)s files.") % {"n": settings.MAX_ATTACHMENTS}
            )
        return cleaned

    def clean(self):
        data = super().clean()
        if not data.get("body", "").strip() and not data.get("files"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return data
