from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from solidarity.accounts.models import User
from solidarity.cases import disclosure
from solidarity.cases import services as cases
from solidarity.cases.models import Case, MessageTemplate, Programme, Stage
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
    """The queue's filters. Invalid values are dropped, never an error page."""

    programme = forms.ChoiceField(
        label=_("Programme"),
        choices=[("", _("All programmes")), *Programme.choices],
        required=False,
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All statuses")), *Case.Status.choices], required=False
    )
    flag = forms.ChoiceField(label=_("Flag"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    received_after = forms.DateField(
        label=_("Received on or after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_before = forms.DateField(
        label=_("Received on or before"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    cursor = forms.CharField(max_length=40, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, assignees=(), flag_kinds=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Anyone or no one")),
            (cases.UNASSIGNED, _("Not assigned")),
            *[(str(user.pk), user.username) for user in assignees],
        ]
        if flag_kinds:
            self.fields["flag"].choices = [("", _("Any or none")), *flag_kinds]
        else:
            del self.fields["flag"]

    def filters(self) -> cases.QueueFilters:
        """The valid filters; a field with an invalid value counts as not set."""
        self.is_valid()
        data = {
            name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors
        }
        assignee = data.get("assignee") or None
        if assignee and assignee != cases.UNASSIGNED:
            assignee = int(assignee)
        return cases.QueueFilters(
            programme=data.get("programme") or "",
            status=data.get("status") or "",
            flag=data.get("flag") or "",
            assignee=assignee,
            received_after=data.get("received_after"),
            received_before=data.get("received_before"),
        )

    def page_cursor(self) -> cases.Cursor | None:
        return cases.Cursor.parse(self.data.get("cursor", ""))


def _assignee_choices(assignees) -> list[tuple[str, str]]:
    return [(str(user.pk), f"{user.username} · {user.get_role_display()}") for user in assignees]


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int)

    def __init__(self, *args, assignees=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = _assignee_choices(assignees)


class BulkAssignForm(AssignForm):
    case = forms.TypedMultipleChoiceField(label=_("Cases"), coerce=int)
    back = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Any case id may be posted; the service checks each exists and opens it.
        self.fields["case"].choices = [
            (value, value) for value in (self.data.getlist("case") if self.data else [])
        ]


class StaffMessageForm(forms.Form):
    # A plain field with a menu: a template id that is not on the menu (another stage, since
    # deactivated) gets its own clear error from clean_template, not "not a valid choice".
    template = forms.CharField(
        label=_("Template"),
        required=False,
        widget=forms.Select,
        help_text=_(
            "Its text comes first, then anything you write below. Before verification only "
            "templates for that stage may be sent."
        ),
    )
    body = forms.CharField(
        label=_("Message to the applicant"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
    )
    files = MultipleFileField(label=_("Attach files"), required=False)
    override_reason = forms.CharField(
        label=_("Reason to send it anyway (coordinators)"),
        max_length=disclosure.MAX_REASON_CHARS,
        required=False,
        help_text=_(
            "Only if the message was refused for naming operational details before "
            "verification. Kept in the audit log in clear: name no one."
        ),
    )

    def __init__(self, *args, case: Case | None = None, user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        templates = disclosure.templates_for(case) if case is not None else []
        # Every active template may be posted (the stage is checked in clean and again in
        # the service); the menu offers only those for the case's stage.
        self.fields["template"].widget.choices = [
            ("", _("— none, free text")),
            *[(t.pk, f"{t.title} · {t.get_language_display()}") for t in (templates or [])],
        ]
        self._posted_templates = {t.pk: t for t in MessageTemplate.objects.filter(active=True)}
        if user is None or not user.is_coordinator:
            del self.fields["override_reason"]

    def clean_template(self):
        value = self.data.get("template") or ""
        if not value:
            return None
        try:
            template = self._posted_templates[int(value)]
        except (KeyError, ValueError):
            raise forms.ValidationError(_("This template is no longer in use.")) from None
        if (
            template.stage == Stage.AFTER_VERIFICATION
            and self.case is not None
            and not disclosure.is_verified(self.case)
        ):
            raise forms.ValidationError(
                _("“%(title)s” is for verified cases only; this case is not verified.")
                % {"title": template.title}
            )
        return template.pk

    def clean_files(self):
        cleaned = clean_uploads(self.cleaned_data.get("files") or [], "message", accept=ANY)
        if len(cleaned) > settings.MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(n)s files.") % {"n": settings.MAX_ATTACHMENTS}
            )
        return cleaned

    def clean(self):
        data = super().clean()
        if not data.get("body", "").strip() and not data.get("files") and not data.get("template"):
            if "template" in self.errors:
                return data
            raise forms.ValidationError(_("Write a message or attach a file."))
        return data


class InviteForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("A pseudonym, never a legal name: staff lists are seized too."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=User.Role.choices)


class EnrolForm(forms.Form):
    passphrase = forms.CharField(
        label=_("Choose a passphrase"),
        max_length=MAX_PASSPHRASE_LENGTH,
        strip=False,
        help_text=_(
            "At least 14 characters: four or more words you can remember. It signs you in "
            "and unlocks your key; nobody can reset it for you."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    passphrase_again = forms.CharField(
        label=_("The same passphrase again"),
        max_length=MAX_PASSPHRASE_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("passphrase") != data.get("passphrase_again"):
            raise forms.ValidationError(_("The two passphrases differ."))
        return data


class RevokeForm(forms.Form):
    confirm = forms.CharField(
        label=_("Type the username to confirm"),
        max_length=150,
    )

    def __init__(self, *args, username: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.username = username

    def clean_confirm(self):
        value = self.cleaned_data["confirm"].strip()
        if value != self.username:
            raise forms.ValidationError(_("This is not the username of the account."))
        return value
