"""Phone and walk-up calls: the desk's (and technicians') fast form.

Look the caller up as they give their name, pick the room and device, see the priority as impact
and urgency are chosen, and, for a call fixed while the caller is on the line, log and resolve it
in one go. Keyboard first: the caller box has the focus, Tab follows the order of the call, and
Ctrl+Enter logs it (static/fits/calls.js).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django.views.generic import FormView

from cmdb.models import Location
from fits import access
from fits.views import ServiceErrorMixin
from incidents import portal, services
from incidents.models import Impact, Incident, Urgency, priority_for
from incidents.portal_forms import PhoneLogForm
from incidents.portal_views import picker_context


class PhoneLogView(LoginRequiredMixin, ServiceErrorMixin, FormView):
    """Log a call taken by phone or in person, for the caller."""

    form_class = PhoneLogForm
    template_name = "incidents/portal/phone.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.has_schools:
            messages.error(request, "Only the service desk and technicians log calls for other people.")
            return redirect("home")
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context.update(picker_context(form))
        context["picked_reporter"] = form.picked_reporter if form.is_bound else None
        logged = self.request.GET.get("logged", "")
        if logged.isdigit():
            context["logged"] = (
                Incident.objects.visible_to(self.request.user).select_related("reporter").filter(pk=logged).first()
            )
        context["priority"] = _priority(form)
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            incident = services.incident_submit(
                school=data["school"],
                logged_by=self.request.user,
                reporter=data["reporter"],
                channel=data["channel"],
                title=data["title"],
                description=data["description"],
                category=data.get("category"),
                room=data["room"],
                location=data.get("location"),
                ci=data.get("ci"),
                impact=data["impact"],
                urgency=data["urgency"],
                safeguarding=data.get("safeguarding", False),
                resolution=data["resolution"],
                resolution_code=data["resolution_code"],
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        done = "logged and resolved at first contact" if incident.resolved_at else "logged"
        messages.success(self.request, f"{incident.reference} {done} for {incident.reporter}.")
        return redirect(f"{reverse('incidents:phone')}?logged={incident.pk}")


def _priority(form) -> dict:
    """The priority the form's impact and urgency give now (for the first render; htmx keeps it live)."""
    data = form.data if form.is_bound else {}
    school = portal.school_from(form.user, data.get("school") or form.fields["school"].initial)
    return preview(
        school,
        data.get("impact") or form.fields["impact"].initial,
        data.get("urgency") or form.fields["urgency"].initial,
        form.picked_location,
    )


def preview(school, impact, urgency, location: Location | None) -> dict:
    try:
        impact, urgency = Impact(int(impact)), Urgency(int(urgency))
    except (TypeError, ValueError):
        return {}
    lesson = portal.lesson_in(location)
    effective = Urgency.HIGH if lesson is not None else urgency
    authority = school.authority_id if school is not None else None
    return {
        "value": priority_for(impact, effective, authority_id=authority),
        "lesson": lesson,
        "raised": lesson is not None and urgency != Urgency.HIGH,
    }


@require_GET
@login_required
def priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority impact x urgency gives, with the lesson in the room now raising urgency (htmx)."""
    school = portal.school_from(request.user, request.GET.get("school"))
    value = request.GET.get("location", "")
    location = None
    if school is not None and value.isdigit():
        location = portal.rooms(request.user, school).filter(pk=value).first()
    context = preview(school, request.GET.get("impact"), request.GET.get("urgency"), location)
    return render(request, "incidents/portal/_priority.html", {"priority": context})


@require_GET
@login_required
def caller_lookup(request: HttpRequest) -> HttpResponse:
    """People at the school matching a name, e-mail or phone number, with their open tickets and usual room
    (htmx; radios named `reporter`)."""
    school = portal.school_from(request.user, request.GET.get("school"), predicate=access.can_log_for_others)
    query = request.GET.get("caller_q", "").strip()
    callers = portal.find_callers(request.user, school, query) if school is not None else []
    return render(
        request,
        "incidents/portal/_callers.html",
        {"callers": callers, "query": query, "chosen": request.GET.get("reporter", ""), "limit": portal.RESULTS},
    )
