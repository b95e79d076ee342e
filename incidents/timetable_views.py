"""The timetable pages (lesson impact): the lessons of each room by weekday, kept by hand or imported
from the MIS export, so a fault in a room where a lesson is on now is logged with urgency high.

The timetable is support staff's, like the CMDB: for anyone else these pages are not there (404).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.generic import FormView, ListView, View
from django.views.generic.detail import SingleObjectMixin

from cmdb.models import Location
from fits import access
from fits.models import School
from fits.scoping import schools_visible_to
from fits.views import ScopedViewMixin, ServiceErrorMixin
from incidents import services
from incidents.models import Lesson, Weekday
from incidents.portal_forms import LessonForm, TimetableImportForm

SCHOOL_DAYS = [day for day in Weekday if day < Weekday.SATURDAY]
SESSION_KEY = "fits:timetable-import"


def _require_view(user, school) -> None:
    """The timetable answers only to support staff: 404 for anyone else, as the CMDB does."""
    if not access.here_or_anywhere(access.can_view_timetable).test(user, school):
        raise Http404("No timetable here.")


def _week(lessons) -> list[dict[str, Any]]:
    by_day: dict[int, list[Lesson]] = defaultdict(list)
    for lesson in lessons:
        by_day[lesson.weekday].append(lesson)
    days = list(SCHOOL_DAYS) + [day for day in (Weekday.SATURDAY, Weekday.SUNDAY) if by_day.get(day)]
    return [{"day": day, "lessons": sorted(by_day.get(day, []), key=lambda x: x.starts)} for day in days]


class TimetableView(ScopedViewMixin, ListView):
    """Every room of the school with its lessons through the week."""

    model = Location
    template_name = "incidents/timetable/rooms.html"
    context_object_name = "rooms"
    paginate_by = 20

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_view(request.user, request.school)
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Location]:
        rooms = super().get_queryset().filter(kind=Location.Kind.ROOM)
        self.query = self.request.GET.get("q", "").strip()
        if self.query:
            rooms = rooms.filter(name__icontains=self.query)
        rooms = rooms.annotate(lesson_count=Count("lessons"))
        if self.request.GET.get("with") == "lessons":
            rooms = rooms.filter(lesson_count__gt=0)
        return rooms.select_related("school", "parent__parent").order_by("school__name", "parent__name", "name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rooms = context["rooms"]
        lessons = Lesson.objects.visible_to(self.request.user).filter(location__in=list(rooms)).order_by("starts")
        by_room: dict[int, list[Lesson]] = defaultdict(list)
        for lesson in lessons:
            by_room[lesson.location_id].append(lesson)
        user, school = self.request.user, self.request.school
        context.update(
            rows=[{"room": room, "week": _week(by_room.get(room.pk, []))} for room in rooms],
            days=SCHOOL_DAYS,
            q=self.query,
            only_with_lessons=self.request.GET.get("with") == "lessons",
            can_manage=access.here_or_anywhere(access.can_manage_timetable).test(user, school),
            show_school=school is None and len(user.visible_school_ids) > 1,
        )
        return context


class TimetableRecordMixin(ScopedViewMixin, SingleObjectMixin):
    """One room or lesson of the timetable: 404 for anyone who may not see the school's timetable."""

    narrow_to_current_school = False

    def get_object(self, queryset=None):
        record = super().get_object(queryset)
        if not access.can_view_timetable.test(self.request.user, record):
            raise Http404("No timetable here.")
        return record


class RoomTimetableView(TimetableRecordMixin, View):
    """One room's week, with its lessons to add, change or remove."""

    model = Location

    def get(self, request, *args, **kwargs):
        room = self.get_object()
        lessons = Lesson.objects.visible_to(request.user).filter(location=room).order_by("weekday", "starts")
        can_manage = access.can_manage_timetable.test(request.user, room)
        return render(
            request,
            "incidents/timetable/room.html",
            {
                "room": room,
                "week": _week(lessons),
                "can_manage": can_manage,
                "form": LessonForm(user=request.user, school=room.school, initial={"location": room.pk})
                if can_manage
                else None,
            },
        )


