"""The portal for ICT users: log an incident in plain words, follow "my tickets", confirm and rate, reopen.

Also the record actions every ticket page offers around them: attachments (upload and download),
and the safeguarding flag. Thin views: they parse, call a service (incidents.services), render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django.views.generic import FormView, ListView, View
from django.views.generic.detail import SingleObjectMixin

from cmdb.models import Location
from fits import access
from fits.attachments import as_download, attachments_of
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents import portal, services
from incidents.models import OPEN_STATUSES, Incident, Status
from incidents.portal_forms import (
    AttachForm,
    ConfirmForm,
    PortalLogForm,
    ReopenForm,
    SafeguardingForm,
    UnflagForm,
)

# =============================================================================
# Log an incident
# =============================================================================


def picker_context(form) -> dict[str, Any]:
    """What the room and device pickers show before the first lookup: the chosen (or usual) room and device."""
    location = form.picked_location if form.is_bound else getattr(form, "usual_room", None)
    school = portal.school_from(form.user, form["school"].value()) if location else None
    return {
        "picked_location": location,
        "room_devices": portal.find_devices(form.user, school, location=location, query="") if school else None,
        "picked_ci": form.picked_ci if form.is_bound else None,
        "usual_room": getattr(form, "usual_room", None),
        "lesson": portal.lesson_in(location) if location else None,
    }


class PortalLogView(LoginRequiredMixin, ServiceErrorMixin, FormView):
    """Log an incident: the user's own, in plain words (the desk may log one for a caller here too;
    its fast form is the phone form)."""

    form_class = PortalLogForm
    template_name = "incidents/portal/log.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can log incidents.")
            return redirect("home")
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(picker_context(context["form"]))
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            incident = services.incident_submit(
                school=data["school"],
                logged_by=self.request.user,
                reporter=data.get("reporter"),
                channel=data.get("channel") or "portal",
                title=data["title"],
                description=data["description"],
                room=data["room"],
                location=data.get("location"),
                ci=data.get("ci"),
                impact=data["impact"],
                urgency=data["urgency"],
                safeguarding=data.get("safeguarding", False),
                uploads=data.get("attachments") or [],
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        text = f"{incident.reference} logged. We will keep you informed here and by e-mail."
        if incident.safeguarding:
            text += " The school's safeguarding leads have been told."
        messages.success(self.request, text)
        if not Incident.objects.visible_to(self.request.user).filter(pk=incident.pk).exists():
            return redirect("incidents:list")  # logged for a caller as a safeguarding concern: not theirs to see
        return redirect(incident)


# --- the htmx lookups of the form ------------------------------------------------------


@require_GET
@login_required
def room_lookup(request: HttpRequest) -> HttpResponse:
    """Rooms matching what was typed, as radio buttons named `location` (htmx; GET ?location_q=&school=).

    The room already chosen (?location=) stays first, so typing again never loses it."""
    user, query = request.user, request.GET.get("location_q", "").strip()
    school = portal.school_from(user, request.GET.get("school"))
    found, chosen, usual = [], None, None
    if school is not None:
        found = portal.find_rooms(user, school, query) if query else []
        value = request.GET.get("location", "")
        chosen = portal.rooms(user, school).filter(pk=value).first() if value.isdigit() else None
        usual = portal.usual_room(user, school) if chosen else None
    return render(
        request,
        "incidents/portal/_rooms.html",
        {"rooms": found, "query": query, "chosen_room": chosen, "usual": usual, "limit": portal.RESULTS},
    )


@require_GET
@login_required
def device_lookup(request: HttpRequest) -> HttpResponse:
    """Devices in the chosen room first, then the school's matches by name or asset tag (htmx; radios `ci`)."""
    user, query = request.user, request.GET.get("ci_q", "").strip()
    school = portal.school_from(user, request.GET.get("school"))
    location, chosen, found = None, None, []
    if school is not None:
        value = request.GET.get("location", "")
        location = portal.rooms(user, school).filter(pk=value).first() if value.isdigit() else None
        found = portal.find_devices(user, school, location=location, query=query)
        value = request.GET.get("ci", "")
        chosen = portal.pickable_devices(user, school).filter(pk=value).first() if value.isdigit() else None
    return render(
        request,
        "incidents/portal/_devices.html",
        {"devices": found, "query": query, "location": location, "chosen_ci": chosen},
    )


@require_GET
@login_required
def lesson_hint(request: HttpRequest) -> HttpResponse:
    """ "Lesson now in this room: 9X2 Computing until 11:00: urgency will be high" (htmx, GET ?location=)."""
    value = request.GET.get("location", "")
    location = Location.objects.visible_to(request.user).filter(pk=value).first() if value.isdigit() else None
    return render(request, "incidents/portal/_lesson.html", {"lesson": portal.lesson_in(location)})


# =============================================================================
# My tickets
# =============================================================================

SHOWS = {
    "open": ("Open", OPEN_STATUSES),
    "resolved": ("Awaiting my confirmation", (Status.RESOLVED,)),
    "closed": ("Closed", (Status.CLOSED,)),
    "all": ("All", None),
}


