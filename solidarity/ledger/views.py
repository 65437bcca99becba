"""The money console under /staff/ledger/. Each view checks the role, calls one service and
renders the result; the services check the rules (four eyes, states, roles) again."""

from __future__ import annotations

from decimal import Decimal
from functools import wraps

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from solidarity.accounts.decorators import forbidden, staff_required
from solidarity.cases import services as cases
from solidarity.cases.models import Case, Programme
from solidarity.ledger import (
    charts,
    donations,
    forecast,
    payouts,
    plans,
    rail_register,
    rails,
    roles,
    services,
)
from solidarity.ledger import forms as ledger_forms
from solidarity.ledger.models import (
    Account,
    Commitment,
    Donation,
    ExchangeRate,
    PayoutBatch,
    PayoutDestination,
    PayoutRail,
    SupportPlan,
    SupportPolicy,
)
from solidarity.ledger.money import REPORTING_CURRENCY, MoneyError
from solidarity.vault import core
from solidarity.vault import session as vault_session


def role_required(allowed: frozenset):
    """Signed in with both factors and holding one of ``allowed`` roles; else a 403 page."""

    def decorate(view):
        @staff_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not roles.has_role(request.user, allowed):
                return forbidden(request, _("This page is for treasurers and coordinators."))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


money_required = role_required(roles.MONEY_ROLES)


def _staff_key(request: HttpRequest) -> bytes | None:
    return vault_session.unlocked_key(request, vault_session.STAFF)


def _unlock_redirect(request: HttpRequest, back: str):
    messages.info(request, _("Unlock the vault first: this needs your key."))
    return redirect(f"{reverse('staff:unlock')}?next={back}")


def _refuse(request: HttpRequest, exc: Exception):
    """Turn a service refusal into a message; the text names the rule, never secret data."""
    texts = {
        roles.NotAllowedError: _("Your role may not do this."),
        payouts.FourEyesError: _("You prepared this batch: somebody else must approve it."),
        payouts.BatchStateError: _("The batch is not in a state that allows this."),
        payouts.NothingDueError: _("Nothing is due on this rail in this currency."),
        payouts.NoPayoutKeyError: _(
            "You hold no copy of the payout key. Ask a treasurer or coordinator who has it to share it."
        ),
        payouts.RouteError: _("This payment cannot go there."),
        plans.PlanStateError: _("The plan is not in a state that allows this."),
        plans.CaseNotVerifiedError: _("Plans are only for verified cases."),
        plans.NoPolicyError: _("This programme has no support policy yet."),
        services.UnknownRateError: _("An exchange rate is missing: record one first."),
        services.AccountSetupError: _("The account could not be opened as asked."),
        services.UnbalancedEntryError: _("These amounts do not balance."),
        donations.DuplicateDonationError: _("A donation with this reference is already recorded."),
        cases.CaseAccessDeniedError: _("You hold no key that opens this case."),
        rails.ExportError: _("The export file could not be built."),
        rail_register.RailStatusError: _("Choose a status and give a reason."),
        rail_register.GuidanceError: _("An override needs a reason."),
    }
    for kind, text in texts.items():
        if isinstance(exc, kind):
            messages.error(request, text)
            return
    messages.error(request, _("This was refused: %(reason)s") % {"reason": exc})


# --- overview ------------------------------------------------------------------------------------


