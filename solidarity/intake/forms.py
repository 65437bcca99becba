"""The application form: one definition of what a valid application is, for web and bot."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from solidarity.cases.models import Programme
from solidarity.intake.sanitize import RejectedFileError, clean_file, is_video
from solidarity.lib.forms import AmountField

CURRENCIES = [("BYN", "BYN"), ("USD", "USD"), ("EUR", "EUR")]
# Larger than any contract-break debt we have seen (up to $25,000) by a wide margin, small
# enough that a typo of extra zeros is caught.
MAX_AMOUNT = Decimal("10000000")


SITUATIONS = {
    Programme.SECURITY_FORCES: [
        ("quit", _("I have quit the service")),
        ("want_to_quit", _("I want to quit")),
        ("fired", _("I was dismissed")),
    ],
    Programme.WORKERS: [
        ("fired", _("I was fired")),
        ("strike", _("I am on strike")),
    ],
    Programme.REPRESSION: [
        ("repressed", _("I lost my income because of repression")),
    ],
}

NEEDS = [
    ("money", _("Money to live on and pay debts")),
    ("legal", _("Legal help")),
    ("retraining", _("Retraining")),
    ("job", _("A new job")),
    ("relocation", _("Help with relocation")),
]

CONTACT_KINDS = [
    ("", _("No contact: I will check the status page myself")),
    ("telegram", "Telegram"),
    ("signal", "Signal"),
]

ATTACHMENT_KINDS = {
    "proof_files": _("Service ID or other proof of employment"),
    "papers_files": _("Resignation or dismissal papers"),
    "video_file": _("Video statement"),
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


def _amount_field(label):
    return AmountField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_value=MAX_AMOUNT,
        max_digits=12,
        decimal_places=2,
    )


def _currency_field():
    return forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="USD", required=False)


DOCUMENTS, VIDEO, ANY = "documents", "video", "any"


def clean_uploads(uploads: list, kind: str, *, accept: str) -> list[dict]:
    """Check, identify by content and strip each upload. Raises ValidationError naming the file."""
    cleaned = []
    for upload in uploads:
        first_limit = (
            settings.MAX_ATTACHMENT_BYTES if accept == DOCUMENTS else settings.MAX_VIDEO_BYTES
        )
        if getattr(upload, "too_large", False) or upload.size > first_limit:
            raise _too_large(upload.name, first_limit)
        try:
            result = clean_file(upload.read())
        except RejectedFileError as exc:
            raise forms.ValidationError(
                _("“%(name)s”: %(reason)s"), params={"name": upload.name, "reason": str(exc)}
            ) from None
        video = is_video(result.content_type)
        if accept == VIDEO and not video:
            raise forms.ValidationError(
                _("“%(name)s” is not a video. Put photos and PDFs in the fields above."),
                params={"name": upload.name},
            )
        if accept == DOCUMENTS and video:
            raise forms.ValidationError(
                _("“%(name)s” is a video. Put it in the video field."), params={"name": upload.name}
            )
        if not video and upload.size > settings.MAX_ATTACHMENT_BYTES:
            raise _too_large(upload.name, settings.MAX_ATTACHMENT_BYTES)
        cleaned.append({"kind": kind, "name": upload.name[:200], "file": result})
    return cleaned


def _too_large(name: str, limit: int) -> forms.ValidationError:
    return forms.ValidationError(
        _("The file “%(name)s” is too large: the limit is %(mb)s MB."),
        params={"name": name, "mb": limit // (1024 * 1024)},
    )


class ApplicationForm(forms.Form):
    programme = forms.ChoiceField(
        label=_("Who are you?"), choices=Programme.choices, widget=forms.RadioSelect
    )
    situation = forms.ChoiceField(
        label=_("Your situation"),
        choices=[(f"{p}:{k}", v) for p, items in SITUATIONS.items() for k, v in items],
        widget=forms.RadioSelect,
    )
    employer = forms.CharField(
        label=_("Agency or employer"),
        max_length=300,
        help_text=_("For example: the unit, department or factory. You may be general."),
    )
    role = forms.CharField(label=_("Your role or rank"), max_length=300, required=False)
    # Optional: lets screening find the same officer applying twice, or a listed abuser. It
    # is sealed like every answer and compared only as a keyed hash.
    service_number = forms.CharField(
        label=_("Service ID or badge number"),
        max_length=40,
        required=False,
        help_text=_(
            "Optional. It helps us check your application; it is sealed like everything else."
        ),
    )
    since = forms.DateField(
        label=_("Since when (date you quit, were dismissed or went on strike)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    debt_contract = _amount_field(_("Contract-break penalty you owe"))
    debt_contract_currency = _currency_field()
    debt_loans = _amount_field(_("Loans you owe"))
    debt_loans_currency = _currency_field()
    debt_other = _amount_field(_("Other debts"))
    debt_other_currency = _currency_field()
    income_lost = _amount_field(_("Monthly income you lost"))
    income_lost_currency = _currency_field()
    dependants = forms.IntegerField(
        label=_("How many people depend on your income?"),
        required=False,
        validators=[MinValueValidator(0), MaxValueValidator(30)],
    )
    needs = forms.MultipleChoiceField(
        label=_("What do you need?"),
        choices=NEEDS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    skills = forms.CharField(
        label=_("Your skills and education"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    languages = forms.CharField(label=_("Languages you speak"), max_length=300, required=False)
    contact_kind = forms.ChoiceField(
        label=_("How may we reach you?"), choices=CONTACT_KINDS, required=False
    )
    contact_handle = forms.CharField(
        label=_("Your Telegram username or Signal number or username"),
        max_length=100,
        required=False,
        help_text=_("Only if you chose a way to reach you. It is sealed like everything else."),
    )
    story = forms.CharField(
        label=_("Your story in your own words"),
        min_length=20,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "What happened, what you need, anything that helps us check it. Do not name other people who could be hurt."
        ),
    )
    proof_files = MultipleFileField(label=ATTACHMENT_KINDS["proof_files"], required=False)
    papers_files = MultipleFileField(label=ATTACHMENT_KINDS["papers_files"], required=False)
    video_file = forms.FileField(
        label=ATTACHMENT_KINDS["video_file"],
        required=False,
        help_text=_(
            "A video keeps its metadata: it can hold the phone model, the date and the place it was filmed. We do not change videos. Film it somewhere that cannot be recognised, or leave it out."
        ),
    )
    # A field people never see (hidden by CSS and labelled for screen readers); bots fill it.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def clean_since(self):
        value = self.cleaned_data.get("since")
        if value and value > timezone.localdate() + datetime.timedelta(days=366):
            raise forms.ValidationError(_("This date is too far in the future."))
        if value and value.year < 1950:
            raise forms.ValidationError(_("This date is too far in the past."))
        return value

    def clean_contact_handle(self):
        handle = self.cleaned_data.get("contact_handle", "").strip()
        kind = self.data.get("contact_kind", "")
        if not handle:
            return ""
        if kind == "telegram" and not re.fullmatch(r"@?[A-Za-z0-9_]{5,32}", handle):
            raise forms.ValidationError(
                _("A Telegram username has 5 to 32 letters, digits or underscores.")
            )
        if kind == "signal" and not re.fullmatch(r"(\+?[0-9 ]{7,20}|[A-Za-z0-9_.]{3,40})", handle):
            raise forms.ValidationError(
                _("Enter a phone number with country code, or a Signal username.")
            )
        return handle

    def clean_proof_files(self):
        return clean_uploads(
            self.cleaned_data.get("proof_files") or [], "proof_files", accept=DOCUMENTS
        )

    def clean_papers_files(self):
        return clean_uploads(
            self.cleaned_data.get("papers_files") or [], "papers_files", accept=DOCUMENTS
        )

    def clean_video_file(self):
        upload = self.cleaned_data.get("video_file")
        return clean_uploads([upload] if upload else [], "video_file", accept=VIDEO)

    def clean(self):
        data = super().clean()
        programme = data.get("programme")
        situation = data.get("situation")
        if programme and situation and not situation.startswith(f"{programme}:"):
            self.add_error("situation", _("Choose a situation that matches who you are."))
        if data.get("contact_handle") and not data.get("contact_kind"):
            self.add_error(
                "contact_kind", _("Choose Telegram or Signal, or leave the handle empty.")
            )
        if data.get("contact_kind") and not data.get("contact_handle"):
            self.add_error(
                "contact_handle", _("Enter your username or number, or choose no contact.")
            )
        files = [
            *(data.get("proof_files") or []),
            *(data.get("papers_files") or []),
            *(data.get("video_file") or []),
        ]
        if len(files) > settings.MAX_ATTACHMENTS + 1:
            self.add_error(
                None, _("Attach at most %(n)s files.") % {"n": settings.MAX_ATTACHMENTS + 1}
            )
        return data

    def attachments(self) -> list[dict]:
        d = self.cleaned_data
        return [*d.get("proof_files", []), *d.get("papers_files", []), *d.get("video_file", [])]

    def answers(self) -> dict:
        """The answers to seal: everything but the files and the honeypot, as JSON-safe values."""
        out = {}
        for name, value in self.cleaned_data.items():
            if name in ATTACHMENT_KINDS or name == "website":
                continue
            if isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, datetime.date):
                value = value.isoformat()
            out[name] = value
        return out


class ReceiptForm(forms.Form):
    rejected_message = _("This code and passphrase do not match. Check them and try again.")

    # A shared phone must not offer to remember or "correct" the receipt.
    code = forms.CharField(
        label=_("Case code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    passphrase = forms.CharField(
        label=_("Passphrase"),
        max_length=300,
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
        ),
    )


class ApplicantMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message or new information"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    files = MultipleFileField(label=_("Add files"), required=False)

    def clean_files(self):
        out = clean_uploads(self.cleaned_data.get("files") or [], "message", accept=ANY)
        if len(out) > settings.MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(n)s files.") % {"n": settings.MAX_ATTACHMENTS}
            )
        return out

    def clean(self):
        data = super().clean()
        if not data.get("body", "").strip() and not data.get("files"):
            raise forms.ValidationError(_("Write a message or add a file."))
        return data