class MyTicketsView(ScopedViewMixin, ListView):
    """The tickets a person reported: where each is, its last update; confirm and rate, or reopen, the
    resolved ones; reply to the open ones."""

    model = Incident
    narrow_to_current_school = False
    template_name = "incidents/portal/mine.html"
    context_object_name = "tickets"
    paginate_by = 20

    def get_queryset(self):
        mine = super().get_queryset().filter(reporter=self.request.user)
        self.counts = mine.count_by("status")
        show = self.request.GET.get("show", "")
        self.show = show if show in SHOWS else "all"
        statuses = SHOWS[self.show][1]
        if statuses is not None:
            mine = mine.filter(status__in=statuses)
        return mine.for_list().select_related("location__parent__parent").order_by("-updated_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = self.counts
        tabs = []
        for slug, (label, statuses) in SHOWS.items():
            n = sum(counts.values()) if statuses is None else sum(counts.get(s, 0) for s in statuses)
            tabs.append({"slug": slug, "label": label, "count": n, "active": slug == self.show})
        context.update(
            tabs=tabs,
            show=self.show,
            awaiting=counts.get(Status.RESOLVED, 0),
            confirm_form=ConfirmForm(),
            reopen_form=ReopenForm(),
            here=self.request.get_full_path(),
        )
        return context


# =============================================================================
# Actions on one ticket: confirm and rate, attach, safeguarding
# =============================================================================


class _IncidentAction(RecordActionView):
    model = Incident

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        target = request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(target)
        return response


class IncidentConfirmView(_IncidentAction):
    """The caller confirms the fix with a rating (1–5) and an optional comment: the incident closes."""

    form_class = ConfirmForm

    def act(self, data):
        incident = services.incident_confirm(
            incident=self.object, actor=self.request.user, satisfaction=data["satisfaction"], comment=data["comment"]
        )
        messages.success(self.request, f"Thank you: {incident.reference} is closed.")


class IncidentAttachView(_IncidentAction):
    """Add screenshots or documents to a ticket."""

    form_class = AttachForm

    def get_form(self):
        return AttachForm(self.request.POST, self.request.FILES)

    def act(self, data):
        public = data["public"] or not access.can_see_internal_notes.test(self.request.user, self.object)
        added = services.incident_attach(
            incident=self.object, actor=self.request.user, uploads=data["files"], public=public
        )
        names = ", ".join(attachment.name for attachment in added)
        messages.success(self.request, f"Attached {names}." if public else f"Attached for support staff only: {names}.")


class AttachmentDownloadView(ScopedViewMixin, SingleObjectMixin, View):
    """One attachment of a ticket the person may see, as a download (never inline)."""

    model = Incident
    narrow_to_current_school = False

    def get(self, request, *args, **kwargs):
        incident = self.get_object()
        staff = access.can_see_internal_notes.test(request.user, incident)
        attachment = attachments_of(incident, include_internal=staff).filter(pk=kwargs["attachment"]).first()
        if attachment is None:
            raise Http404("No such attachment.")
        try:
            return as_download(attachment)
        except FileNotFoundError:
            raise Http404("The file is missing from storage.") from None


class IncidentFlagView(_IncidentAction):
    """Raise a safeguarding concern on a ticket; whoever cannot see it afterwards goes back to the list."""

    form_class = SafeguardingForm

    def act(self, data):
        incident = services.incident_flag_safeguarding(incident=self.object, actor=self.request.user, note=data["note"])
        messages.success(
            self.request,
            f"{incident.reference} is flagged as a safeguarding concern. The safeguarding leads have been told.",
        )

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if not Incident.objects.visible_to(request.user).filter(pk=self.object.pk).exists():
            messages.info(
                request,
                f"Only the safeguarding leads, school leaders, the caller and whoever works on it can see "
                f"{self.object.reference} now.",
            )
            return redirect("incidents:list")
        return response


class IncidentUnflagView(_IncidentAction):
    form_class = UnflagForm

    def act(self, data):
        incident = services.incident_unflag_safeguarding(
            incident=self.object, actor=self.request.user, note=data["note"]
        )
        messages.success(self.request, f"{incident.reference} is no longer flagged as a safeguarding concern.")


# =============================================================================
# The ticket page's share (incidents.views.IncidentDetailView adds this to its context)
# =============================================================================


def detail_context(incident: Incident, user: Any) -> dict[str, Any]:
    """Room and lesson, the CI's impact, attachments, the caller's confirm/reopen forms, the safeguarding actions."""
    staff = access.can_see_internal_notes.test(user, incident)
    context: dict[str, Any] = {
        "attachments": list(attachments_of(incident, include_internal=staff))
        if getattr(incident, "has_attachments", True)  # selectors.for_detail: none, nothing to read
        else [],
        "can_attach": access.can_attach_to_incident.test(user, incident),
        "attach_form": AttachForm(),
        "can_flag": not incident.safeguarding and access.can_flag_safeguarding.test(user, incident),
        "can_unflag": incident.safeguarding and access.can_unflag_safeguarding.test(user, incident),
        "flag_form": SafeguardingForm(),
        "unflag_form": UnflagForm(),
        "is_caller": incident.reporter_id == user.pk,
        "confirm_form": ConfirmForm(),
        "reopen_form": ReopenForm(),
        "ci_impact": None,
    }
    context["can_confirm"] = incident.status == Status.RESOLVED and any(
        t.name == "close" for t in Incident.WORKFLOW.available(user, incident)
    )
    if incident.ci_id and access.can_view_cmdb.test(user, incident):
        context["ci_impact"] = portal.ci_impact(incident.ci)
    return context


def lookup_urls() -> dict[str, str]:
    return {
        "rooms": reverse("incidents:lookup_rooms"),
        "devices": reverse("incidents:lookup_devices"),
        "lesson": reverse("incidents:lesson_hint"),
    }