@require_GET
@money_required
def overview(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    held = services.held_accounts()
    totals = services.totals_by_purpose(
        [
            Account.Purpose.DONATIONS,
            Account.Purpose.COMMITMENTS,
            Account.Purpose.IN_TRANSIT,
            Account.Purpose.SEIZED,
            Account.Purpose.FEES,
        ]
    )
    due = payouts.due_commitments(today)
    return render(
        request,
        "ledger/overview.html",
        {
            "held": held,
            "totals": sorted(totals.items()),
            "due_count": len(due),
            "due_by_currency": _sum_by_currency(due),
            "waiting": payouts.batches_waiting_for(request.user),
            "exportable": PayoutBatch.objects.filter(status=PayoutBatch.Status.APPROVED),
            "pledges": plans.pledge_events(),
            "missing_key": payouts.staff_without_payout_key(),
            "has_key": request.user.payout_key_wrap
            if hasattr(request.user, "payout_key_wrap")
            else None,
            "checks_ok": all(c.ok for c in services.check_balances())
            and not any(services.currency_totals().values()),
        },
    )


def _sum_by_currency(commitments) -> list[tuple[str, Decimal]]:
    out: dict[str, Decimal] = {}
    for c in commitments:
        out[c.currency] = out.get(c.currency, Decimal("0.00")) + c.amount
    return sorted(out.items())


@require_POST
@money_required
def share_key(request: HttpRequest) -> HttpResponse:
    key = _staff_key(request)
    if key is None:
        return _unlock_redirect(request, reverse("ledger:overview"))
    try:
        given = payouts.share_payout_key(request.user, key)
    except (payouts.NoPayoutKeyError, core.VaultError) as exc:
        _refuse(request, exc)
    else:
        messages.success(
            request, _("The payout key was shared with %(n)d staff members.") % {"n": len(given)}
        )
    return redirect("ledger:overview")


# --- accounts, rates, transfers -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@money_required
def accounts(request: HttpRequest) -> HttpResponse:
    account_form = ledger_forms.HeldAccountForm(prefix="account")
    rate_form = ledger_forms.RateForm(prefix="rate")
    transfer_form = ledger_forms.TransferForm(prefix="transfer")
    if request.method == "POST":
        if not roles.has_role(request.user, roles.TREASURY_ROLES):
            return forbidden(request, _("Only treasurers change accounts and rates."))
        action = request.POST.get("action")
        try:
            if action == "account":
                account_form = ledger_forms.HeldAccountForm(request.POST, prefix="account")
                if account_form.is_valid():
                    services.open_held_account(by=request.user, **account_form.cleaned_data)
                    messages.success(request, _("The account was opened."))
                    return redirect("ledger:accounts")
            elif action == "rate":
                rate_form = ledger_forms.RateForm(request.POST, prefix="rate")
                if rate_form.is_valid():
                    services.record_rate(by=request.user, **rate_form.cleaned_data)
                    messages.success(request, _("The rate was recorded."))
                    return redirect("ledger:accounts")
            elif action == "transfer":
                transfer_form = ledger_forms.TransferForm(request.POST, prefix="transfer")
                if transfer_form.is_valid():
                    data = transfer_form.cleaned_data
                    services.record_transfer(
                        data["source"],
                        data["target"],
                        data["amount"],
                        received=data.get("received"),
                        fee=data.get("fee"),
                        booked_on=data["booked_on"],
                        by=request.user,
                    )
                    messages.success(request, _("The transfer was booked."))
                    return redirect("ledger:accounts")
        except (
            services.AccountSetupError,
            services.UnknownRateError,
            services.UnbalancedEntryError,
            MoneyError,
            rails.DestinationError,
        ) as exc:
            _refuse(request, exc)
    return render(
        request,
        "ledger/accounts.html",
        {
            "accounts": Account.objects.all(),
            "rates": ExchangeRate.objects.all()[:30],
            "account_form": account_form,
            "rate_form": rate_form,
            "transfer_form": transfer_form,
            "can_edit": roles.has_role(request.user, roles.TREASURY_ROLES),
            "reporting_currency": REPORTING_CURRENCY,
        },
    )


# --- donations and campaigns ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@money_required
def donation_list(request: HttpRequest) -> HttpResponse:
    form = ledger_forms.DonationForm(prefix="donation")
    import_form = ledger_forms.StatementImportForm(prefix="statement")
    report = None
    if request.method == "POST":
        if not roles.has_role(request.user, roles.TREASURY_ROLES):
            return forbidden(request, _("Only treasurers record donations."))
        if request.POST.get("action") == "import":
            import_form = ledger_forms.StatementImportForm(
                request.POST, request.FILES, prefix="statement"
            )
            if import_form.is_valid():
                data = import_form.cleaned_data
                report = donations.import_bank_statement(
                    data["file"],
                    held_account=data["held_account"],
                    campaign=data["campaign"],
                    by=request.user,
                )
                messages.success(
                    request,
                    _(
                        "Statement imported: %(created)d new donations, %(duplicates)d already recorded, %(outgoing)d outgoing rows skipped, %(errors)d rows with errors."
                    )
                    % {
                        "created": report.created,
                        "duplicates": report.duplicates,
                        "outgoing": report.outgoing,
                        "errors": len(report.errors),
                    },
                )
                if report.high_risk:
                    messages.warning(
                        request,
                        _(
                            "%(n)d of them came from a bank in a high-risk country: they are "
                            "flagged below. Consider telling these donors of the risk."
                        )
                        % {"n": report.high_risk},
                    )
        else:
            form = ledger_forms.DonationForm(request.POST, prefix="donation")
            if form.is_valid():
                data = form.cleaned_data
                try:
                    donation = donations.record_donation(
                        amount=data["amount"],
                        currency=data["held_account"].currency,
                        held_account=data["held_account"],
                        received_on=data["received_on"],
                        reference=data["reference"] or None,
                        campaign=data["campaign"],
                        receipt_to=data["receipt_to"],
                        payer_country=data["payer_country"],
                        by=request.user,
                    )
                except (donations.DuplicateDonationError, MoneyError, ValueError) as exc:
                    _refuse(request, exc)
                else:
                    if donation.receipt == Donation.Receipt.FAILED:
                        messages.warning(
                            request,
                            _("The donation was recorded, but the receipt could not be sent."),
                        )
                    else:
                        messages.success(request, _("The donation was recorded."))
                    if donation.high_risk_origin:
                        messages.warning(request, donation.donor_warning)
                    return redirect("ledger:donations")
    return render(
        request,
        "ledger/donations.html",
        {
            "donations": Donation.objects.select_related(
                "campaign", "held_account", "entry__reversed_by"
            )[:100],
            "form": form,
            "import_form": import_form,
            "report": report,
            "can_edit": roles.has_role(request.user, roles.TREASURY_ROLES),
            "totals": sorted(donations.donation_totals().items()),
        },
    )


@require_http_methods(["GET", "POST"])
@money_required
def campaigns(request: HttpRequest) -> HttpResponse:
    form = ledger_forms.CampaignForm()
    if request.method == "POST":
        form = ledger_forms.CampaignForm(request.POST)
        if form.is_valid():
            from django.db import IntegrityError

            try:
                donations.create_campaign(by=request.user, **form.cleaned_data)
            except IntegrityError:
                form.add_error("slug", _("This short name is taken."))
            else:
                messages.success(request, _("The campaign was created."))
                return redirect("ledger:campaigns")
    from solidarity.ledger.models import Campaign

    rates = services.RateBook()
    rows = []
    for campaign in Campaign.objects.all():
        try:
            raised = donations.campaign_raised(campaign, rates)
        except services.UnknownRateError:
            raised = None
        share = (
            int(min(raised / campaign.goal * 100, 100))
            if raised is not None and campaign.goal
            else 0
        )
        rows.append((campaign, raised, share))
    return render(request, "ledger/campaigns.html", {"rows": rows, "form": form})


# --- policies and plans -------------------------------------------------------------------------


@require_GET
@money_required
def policies(request: HttpRequest) -> HttpResponse:
    rows = [(value, label, plans.current_policy(value)) for value, label in Programme.choices]
    history = SupportPolicy.objects.select_related("created_by")[:30]
    return render(
        request,
        "ledger/policies.html",
        {"rows": rows, "history": history, "can_edit": request.user.is_coordinator},
    )


@require_http_methods(["GET", "POST"])
@role_required(roles.PLAN_ROLES)
def policy_edit(request: HttpRequest, programme: str) -> HttpResponse:
    if programme not in Programme.values:
        return redirect("ledger:policies")
    current = plans.current_policy(programme)
    initial = {}
    if current:
        initial = {
            f: getattr(current, f)
            for f in (
                "currency",
                "debt_cap",
                "monthly_income_cap",
                "income_months",
                "course_cap",
                "legal_aid_cap",
                "pledge_debt_above_cap",
                "pledge_event",
            )
        }
    form = ledger_forms.PolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            plans.set_policy(programme, by=request.user, **form.cleaned_data)
        except (plans.PlanStateError, MoneyError, roles.NotAllowedError) as exc:
            _refuse(request, exc)
        else:
            messages.success(request, _("The policy was saved as a new version."))
            return redirect("ledger:policies")
    return render(
        request,
        "ledger/policy_edit.html",
        {"form": form, "programme": Programme(programme).label, "current": current},
    )


@require_GET
@money_required
def plan_list(request: HttpRequest) -> HttpResponse:
    open_plans = (
        SupportPlan.objects.exclude(status=SupportPlan.Status.CLOSED)
        .select_related("case")
        .annotate(n=Count("commitments"))
    )
    without_plan = (
        Case.objects.filter(status=Case.Status.VERIFIED)
        .exclude(support_plans__status__in=[SupportPlan.Status.PROPOSED, SupportPlan.Status.ACTIVE])
        .only("id", "code", "programme", "received_on")
        .order_by("id")[:100]
    )
    return render(
        request,
        "ledger/plans.html",
        {
            "plans": open_plans,
            "without_plan": without_plan,
            "can_plan": request.user.is_coordinator,
        },
    )


@require_POST
@role_required(roles.PLAN_ROLES)
def plan_propose(request: HttpRequest, code: str) -> HttpResponse:
    case = get_object_or_404(Case, code=code)
    key = _staff_key(request)
    if key is None:
        return _unlock_redirect(request, reverse("ledger:plans"))
    try:
        plan = plans.propose_plan(case, by=request.user, staff_key=key)
    except (
        plans.PlanStateError,
        plans.CaseNotVerifiedError,
        plans.NoPolicyError,
        services.UnknownRateError,
        cases.CaseAccessDeniedError,
        roles.NotAllowedError,
    ) as exc:
        _refuse(request, exc)
        return redirect("ledger:plans")
    messages.success(request, _("A plan was proposed from the policy. Check it and activate it."))
    return redirect("ledger:plan", plan_id=plan.pk)


def _plan_items_initial(plan: SupportPlan) -> list[dict]:
    return [
        {
            "kind": i.kind,
            "amount": i.amount,
            "months": i.months,
            "contingent": i.contingent,
            "event": i.event,
        }
        for i in plan.items.all()
    ]


@require_http_methods(["GET", "POST"])
@money_required
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = get_object_or_404(SupportPlan.objects.select_related("case", "policy"), pk=plan_id)
    formset = ledger_forms.PlanItemFormSet(initial=_plan_items_initial(plan), prefix="items")
    change_form = ledger_forms.PlanChangeForm(initial={"priority": plan.priority}, prefix="change")
    destination_form = ledger_forms.DestinationForm(prefix="dest")
    destinations = PayoutDestination.objects.filter(case=plan.case).select_related("payout_rail")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "change":
                roles.require(request.user, roles.PLAN_ROLES)
                formset = ledger_forms.PlanItemFormSet(request.POST, prefix="items")
                change_form = ledger_forms.PlanChangeForm(request.POST, prefix="change")
                if formset.is_valid() and change_form.is_valid():
                    items = [
                        f.cleaned_data
                        for f in formset.forms
                        if f.cleaned_data and f.cleaned_data.get("amount")
                    ]
                    plans.change_plan(
                        plan,
                        items,
                        by=request.user,
                        reason=change_form.cleaned_data["reason"],
                        priority=change_form.cleaned_data["priority"],
                    )
                    messages.success(request, _("The plan was changed."))
                    return redirect("ledger:plan", plan_id=plan.pk)
            elif action == "activate":
                made = plans.activate_plan(plan, by=request.user)
                messages.success(
                    request, _("The plan is active: %(n)d payments scheduled.") % {"n": len(made)}
                )
                return redirect("ledger:plan", plan_id=plan.pk)
            elif action == "close":
                reason_form = ledger_forms.ReasonForm(request.POST)
                if reason_form.is_valid():
                    plans.close_plan(
                        plan, by=request.user, reason=reason_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The plan was closed."))
                    return redirect("ledger:plan", plan_id=plan.pk)
            elif action == "destination":
                destination_form = ledger_forms.DestinationForm(request.POST, prefix="dest")
                if destination_form.is_valid():
                    data = dict(destination_form.cleaned_data)
                    rail = data.pop("rail")
                    try:
                        payouts.add_destination(plan.case, rail, data, by=request.user)
                    except rails.DestinationError as exc:
                        destination_form.add_error(None, str(exc))
                    else:
                        messages.success(request, _("The destination was sealed and saved."))
                        return redirect("ledger:plan", plan_id=plan.pk)
            elif action == "block":
                destination = get_object_or_404(
                    PayoutDestination, pk=request.POST.get("destination"), case=plan.case
                )
                reason_form = ledger_forms.ReasonForm(request.POST)
                if reason_form.is_valid():
                    payouts.block_destination(
                        destination, by=request.user, reason=reason_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The destination is blocked."))
                    return redirect("ledger:plan", plan_id=plan.pk)
            elif action == "reroute":
                commitment = get_object_or_404(
                    Commitment, pk=request.POST.get("commitment"), plan=plan
                )
                form = ledger_forms.RerouteForm(
                    request.POST,
                    destinations=destinations.filter(status=PayoutDestination.Status.ACTIVE),
                )
                if form.is_valid():
                    payouts.reroute_commitment(
                        commitment,
                        form.cleaned_data["destination"],
                        by=request.user,
                        reason=form.cleaned_data["reason"],
                    )
                    messages.success(request, _("The payment was re-routed."))
                    return redirect("ledger:plan", plan_id=plan.pk)
                messages.error(request, _("Choose a destination and give a reason."))
            elif action == "guidance_override":
                destination = get_object_or_404(
                    PayoutDestination, pk=request.POST.get("destination"), case=plan.case
                )
                reason_form = ledger_forms.ReasonForm(request.POST)
                if reason_form.is_valid():
                    rail_register.override_guidance(
                        destination, by=request.user, reason=reason_form.cleaned_data["reason"]
                    )
                    messages.success(
                        request, _("The first payment may go before the guidance is acknowledged.")
                    )
                    return redirect("ledger:plan", plan_id=plan.pk)
            elif action == "split":
                commitment = get_object_or_404(
                    Commitment, pk=request.POST.get("commitment"), plan=plan
                )
                split_form = ledger_forms.SplitForm(request.POST)
                if split_form.is_valid():
                    made = plans.split_commitment(
                        commitment,
                        split_form.cleaned_data["parts"],
                        every_days=split_form.cleaned_data["every_days"],
                        by=request.user,
                        reason=split_form.cleaned_data["reason"],
                    )
                    messages.success(
                        request, _("The payment was split into %(n)d tranches.") % {"n": len(made)}
                    )
                    return redirect("ledger:plan", plan_id=plan.pk)
                messages.error(
                    request, _("Give 2 to 12 tranches, 1 to 60 days apart, and a reason.")
                )
            elif action == "cancel_commitment":
                commitment = get_object_or_404(
                    Commitment, pk=request.POST.get("commitment"), plan=plan
                )
                reason_form = ledger_forms.ReasonForm(request.POST)
                if reason_form.is_valid():
                    plans.cancel_commitment(
                        commitment, by=request.user, reason=reason_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("The payment was cancelled."))
                    return redirect("ledger:plan", plan_id=plan.pk)
        except (
            roles.NotAllowedError,
            plans.PlanStateError,
            plans.CaseNotVerifiedError,
            payouts.RouteError,
            rail_register.GuidanceError,
            MoneyError,
        ) as exc:
            _refuse(request, exc)
    masked = payouts.masked_destinations(destinations, request.user, _staff_key(request))
    commitments = plan.commitments.select_related("destination").order_by("status", "due_on", "id")
    active_destinations = destinations.filter(status=PayoutDestination.Status.ACTIVE)
    return render(
        request,
        "ledger/plan.html",
        {
            "plan": plan,
            "items": plan.items.all(),
            "changes": plan.changes.select_related("changed_by"),
            "commitments": [(c, payouts.route_for(c)) for c in commitments],
            "destinations": [(d, masked.get(d.pk)) for d in destinations],
            "active_destinations": active_destinations,
            "formset": formset,
            "change_form": change_form,
            "destination_form": destination_form,
            "can_plan": request.user.is_coordinator,
            "can_override": roles.has_role(request.user, roles.TREASURY_ROLES),
            "unlocked": _staff_key(request) is not None,
            "total": sum((i.total for i in plan.items.all() if not i.contingent), Decimal("0.00")),
            "pledged": sum((i.total for i in plan.items.all() if i.contingent), Decimal("0.00")),
        },
    )


# --- commitments and pledges ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@money_required
def commitments(request: HttpRequest) -> HttpResponse:
    form = ledger_forms.ReleasePledgesForm()
    if request.method == "POST":
        form = ledger_forms.ReleasePledgesForm(request.POST)
        if form.is_valid():
            try:
                released = plans.release_pledges(form.cleaned_data["event"], by=request.user)
            except roles.NotAllowedError as exc:
                _refuse(request, exc)
            else:
                messages.success(request, _("%(n)d pledges are now owed.") % {"n": len(released)})
                return redirect("ledger:commitments")
    due = payouts.due_commitments()
    upcoming = Commitment.objects.filter(
        status=Commitment.Status.OPEN, due_on__gt=timezone.localdate()
    ).select_related("case")[:100]
    return render(
        request,
        "ledger/commitments.html",
        {
            "due": [(c, payouts.route_for(c)) for c in due],
            "upcoming": upcoming,
            "in_batch": Commitment.objects.filter(status=Commitment.Status.IN_BATCH).select_related(
                "case"
            ),
            "pledges": Commitment.objects.filter(
                status=Commitment.Status.CONTINGENT
            ).select_related("case"),
            "events": plans.pledge_events(),
            "form": form,
            "can_release": request.user.is_coordinator,
        },
    )


# --- batches -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@money_required
def batch_list(request: HttpRequest) -> HttpResponse:
    form = ledger_forms.PrepareBatchForm()
    suspect_warning = None
    if request.method == "POST":
        form = ledger_forms.PrepareBatchForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = payouts.prepare_batch(by=request.user, **data)
            except (roles.NotAllowedError, payouts.NothingDueError, payouts.RouteError) as exc:
                _refuse(request, exc)
            except rail_register.SuspectRailError as exc:
                suspect_warning = exc
                messages.warning(
                    request,
                    _(
                        "%(n)d payments would go down rails marked suspect: %(rails)s. Payments "
                        "there have been failing or seized. Re-route them, or tick the box to "
                        "pay them anyway."
                    )
                    % {"n": exc.count, "rails": ", ".join(str(r) for r in exc.rails)},
                )
            except rail_register.HeldBackError as exc:
                messages.error(
                    request,
                    _(
                        "Nothing can be paid: %(burned)d payments go down burned rails (re-route "
                        "them) and %(waiting)d wait until the recipient reads the guidance."
                    )
                    % {"burned": exc.burned, "waiting": exc.waiting},
                )
            else:
                messages.success(
                    request,
                    _("Batch prepared. Another treasurer or a coordinator must approve it."),
                )
                if batch.held_burned or batch.held_for_guidance:
                    messages.warning(
                        request,
                        _(
                            "Left out: %(burned)d payments down burned rails (re-route them) and "
                            "%(waiting)d first payments waiting until the recipient reads the "
                            "guidance."
                        )
                        % {"burned": batch.held_burned, "waiting": batch.held_for_guidance},
                    )
                return redirect("ledger:batch", batch_id=batch.pk)
    batches = PayoutBatch.objects.select_related(
        "prepared_by", "approved_by", "held_account"
    ).prefetch_related("items")[:50]
    return render(
        request,
        "ledger/batches.html",
        {
            "batches": batches,
            "form": form,
            "suspect_warning": suspect_warning,
            "can_prepare": roles.has_role(request.user, roles.TREASURY_ROLES),
        },
    )


@require_http_methods(["GET", "POST"])
@money_required
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = get_object_or_404(
        PayoutBatch.objects.select_related("prepared_by", "approved_by", "held_account"),
        pk=batch_id,
    )
    upload_form = ledger_forms.UploadForm()
    report = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                payouts.approve_batch(batch, by=request.user)
                messages.success(request, _("Batch approved. It can now be exported."))
                return redirect("ledger:batch", batch_id=batch.pk)
            if action == "cancel":
                reason_form = ledger_forms.ReasonForm(request.POST)
                if reason_form.is_valid():
                    payouts.cancel_batch(
                        batch, by=request.user, reason=reason_form.cleaned_data["reason"]
                    )
                    messages.success(request, _("Batch cancelled; its payments are owed again."))
                    return redirect("ledger:batch", batch_id=batch.pk)
            if action == "export":
                key = _staff_key(request)
                if key is None:
                    return _unlock_redirect(request, reverse("ledger:batch", args=[batch.pk]))
                export_file = payouts.export_batch(batch, by=request.user, staff_private_key=key)
                response = HttpResponse(export_file.data, content_type=export_file.content_type)
                response["Content-Disposition"] = content_disposition_header(
                    as_attachment=True, filename=export_file.filename
                )
                # The file holds IBANs and names in clear: no cache may keep it.
                response["Cache-Control"] = "no-store"
                return response
            if action == "confirm":
                upload_form = ledger_forms.UploadForm(request.POST, request.FILES)
                if upload_form.is_valid():
                    report = payouts.import_confirmations(
                        upload_form.cleaned_data["file"], by=request.user
                    )
                    messages.success(
                        request,
                        _(
                            "Confirmations read: %(paid)d paid, %(failed)d failed, %(seized)d seized, %(unchanged)d unchanged, %(errors)d lines with errors."
                        )
                        % {
                            "paid": report.paid,
                            "failed": report.failed,
                            "seized": report.seized,
                            "unchanged": report.unchanged,
                            "errors": len(report.errors),
                        },
                    )
        except (
            roles.NotAllowedError,
            payouts.FourEyesError,
            payouts.BatchStateError,
            payouts.NoPayoutKeyError,
            rails.ExportError,
            rails.DestinationError,
            core.VaultError,
        ) as exc:
            _refuse(request, exc)
            return redirect("ledger:batch", batch_id=batch.pk)
    items = batch.items.select_related("commitment__case", "destination")
    masked = payouts.masked_destinations(
        [i.destination for i in items], request.user, _staff_key(request)
    )
    return render(
        request,
        "ledger/batch.html",
        {
            "batch": batch,
            "items": [(i, masked.get(i.destination_id)) for i in items],
            "total": sum((i.amount for i in items), Decimal("0.00")),
            "can_approve": roles.has_role(request.user, roles.APPROVER_ROLES)
            and batch.prepared_by_id != request.user.pk,
            "is_preparer": batch.prepared_by_id == request.user.pk,
            "unlocked": _staff_key(request) is not None,
            "upload_form": upload_form,
            "report": report,
        },
    )


# --- the register of rails ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@money_required
def rail_list(request: HttpRequest) -> HttpResponse:
    """Every payout rail with its status, counts and history; treasurers may set a status."""
    if request.method == "POST":
        rail = get_object_or_404(PayoutRail, pk=request.POST.get("rail"))
        form = ledger_forms.RailStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a status and give a reason."))
        else:
            try:
                rail_register.set_rail_status(
                    rail,
                    form.cleaned_data["status"],
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except (roles.NotAllowedError, rail_register.RailStatusError) as exc:
                _refuse(request, exc)
            else:
                messages.success(request, _("The rail's status was changed."))
        return redirect("ledger:rails")
    return render(
        request,
        "ledger/rails.html",
        {
            "rows": rail_register.register(),
            "statuses": PayoutRail.Status.choices,
            "can_set": roles.has_role(request.user, roles.TREASURY_ROLES),
            "suspect_after": rail_register.SUSPECT_AFTER,
            "burned_after": rail_register.BURNED_AFTER,
            "window_days": rail_register.WINDOW_DAYS,
        },
    )


# --- runway ------------------------------------------------------------------------------------


@require_GET
@money_required
def runway(request: HttpRequest) -> HttpResponse:
    form = ledger_forms.ForecastForm(request.GET or None)
    scenario = form.scenario_value()
    weeks = form.weeks_value()
    result = forecast.run_forecast(scenario, weeks=weeks)
    baseline = forecast.run_forecast("current", weeks=weeks) if scenario != "current" else None
    labels = [w.start.strftime("%d.%m") for w in result.weeks]
    series = [
        charts.Series(
            _("Cash under this scenario"), [float(w.cash) for w in result.weeks], charts.PALETTE[0]
        )
    ]
    if baseline:
        series.append(
            charts.Series(
                _("Cash with no new people"),
                [float(w.cash) for w in baseline.weeks],
                charts.PALETTE[1],
                dashed=True,
            )
        )
    chart = charts.line_chart(
        labels, series, title=_("Cash by week (%(cur)s)") % {"cur": REPORTING_CURRENCY}
    )
    budget = form.cleaned_data.get("budget") if form.is_valid() else None
    allocation = forecast.allocate(
        forecast.candidates_from_plans(), budget if budget is not None else forecast.free_budget()
    )
    return render(
        request,
        "ledger/runway.html",
        {
            "form": form,
            "forecast": result,
            "chart": chart,
            "allocation": allocation,
            "reporting_currency": REPORTING_CURRENCY,
        },
    )


# --- the card processor's webhook ---------------------------------------------------------------


@csrf_exempt
@require_POST
def card_webhook(request: HttpRequest) -> HttpResponse:
    """Outside the staff console: the processor signs each call (see donations.verify_webhook)."""
    try:
        outcome = donations.handle_card_webhook(
            request.body, request.headers.get("Solidarity-Signature", "")
        )
    except donations.WebhookNotConfiguredError:
        return JsonResponse({"error": "not configured"}, status=503)
    except (donations.BadSignatureError, donations.StaleWebhookError):
        # One answer for both, so a forger learns nothing about which check failed.
        return JsonResponse({"error": "signature"}, status=400)
    except donations.MalformedWebhookError:
        return JsonResponse({"error": "malformed"}, status=400)
    answer = {"result": outcome.result}
    if outcome.donor_warning:
        # For processors that show the merchant's message to the payer (a card from a
        # high-risk country): the donor learns the risk before giving again.
        answer["donor_warning"] = outcome.donor_warning
    return JsonResponse(answer)