class LessonCreateView(TimetableRecordMixin, View):
    """Add a lesson to a room's week (POST from the room's page)."""

    model = Location

    def get(self, request, *args, **kwargs):
        return redirect("incidents:timetable_room", pk=self.get_object().pk)

    def post(self, request, *args, **kwargs):
        room = self.get_object()
        form = LessonForm(request.POST, user=request.user, school=room.school, initial={"location": room.pk})
        if form.is_valid():
            try:
                lesson = services.lesson_create(actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                _form_errors(form, error)
            else:
                messages.success(request, f"Added {lesson} in {lesson.location.name}.")
                return redirect("incidents:timetable_room", pk=lesson.location_id)
        lessons = Lesson.objects.visible_to(request.user).filter(location=room).order_by("weekday", "starts")
        context = {"room": room, "week": _week(lessons), "can_manage": True, "form": form}
        return render(request, "incidents/timetable/room.html", context, status=400)


def _form_errors(form, error: Exception) -> None:
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You cannot change this school's timetable.")
    elif hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class LessonEditView(TimetableRecordMixin, View):
    """Change a lesson's room, day, times, class or teacher."""

    model = Lesson

    def get_scoped_queryset(self):
        return super().get_scoped_queryset().select_related("location", "school")

    def get(self, request, *args, **kwargs):
        lesson = self.get_object()
        fields = ("location", "weekday", "starts", "ends", "name", "teacher")
        initial = {name: getattr(lesson, name) for name in fields}
        initial["location"] = lesson.location_id
        form = LessonForm(user=request.user, school=lesson.school, initial=initial)
        return render(request, "incidents/timetable/lesson_form.html", {"lesson": lesson, "form": form})

    def post(self, request, *args, **kwargs):
        lesson = self.get_object()
        form = LessonForm(request.POST, user=request.user, school=lesson.school)
        if form.is_valid():
            try:
                lesson = services.lesson_update(lesson=lesson, actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                _form_errors(form, error)
            else:
                messages.success(request, f"Saved {lesson}.")
                return redirect("incidents:timetable_room", pk=lesson.location_id)
        return render(request, "incidents/timetable/lesson_form.html", {"lesson": lesson, "form": form}, status=400)


class LessonDeleteView(TimetableRecordMixin, ServiceErrorMixin, View):
    model = Lesson

    def post(self, request, *args, **kwargs):
        lesson = self.get_object()
        room = lesson.location_id
        try:
            services.lesson_delete(lesson=lesson, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            messages.success(request, f"Removed {lesson}.")
        return redirect("incidents:timetable_room", pk=room)


# =============================================================================
# Import from the MIS
# =============================================================================


def manageable_schools(user) -> list[School]:
    return [s for s in schools_visible_to(user) if access.can_manage_timetable.test(user, s)]


class TimetableImportView(LoginRequiredMixin, ServiceErrorMixin, FormView):
    """Upload the MIS timetable export: every row checked, then a preview to confirm (all or nothing)."""

    form_class = TimetableImportForm
    template_name = "incidents/timetable/import.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            _require_view(request.user, request.school)
            self.schools = manageable_schools(request.user)
            current = request.school
            if current is not None:
                self.schools = [s for s in self.schools if s.pk == current.pk]
            if not self.schools:
                messages.error(request, "Only the service desk, technicians and the network manager import timetables.")
                return redirect("incidents:timetable")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schools"] = self.schools
        return context

    def form_valid(self, form):
        school = self._school()
        data = form.cleaned_data["file"].read()
        replace = form.cleaned_data["replace"]
        try:
            timetable = services.lessons_check(school=school, actor=self.request.user, data=data, replace=replace)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        if timetable.ok:
            self.request.session[SESSION_KEY] = {
                "school": school.pk,
                "data": data.decode("latin-1"),
                "replace": replace,
                "name": form.cleaned_data["file"].name,
            }
        lessons = Lesson.objects.visible_to(self.request.user)
        existing = lessons.filter(location__in=timetable.rooms).count() if replace and timetable.ok else 0
        context = {
            "timetable": timetable,
            "school": school,
            "replace": replace,
            "replaced": existing,
            "filename": form.cleaned_data["file"].name,
        }
        return render(self.request, "incidents/timetable/import_preview.html", context)

    def _school(self) -> School:
        chosen = self.request.POST.get("school", "")
        return next((s for s in self.schools if str(s.pk) == chosen), self.schools[0])


class TimetableImportConfirmView(LoginRequiredMixin, ServiceErrorMixin, View):
    """Import the file this session previewed, into the school it was previewed for."""

    def post(self, request, *args, **kwargs):
        pending = request.session.pop(SESSION_KEY, None)
        if pending is None:
            messages.error(request, "There is no checked file waiting to be imported: upload it again.")
            return redirect("incidents:timetable_import")
        if request.POST.get("cancel"):
            messages.info(request, "Nothing was imported.")
            return redirect("incidents:timetable")
        school = next((s for s in manageable_schools(request.user) if s.pk == pending["school"]), None)
        if school is None:
            raise Http404("No such school.")
        try:
            timetable = services.lessons_import(
                school=school, actor=request.user, data=pending["data"].encode("latin-1"), replace=pending["replace"]
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return redirect("incidents:timetable_import")
        rooms = len(timetable.rooms)
        messages.success(
            request,
            f"Imported {len(timetable.rows)} lessons in {rooms} room{'s' if rooms != 1 else ''} at {school}"
            + (f", replacing {timetable.removed} earlier ones." if timetable.removed else "."),
        )
        return HttpResponseRedirect(reverse("incidents:timetable") + "?with=lessons")
