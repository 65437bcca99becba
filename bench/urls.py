from __future__ import annotations

from django.urls import include, path

from bench.baseline import views

urlpatterns = [
    path("bench-baseline/apply/", views.apply, name="bench_baseline_apply"),
    path("", include("solidarity.urls")),
]
