"""The OM base pages: function policies and the allocation of activities."""

from django.urls import path  # noqa: F401 - the pages are added below

app_name = "om"

urlpatterns: list = []
