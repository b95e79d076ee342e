"""Availability and Capacity pages (monitoring, capacity, preventative maintenance)."""

from django.urls import path  # noqa: F401 - the helpers add their pages below

app_name = "availability"

urlpatterns: list = []
