"""Base views that apply the scoping rule, and the core's own pages (sign-in, school switcher)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.generic import View
from django.views.generic.detail import SingleObjectMixin

from fits.middleware import SESSION_KEY
from fits.models import School


class ScopedViewMixin(LoginRequiredMixin):
    """Every page over school-owned records starts here: the queryset is what the user may see.

    A record of another school is simply not in the queryset, so it answers 404 like a missing one.
    Lists narrow further to the school chosen in the switcher (`request.school`).
    """

    model: Any = None
    narrow_to_current_school = True

    def get_scoped_queryset(self) -> QuerySet:
        return self.model.objects.visible_to(self.request.user)

    def get_queryset(self) -> QuerySet:
        queryset = self.get_scoped_queryset()
        school = getattr(self.request, "school", None)
        if self.narrow_to_current_school and school is not None:
            queryset = queryset.of_school(school.pk)
        return queryset


class ServiceErrorMixin:
    """Turn a service's ValidationError / PermissionDenied into a message on the page."""

    def report_service_error(self, error: Exception) -> None:
        if isinstance(error, PermissionDenied):
            messages.error(self.request, str(error) or "You do not have permission to do that.")
            return
        for text in getattr(error, "messages", [str(error)]):
            messages.error(self.request, text)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness for load balancers and container health checks: database and cache answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except DatabaseError as error:
        checks["database"] = f"error: {error.__class__.__name__}"
    try:
        cache.set("fits:healthz", "ok", 5)
        checks["cache"] = "ok" if cache.get("fits:healthz") == "ok" else "error: no round trip"
    except Exception as error:  # any cache backend failure means not ready
        checks["cache"] = f"error: {error.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


class RecordActionView(ScopedViewMixin, ServiceErrorMixin, SingleObjectMixin, View):
    """Base of the POST-only actions on one record (a transition, an assignment, a comment):
    fetch it (404 if not visible), validate the small form, call one service, go back to the record.

    Subclasses set `model` and `form_class` and define `act(cleaned_data)`, which calls the service;
    its ValidationError or PermissionDenied becomes a message on the record's page.
    """

    narrow_to_current_school = False
    form_class: type = forms.Form

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        form = self.get_form()
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
        else:
            try:
                self.act(form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
        return HttpResponseRedirect(self.success_url())

    def success_url(self) -> str:
        """Where to go afterwards: the record's page, unless the action says otherwise."""
        return self.object.get_absolute_url()

    def get_form(self) -> forms.Form:
        return self.form_class(self.request.POST)


@require_POST
def switch_school(request: HttpRequest) -> HttpResponse:
    """The school switcher: work in one school, or in all of them (slug "all")."""
    if not request.user.is_authenticated:
        return redirect("login")
    slug = request.POST.get("school", "all")
    if slug == "all":
        request.session.pop(SESSION_KEY, None)
    else:
        school = School.objects.filter(slug=slug, is_active=True).first()
        if school is None or not (request.user.is_superuser or school.pk in request.user.school_roles):
            messages.error(request, "You have no role at that school.")
        else:
            request.session[SESSION_KEY] = school.pk
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
