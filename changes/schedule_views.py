"""Pages of the forward schedule of change: the month grid and the agenda, the iCalendar export, and the freeze and
maintenance windows the schedule is planned around.

Reads go through changes/schedule.py (selectors); writes through changes/windows.py (services).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, TemplateView, View
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from changes import schedule, windows
from changes.cab import owners_for
from changes.forms import FreezeWindowForm, MaintenanceWindowForm
from changes.models import FreezeWindow, MaintenanceWindow, Status
from changes.views import ChangeAccessMixin, KeptConfigMixin
from fits import access
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin

# =============================================================================
# The schedule: month grid and agenda
# =============================================================================


class ScheduleMixin(ChangeAccessMixin):
    """The school the schedule is about (?school=<slug>, "all", else the switcher's) and the schools to choose."""

    def setup_school(self) -> None:
        user = self.request.user
        self.school = schedule.chosen_school(
            user, self.request.GET.get("school"), getattr(self.request, "school", None)
        )


class ScheduleView(LoginRequiredMixin, ScheduleMixin, TemplateView):
    """The forward schedule of change: a month grid (weeks as rows) or the agenda of the next eight weeks."""

    template_name = "changes/schedule.html"

    def get(self, request, *args, **kwargs):
        self.setup_school()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, today = self.request.user, timezone.localdate()
        view = "agenda" if self.request.GET.get("view") == "agenda" else "month"
        schools = list(schedule.schedule_schools(user))
        context.update(
            view=view,
            today=today,
            school=self.school,
            schools=schools,
            several_schools=self.school is None and len(schools) > 1,
            school_query=f"school={self.school.slug}" if self.school else ("school=all" if len(schools) > 1 else ""),
            can_raise=access.here_or_anywhere(access.can_raise_change).test(user, self.school),
            maintenance=schedule.maintenance_windows_for(user, school=self.school, schools=schools),
            weekdays=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            calendar_url=calendar_url(self.school),
        )
        if view == "agenda":
            first = _date(self.request.GET.get("from")) or today
            shown = schedule.agenda(user, school=self.school, first=first, schools=schools)
            context.update(
                agenda=shown,
                entries=shown.entries,
                previous_from=first - timedelta(weeks=schedule.AGENDA_WEEKS),
                next_from=first + timedelta(weeks=schedule.AGENDA_WEEKS),
            )
        else:
            month = schedule.parse_month(self.request.GET.get("month"), today)
            shown = schedule.month_grid(user, school=self.school, month=month, today=today, schools=schools)
            context.update(month=shown, entries=shown.entries)
        return context


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


# =============================================================================
# The iCalendar export
# =============================================================================


class TokenOrSessionMixin:
    """A calendar client cannot sign in: it may send the API token (`Authorization: Token <token>`) instead."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated and request.META.get("HTTP_AUTHORIZATION", "").startswith("Token "):
            try:
                found = TokenAuthentication().authenticate(request)
            except AuthenticationFailed as error:
                response = HttpResponse(str(error.detail), status=401, content_type="text/plain; charset=utf-8")
                response["WWW-Authenticate"] = "Token"
                return response
            if found is not None:
                request.user = found[0]
        return super().dispatch(request, *args, **kwargs)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class ScheduleCalendarView(TokenOrSessionMixin, LoginRequiredMixin, ScheduleMixin, View):
    """The schedule as an iCalendar file: one event per planned change, one all-day event per freeze window."""

    def get(self, request, *args, **kwargs):
        self.setup_school()
        changes, freezes = schedule.feed(request.user, school=self.school, today=timezone.localdate())
        calendar = icalendar.Calendar()
        calendar.add("prodid", "-//FITS Service Desk//Forward schedule of change//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", f"Forward schedule of change: {self.school or 'all my schools'}")
        stamp = _utc(timezone.now())
        for change in changes:
            event = icalendar.Event()
            event.add("uid", f"{change.reference}@{change.school.slug}.fits")
            event.add("dtstamp", stamp)
            event.add("dtstart", _utc(change.planned_start))
            event.add("dtend", _utc(change.planned_end))
            event.add("summary", f"{change.reference} {change.title} ({change.school.name})")
            cis = ", ".join(ci.name for ci in change.cis.all()) or "none recorded"
            event.add(
                "description",
                f"Reason: {change.reason}\nAffected configuration items: {cis}\n"
                f"Risk: {change.get_risk_display() or 'not assessed'}\nKind: {change.get_kind_display()}\n"
                f"Status: {change.get_status_display()}\n{request.build_absolute_uri(change.get_absolute_url())}",
            )
            event.add("url", request.build_absolute_uri(change.get_absolute_url()))
            event.add("status", "TENTATIVE" if change.status == Status.APPROVED else "CONFIRMED")
            event.add("categories", ["Change", change.get_kind_display()])
            calendar.add_component(event)
        for freeze in freezes:
            owner = freeze.school.slug if freeze.school else (freeze.authority.slug if freeze.authority else "all")
            event = icalendar.Event()
            event.add("uid", f"freeze-{freeze.pk}@{owner}.fits")
            event.add("dtstamp", stamp)
            event.add("dtstart", freeze.starts)
            event.add("dtend", freeze.ends + timedelta(days=1))  # DTEND of an all-day event is exclusive
            event.add("summary", f"Change freeze: {freeze.name} ({freeze.scope_label})")
            event.add(
                "description",
                f"{freeze.get_kind_display()}: no normal or standard change may run at {freeze.scope_label}.",
            )
            event.add("transp", "TRANSPARENT")
            event.add("categories", ["Change freeze"])
            calendar.add_component(event)
        response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
        name = f"forward-schedule-{self.school.slug if self.school else 'all'}.ics"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# =============================================================================
# Freeze and maintenance windows
# =============================================================================


def _report(form, error: Exception) -> None:
    """A service's refusal shown on the form: on its field when it names one."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You cannot change this.")
    elif hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class WindowListView(ChangeAccessMixin, ScopedViewMixin, TemplateView):
    """Windows in force at the chosen school (its own, its authority's, everyone's), each marked with whether this
    person may change it. Subclasses say which model and which pages."""

    kind_label = ""

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        rows = self.rows(self.get_queryset())
        for group in rows.values():
            for row in group:
                row.may_change = access.can_manage_change_config.test(user, row)
        context.update(rows, may_add=bool(owners_for(user)))
        return context


class FreezeListView(WindowListView):
    model = FreezeWindow
    template_name = "changes/window_freeze_list.html"
    # The past is collapsed and bounded: the last year's freezes are enough to plan next year's.
    past_shown = 25
    current_shown = 100

    def rows(self, queryset) -> dict[str, list]:
        today = timezone.localdate()
        return {
            "current": list(queryset.filter(ends__gte=today).order_by("starts", "name", "pk")[: self.current_shown]),
            "past": list(queryset.filter(ends__lt=today).order_by("-ends", "name", "pk")[: self.past_shown]),
        }


class MaintenanceListView(WindowListView):
    model = MaintenanceWindow
    template_name = "changes/window_maintenance_list.html"
    shown = 200

    def rows(self, queryset) -> dict[str, list]:
        return {"windows": list(queryset.order_by("weekday", "opens", "pk")[: self.shown])}


class WindowFormMixin(ChangeAccessMixin, ScopedViewMixin, ServiceErrorMixin):
    list_url = ""
    noun = ""

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}
        return {**kwargs, "window": getattr(self, "object", None)}


