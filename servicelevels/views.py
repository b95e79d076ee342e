"""Calendar pages: the calendars in force at the user's schools, a month grid of open and closed days,
and the import of an authority's .ics feed. Writes go through servicelevels.calendars / .ical."""

from __future__ import annotations

import calendar as monthcal
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, View

from fits import access, attachments
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from servicelevels import calendars as calendar_services
from servicelevels.calendars import calendar_view, calendars_for
from servicelevels.forms import ClosureForm, TermDateForm, WorkingHoursForm, add_service_errors
from servicelevels.ical import term_dates_import_ics
from servicelevels.models import Calendar, Closure, TermDate, WorkingHours

MAX_ICS_BYTES = 1024 * 1024


class CalendarMixin(ScopedViewMixin):
    """Calendars are support staff's configuration (like the service desk settings); others get 404."""

    model = Calendar

    def dispatch(self, request, *args, **kwargs):
        readable = access.here_or_anywhere(access.can_view_service_desk_config)
        if request.user.is_authenticated and not readable.test(request.user, None):
            raise Http404("Calendars are for support staff.")
        return super().dispatch(request, *args, **kwargs)


class CalendarListView(CalendarMixin, ListView):
    template_name = "servicelevels/calendar_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school__authority", "authority")
        return queryset.order_by(F("school__name").asc(nulls_first=True), "name")  # the authority's first


class CalendarDetailView(CalendarMixin, DetailView):
    """A month of the calendar in force (a school's calendar layered over its authority's)."""

    template_name = "servicelevels/calendar_detail.html"
    narrow_to_current_school = False
    context_object_name = "calendar"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority")

    def month(self) -> date:
        try:
            year, month = (int(part) for part in self.request.GET.get("month", "").split("-"))
            return date(year, month, 1)
        except ValueError:
            return timezone.localdate().replace(day=1)

    @staticmethod
    def cell(view, day: date, first: date) -> dict:
        kind, label = view.describe(day)
        return {"day": day, "in_month": day.month == first.month, "kind": kind, "label": label}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calendar = self.object
        layers = calendars_for(calendar.school) if calendar.school_id else [calendar]
        view = calendar_view(layers, school=calendar.school)
        first = self.month()
        weeks = [
            [self.cell(view, day, first) for day in week]
            for week in monthcal.Calendar().monthdatescalendar(first.year, first.month)
        ]
        previous = (first.replace(day=1) - date.resolution).replace(day=1)
        following = (first.replace(day=28) + 4 * date.resolution).replace(day=1)
        context.update(
            weeks=weeks,
            month=first,
            previous=f"{previous:%Y-%m}",
            following=f"{following:%Y-%m}",
            weekdays=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            hours=[
                (WorkingHours.Weekday(day).label, ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in spans))
                for day, spans in sorted(view.hours_by_weekday.items())
            ],
            terms=calendar.terms.all(),
            closures=calendar.closures.all(),
            may_change=access.can_manage_shared_config.test(self.request.user, calendar),
            nation=view.nation,
            closure_kinds=Closure.Kind.choices,
        )
        return context


class ImportForm(forms.Form):
    feed = forms.FileField(label="iCalendar file (.ics)")

    def clean_feed(self):
        feed = self.cleaned_data["feed"]
        if feed.size > MAX_ICS_BYTES:
            raise forms.ValidationError("The .ics file is larger than 1 MB: is it the term dates feed?")
        return attachments.check_import(feed, what="an iCalendar (.ics) file")  # by content (README "Security")


class CalendarImportView(CalendarMixin, RecordActionView):
    """Import term dates, half-terms and INSET days from an authority's .ics feed (its keepers only)."""

    form_class = ImportForm

    def get_form(self):
        return self.form_class(self.request.POST, self.request.FILES)

    def act(self, data):
        report = term_dates_import_ics(calendar=self.object, actor=self.request.user, data=data["feed"].read())
        messages.success(self.request, f"Imported {len(report.imported)} entries, skipped {len(report.skipped)}.")
        for line in report.skipped:
            messages.info(self.request, f"Skipped {line}")


# =============================================================================
# Editing a calendar: working hours, term dates, INSET days and closures (through servicelevels.calendars)
# =============================================================================


def _report(form, error: Exception) -> None:
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You cannot change this calendar.")
    else:
        add_service_errors(form, error)


