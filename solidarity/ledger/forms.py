"""Forms of the money console. They check shape; the services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from solidarity.cases.models import Programme
from solidarity.ledger import forecast
from solidarity.ledger.models import Account, Campaign, PayoutRail, Rail, SupportKind
from solidarity.ledger.money import MAX_AMOUNT, Currency
from solidarity.ledger.plans import MAX_INCOME_MONTHS
from solidarity.lib.forms import AmountField

# Largest uploaded statement or confirmation file (bytes); the services check again.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def amount_field(label, *, required=True, allow_zero=False):
    return AmountField(
        label=label,
        required=required,
        min_value=Decimal("0") if allow_zero else Decimal("0.01"),
        max_value=MAX_AMOUNT,
        max_digits=14,
        decimal_places=2,
    )


def date_field(label, *, required=True, initial=None):
    return forms.DateField(
        label=label,
        required=required,
        initial=initial,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class HeldAccountChoice(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Account.objects.filter(purpose=Account.Purpose.HELD).order_by("code"), **kwargs
        )

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.currency})"


class DonationForm(forms.Form):
    amount = amount_field(_("Amount"))
    held_account = HeldAccountChoice(label=_("Received into"))
    received_on = date_field(_("Received on"), initial=timezone.localdate)
    reference = forms.CharField(
        label=_("Bank reference"),
        required=False,
        max_length=100,
        help_text=_(
            "If there is one: the same reference is never recorded twice. Only a keyed "
            "digest of it is kept, so it cannot be matched to the donor's statement."
        ),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.all(), required=False
    )
    receipt_to = forms.EmailField(
        label=_("Send a receipt to"),
        required=False,
        help_text=_(
            "Only if the donor asked for a receipt. Leave empty for an anonymous donation."
        ),
    )
    payer_country = forms.CharField(
        label=_("Country of the donor's card or bank"),
        required=False,
        max_length=2,
        help_text=_(
            "Two letters (BY, RU...), if you know it. It is not stored: a donation from a "
            "high-risk country is only flagged, and you are told to warn the donor."
        ),
    )

    def clean_payer_country(self) -> str:
        value = self.cleaned_data["payer_country"].strip().upper()
        if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
            raise forms.ValidationError(_("Two letters, such as DE or BY."))
        return value


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload.read()


class StatementImportForm(UploadForm):
    held_account = HeldAccountChoice(label=_("Bank account of this statement"))
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.all(), required=False
    )


class CampaignForm(forms.Form):
    slug = forms.SlugField(label=_("Short name (for links)"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    goal = amount_field(_("Goal"))
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    starts_on = date_field(_("Starts on"), initial=timezone.localdate)
    ends_on = date_field(_("Ends on"), required=False)


class HeldAccountForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=60,
        help_text=_("For example: Main bank, Card processor, Cold wallet."),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    bank_holder = forms.CharField(
        label=_("Account holder (for SEPA files)"), max_length=70, required=False
    )
    bank_iban = forms.CharField(
        label=_("The fund's IBAN (for SEPA files)"), max_length=42, required=False
    )
    bank_bic = forms.CharField(label=_("BIC"), max_length=11, required=False)


class RateForm(forms.Form):
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[c for c in Currency.choices if c[0] != "USD"]
    )
    on = date_field(_("Day"), initial=timezone.localdate)
    rate = forms.DecimalField(
        label=_("US dollars for one unit"),
        min_value=Decimal("0.00000001"),
        max_digits=18,
        decimal_places=8,
    )


class TransferForm(forms.Form):
    source = HeldAccountChoice(label=_("From"))
    target = HeldAccountChoice(label=_("To"))
    amount = amount_field(_("Amount sent"))
    received = amount_field(_("Amount received (when the currency differs)"), required=False)
    fee = amount_field(_("Fee"), required=False, allow_zero=True)
    booked_on = date_field(_("Day"), initial=timezone.localdate)


class PolicyForm(forms.Form):
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    debt_cap = amount_field(_("Contract-break debt paid up to"), allow_zero=True)
    monthly_income_cap = amount_field(_("Lost income per month up to"), allow_zero=True)
    income_months = forms.IntegerField(
        label=_("Months of lost income"), min_value=0, max_value=MAX_INCOME_MONTHS
    )
    course_cap = amount_field(_("Retraining course up to"), allow_zero=True)
    legal_aid_cap = amount_field(_("Legal aid up to"), allow_zero=True)
    pledge_debt_above_cap = forms.BooleanField(
        label=_("Pledge the rest of a debt above the cap, due on a future event"), required=False
    )
    pledge_event = forms.CharField(
        label=_("The event"),
        max_length=120,
        required=False,
        help_text=_("For example: after a transition of power."),
    )
    reason = forms.CharField(label=_("Reason for this change"), max_length=300)

    def clean(self):
        data = super().clean()
        if data.get("pledge_debt_above_cap") and not (data.get("pledge_event") or "").strip():
            self.add_error("pledge_event", _("Name the event the pledge waits for."))
        return data


class PlanItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=SupportKind.choices)
    amount = amount_field(_("Amount (per month for income)"), allow_zero=True)
    months = forms.IntegerField(
        label=_("Months"), min_value=1, max_value=MAX_INCOME_MONTHS, initial=1
    )
    contingent = forms.BooleanField(label=_("Pledged on a future event"), required=False)
    event = forms.CharField(label=_("Event"), max_length=120, required=False)


PlanItemFormSet = forms.formset_factory(PlanItemForm, extra=1, max_num=20, validate_max=True)


class PlanChangeForm(forms.Form):
    priority = forms.IntegerField(
        label=_("Priority (1 can wait, 5 most urgent)"), min_value=1, max_value=5
    )
    reason = forms.CharField(label=_("Reason for the change"), max_length=300)


class DestinationForm(forms.Form):
    rail = forms.ChoiceField(label=_("Rail"), choices=Rail.choices)
    holder = forms.CharField(label=_("Holder's name"), max_length=100, required=False)
    iban = forms.CharField(label=_("IBAN (SEPA)"), max_length=42, required=False)
    bic = forms.CharField(label=_("BIC (SEPA, optional)"), max_length=11, required=False)
    kind = forms.ChoiceField(
        label=_("Card or account (CSV)"),
        choices=[("card", _("Card")), ("account", _("Account"))],
        required=False,
    )
    number = forms.CharField(label=_("Card or account number (CSV)"), max_length=60, required=False)
    bank = forms.CharField(label=_("Bank (CSV)"), max_length=100, required=False)
    network = forms.ChoiceField(
        label=_("Network (crypto)"),
        choices=[("", "—"), ("TRC20", "TRC20"), ("ERC20", "ERC20"), ("BTC", "BTC")],
        required=False,
    )
    address = forms.CharField(label=_("Wallet address (crypto)"), max_length=100, required=False)
    country = forms.CharField(
        label=_("Country of the bank or card (CSV, two letters)"), max_length=2, required=False
    )
    provider = forms.CharField(
        label=_("Provider: school, lawyer (invoice)"), max_length=70, required=False
    )
    reference = forms.CharField(
        label=_("Invoice reference (invoice)"), max_length=35, required=False
    )


class RerouteForm(forms.Form):
    destination = forms.ModelChoiceField(label=_("Pay to"), queryset=None)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, destinations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination"].queryset = destinations


class PrepareBatchForm(forms.Form):
    rail = forms.ChoiceField(label=_("Rail"), choices=Rail.choices)
    held_account = HeldAccountChoice(label=_("Pay from"))
    execution_date = date_field(_("Execution date"), initial=timezone.localdate)
    remittance = forms.CharField(
        label=_("Text on the recipient's statement"),
        max_length=140,
        initial="Transfer",
        help_text=_(
            "Keep it bland: the fund's name on a transfer into Belarus gets cards blocked."
        ),
    )
    include_suspect = forms.BooleanField(
        label=_("Also pay down rails marked suspect (I have read the warning)"), required=False
    )


class RailStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PayoutRail.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class SplitForm(forms.Form):
    parts = forms.IntegerField(label=_("Tranches"), min_value=2, max_value=12)
    every_days = forms.IntegerField(label=_("Days between tranches"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ReleasePledgesForm(forms.Form):
    event = forms.CharField(label=_("Event that happened"), max_length=120)


class ForecastForm(forms.Form):
    scenario = forms.ChoiceField(
        label=_("Scenario"),
        choices=[
            ("current", _("Only what is owed now")),
            ("steady", _("Recent donations and applications")),
            ("surge", _("Applications triple day over day for a week")),
            ("no-donations", _("Donations stop")),
        ],
        initial="steady",
        required=False,
    )
    weeks = forms.IntegerField(
        label=_("Weeks"), min_value=4, max_value=104, initial=26, required=False
    )
    budget = amount_field(
        _("Budget for new plans (empty: free cash)"), required=False, allow_zero=True
    )

    def scenario_value(self) -> str:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("scenario") or "steady"

    def weeks_value(self) -> int:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("weeks") or 26


PROGRAMME_CHOICES = Programme.choices
SCENARIOS = forecast.SCENARIOS