class WindowCreateMixin(WindowFormMixin):
    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and access.here_or_anywhere(access.can_view_change).test(request.user, None)
            and not owners_for(request.user)
        ):
            messages.error(
                request,
                f"The school's network manager keeps its {self.noun}s; the LEA's consultants keep shared ones.",
            )
            return redirect(self.list_url)
        return super().dispatch(request, *args, **kwargs)


class WindowUpdateMixin(KeptConfigMixin, WindowFormMixin):
    """A window: its keepers change or remove it; others see what it is and who keeps it."""

    context_object_name = "window"

    @property
    def kept(self) -> str:
        return f"{self.noun}s"


class WindowFormView(FormView):
    """Add or change a window through its services. The kind of window (FreezeFormMixin, MaintenanceFormMixin)
    names its form's `fields`, and gives `create(actor, school, authority, **fields)` and
    `update(window, actor, **fields)`, which call its services, and `saved(window)`, the message."""

    fields: tuple[str, ...] = ()

    def get_initial(self):
        window = getattr(self, "object", None)
        return {name: getattr(window, name) for name in self.fields} if window is not None else {}

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in self.fields}
        window = getattr(self, "object", None)
        try:
            if window is None:
                school, authority = form.cleaned_data["owner"]
                window = self.create(actor=self.request.user, school=school, authority=authority, **data)
            else:
                window = self.update(window, actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            _report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, self.saved(window))
        return redirect(self.list_url)