class CalendarHoursView(CalendarMixin, ServiceErrorMixin, FormView):
    """The working hours of each weekday, several spans a day ("08:00-12:00, 13:00-16:00")."""

    template_name = "servicelevels/calendar_hours.html"
    narrow_to_current_school = False
    form_class = WorkingHoursForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.get_queryset().prefetch_related("hours"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "calendar": self.object}

    def get_context_data(self, **kwargs):
        may_change = access.can_manage_shared_config.test(self.request.user, self.object)
        return super().get_context_data(**kwargs, calendar=self.object, may_change=may_change)

    def form_valid(self, form):
        try:
            calendar_services.working_hours_set(
                calendar=self.object, actor=self.request.user, hours=form.cleaned_data["hours"]
            )
        except (ValidationError, PermissionDenied) as error:
            _report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Working hours saved: open tickets' due times follow.")
        return HttpResponseRedirect(self.object.get_absolute_url())


class TermDateCreateView(CalendarMixin, RecordActionView):
    form_class = TermDateForm

    def act(self, data):
        term = calendar_services.term_date_add(
            calendar=self.object, actor=self.request.user, name=data["name"], starts=data["starts"], ends=data["ends"]
        )
        messages.success(self.request, f"{term} added.")


class ClosureCreateView(CalendarMixin, RecordActionView):
    form_class = ClosureForm

    def act(self, data):
        closure = calendar_services.closure_add(
            calendar=self.object, actor=self.request.user, kind=data["kind"], name=data["name"],
            starts=data["starts"], ends=data["ends"], staff_working=data["staff_working"],
        )  # fmt: skip
        messages.success(self.request, f"{closure} added.")


class CalendarEntryMixin(LoginRequiredMixin):
    """A term or closure of a calendar the user can see (another school's answers 404 like a missing one)."""

    entry_model: type = TermDate

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            readable = access.here_or_anywhere(access.can_view_service_desk_config)
            if not readable.test(request.user, None):
                raise Http404("Calendars are for support staff.")
            calendars = Calendar.objects.visible_to(request.user)
            manager = TermDate.objects if self.entry_model is TermDate else Closure.objects
            entries = manager.select_related("calendar").filter(calendar__in=calendars)
            self.entry = get_object_or_404(entries, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class CalendarEntryUpdateView(CalendarEntryMixin, FormView):
    template_name = "servicelevels/calendar_entry_form.html"

    def get_form(self, form_class=None):
        data = self.request.POST if self.request.method == "POST" else None
        if self.entry_model is TermDate:
            return TermDateForm.for_term(self.entry, data)
        return ClosureForm.for_closure(self.entry, data)

    def get_context_data(self, **kwargs):
        calendar = self.entry.calendar
        return super().get_context_data(
            **kwargs,
            entry=self.entry,
            calendar=calendar,
            is_term=self.entry_model is TermDate,
            may_change=access.can_manage_shared_config.test(self.request.user, calendar),
        )

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            if self.entry_model is TermDate:
                calendar_services.term_date_update(term=self.entry, actor=self.request.user, **data)
            else:
                if data["staff_working"] is None:
                    data["staff_working"] = data["kind"] == Closure.Kind.INSET
                calendar_services.closure_update(closure=self.entry, actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            _report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{data['name']} saved.")
        return HttpResponseRedirect(self.entry.calendar.get_absolute_url())


class TermDateUpdateView(CalendarEntryUpdateView):
    entry_model = TermDate


class ClosureUpdateView(CalendarEntryUpdateView):
    entry_model = Closure


class CalendarEntryDeleteView(CalendarEntryMixin, View):
    def post(self, request, *args, **kwargs):
        calendar = self.entry.calendar
        try:
            if self.entry_model is TermDate:
                calendar_services.term_date_delete(term=self.entry, actor=request.user)
            else:
                calendar_services.closure_delete(closure=self.entry, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, str(getattr(error, "message", error)) or "You cannot change this calendar.")
        else:
            messages.success(request, f"{self.entry.name} removed.")
        return HttpResponseRedirect(calendar.get_absolute_url())


class TermDateDeleteView(CalendarEntryDeleteView):
    entry_model = TermDate


class ClosureDeleteView(CalendarEntryDeleteView):
    entry_model = Closure
