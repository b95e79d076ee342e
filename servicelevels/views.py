"""Calendar pages: the calendars in force at the user's schools, a month grid of open and closed days,
and the import of an authority's .ics feed. Writes go through servicelevels.calendars / .ical."""

from __future__ import annotations

import calendar as monthcal
from datetime import date

from django import forms
from django.contrib import messages
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.views.generic import DetailView, ListView

from fits import access
from fits.views import RecordActionView, ScopedViewMixin
from servicelevels.calendars import calendar_view, calendars_for
from servicelevels.ical import term_dates_import_ics
from servicelevels.models import Calendar, WorkingHours

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
        )
        return context


class ImportForm(forms.Form):
    feed = forms.FileField(label="iCalendar file (.ics)")

    def clean_feed(self):
        feed = self.cleaned_data["feed"]
        if feed.size > MAX_ICS_BYTES:
            raise forms.ValidationError("The .ics file is larger than 1 MB: is it the term dates feed?")
        return feed


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