class FreezeFormMixin:
    model = FreezeWindow
    form_class = FreezeWindowForm
    template_name = "changes/window_freeze_form.html"
    list_url = "changes:freeze_list"
    noun = "freeze window"
    fields = ("name", "kind", "starts", "ends")

    def create(self, **kwargs):
        return windows.freeze_window_create(**kwargs)

    def update(self, window, **kwargs):
        return windows.freeze_window_update(freeze=window, **kwargs)

    def saved(self, freeze) -> str:
        return f"Freeze window “{freeze.name}” saved ({freeze.dates}, {freeze.scope_label})."


class FreezeCreateView(FreezeFormMixin, WindowCreateMixin, WindowFormView):
    pass


class FreezeUpdateView(FreezeFormMixin, WindowUpdateMixin, DetailView, WindowFormView):
    pass


class MaintenanceFormMixin:
    model = MaintenanceWindow
    form_class = MaintenanceWindowForm
    template_name = "changes/window_maintenance_form.html"
    list_url = "changes:maintenance_list"
    noun = "maintenance window"
    fields = ("name", "weekday", "opens", "closes")

    def create(self, **kwargs):
        return windows.maintenance_window_create(**kwargs)

    def update(self, window, **kwargs):
        return windows.maintenance_window_update(window=window, **kwargs)

    def saved(self, window) -> str:
        return f"Maintenance window {window} saved ({window.scope_label})."


class MaintenanceCreateView(MaintenanceFormMixin, WindowCreateMixin, WindowFormView):
    pass


class MaintenanceUpdateView(MaintenanceFormMixin, WindowUpdateMixin, DetailView, WindowFormView):
    pass


class WindowDeleteView(ChangeAccessMixin, RecordActionView):
    """Remove a window (POST only); back to the list."""

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            self.remove(self.object)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return redirect(self.edit_url, pk=self.object.pk)
        messages.success(request, f"{self.object.scope_label}: {self.object} removed.")
        return redirect(self.list_url)


class FreezeDeleteView(WindowDeleteView):
    model = FreezeWindow
    list_url, edit_url = "changes:freeze_list", "changes:freeze_edit"

    def remove(self, freeze):
        windows.freeze_window_delete(freeze=freeze, actor=self.request.user)


class MaintenanceDeleteView(WindowDeleteView):
    model = MaintenanceWindow
    list_url, edit_url = "changes:maintenance_list", "changes:maintenance_edit"

    def remove(self, window):
        windows.maintenance_window_delete(window=window, actor=self.request.user)


def calendar_url(school: Any) -> str:
    """The address a calendar client subscribes to."""
    url = reverse("changes:forward_schedule_ics")
    return f"{url}?school={school.slug}" if school is not None else url
