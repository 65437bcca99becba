from __future__ import annotations

from django.urls import path

from solidarity.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("payout-key/share/", views.share_key, name="share_key"),
    path("accounts/", views.accounts, name="accounts"),
    path("donations/", views.donation_list, name="donations"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("policies/", views.policies, name="policies"),
    path("policies/<str:programme>/", views.policy_edit, name="policy_edit"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/propose/<str:code>/", views.plan_propose, name="plan_propose"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan"),
    path("commitments/", views.commitments, name="commitments"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("rails/", views.rail_list, name="rails"),
    path("runway/", views.runway, name="runway"),
]
