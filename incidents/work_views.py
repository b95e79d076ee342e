"""Working a ticket beyond its lifecycle: groups and escalation, time spent, merging, major incidents.

POST actions on one ticket (fits.views.RecordActionView: 404 if not visible, one service call,
back to the ticket), and `work_context`, what the ticket's page shows of them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.db.models import Sum
from django.urls import reverse

from fits import access
from fits.models import TimeEntry
from fits.views import RecordActionView
from incidents import selectors, services
from incidents.models import HoldReason, Incident, Status, SupportGroup, TicketKind
from incidents.selectors import FormChoices
from incidents.work_forms import (
    CategoryForm,
    EscalateForm,
    LinkChildForm,
    LinkToMajorForm,
    MajorUpdateForm,
    MergeForm,
    NoteForm,
    ServiceForm,
    SupplierReferenceForm,
    TakeBackForm,
    TimeForm,
)

# =============================================================================
# What the ticket's page shows
# =============================================================================


def form_choices_for(user: Any, incident: Incident, *, assign: bool) -> FormChoices:
    """The choice lists the ticket page's forms will offer `user` (work_context's conditions), in one read.
    `assign`: the page shows the routing form (AssignForm)."""
    staff = access.can_see_internal_notes.test(user, incident)
    workable = incident.is_open and incident.status != Status.PENDING_APPROVAL
    escalate = staff and workable and access.can_escalate_incident.test(user, incident)
    route = staff and incident.is_open and access.can_route_incident.test(user, incident)
    return selectors.form_choices(
        user, incident, groups=assign or escalate, categories=route, services=route, technicians=assign
    )


def work_context(user: Any, incident: Incident, *, choices: FormChoices | None = None) -> dict[str, Any]:
    """The parts of the ticket page about groups, escalation, time, duplicates and major incidents.

    Reads less on a ticket from selectors.for_detail (its flags say which parts are empty) and with
    `choices`, the page's choice lists read already (form_choices_for)."""
    staff = access.can_see_internal_notes.test(user, incident)
    is_open = incident.is_open
    workable = is_open and incident.status != Status.PENDING_APPROVAL
    context: dict[str, Any] = {
        "hold_reasons": HoldReason.choices,
        "resolution_codes": services.resolution_codes_for(incident.kind),
        "resolution_code_required": incident.kind == TicketKind.INCIDENT,
        "may_log_time_on_resolve": access.can_log_incident_time.test(user, incident),
        "escalated": incident.group is not None and incident.group.is_external,
    }
    if incident.is_major:
        children = Incident.objects.visible_to(user).filter(parent=incident).select_related("reporter", "assignee")
        context["children"] = list(children.order_by("created_at"))
        if staff:
            affected = {incident.reporter, *(child.reporter for child in context["children"])}
            context["affected"] = sorted(affected, key=str)
    if not staff:
        return context
    entries = TimeEntry.objects.visible_to(user).filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk
    )
    if getattr(incident, "has_time", True):  # selectors.for_detail: no time logged, nothing to read
        context["time_entries"] = list(entries.select_related("person")[:50])
        context["time_total"] = entries.aggregate(total=Sum("minutes"))["total"] or 0
    else:
        context["time_entries"], context["time_total"] = [], 0
    if getattr(incident, "has_duplicates", True):
        duplicates = Incident.objects.visible_to(user).filter(duplicate_of=incident).only("reference")
        context["duplicates"] = list(duplicates)
    else:
        context["duplicates"] = []
    may_escalate = access.can_escalate_incident.test(user, incident)
    may_link = access.can_update_major_incident.test(user, incident)
    if workable and may_escalate:
        form = EscalateForm(user=user, incident=incident, auto_id="escalate_%s", choices=choices)
        offers = form.offers_groups if form.offers_groups is not None else form.fields["group"].queryset.exists()
        if offers:
            context["escalate_form"] = form
    if context["escalated"] and may_escalate:
        context["may_take_back"] = is_open
        context["supplier_form"] = SupplierReferenceForm(
            initial={"supplier_reference": incident.supplier_reference}, auto_id="supplier_%s"
        )
    if access.can_log_incident_time.test(user, incident):
        context["time_form"] = TimeForm(auto_id="time_%s")
    context.update(service_level_context(user, incident, choices=choices))
    if incident.status != Status.CLOSED and not incident.is_major and access.can_merge_incident.test(user, incident):
        context["merge_form"] = MergeForm(user=user, incident=incident, auto_id="merge_%s")
    plain_call = is_open and not incident.is_major and incident.kind == TicketKind.INCIDENT
    if plain_call and incident.parent_id is None:
        context["may_declare_major"] = access.can_declare_major_incident.test(user, incident)
        if may_link and getattr(incident, "has_open_majors", True):
            form = LinkToMajorForm(user=user, incident=incident, auto_id="major_%s")
            if form.fields["major"].queryset.exists():
                context["link_major_form"] = form
    if incident.parent_id and may_link:
        context["may_unlink"] = True
    if incident.is_major and may_link:
        context["major_update_form"] = MajorUpdateForm()
        if is_open:
            context["link_child_form"] = LinkChildForm(user=user, incident=incident)
    return context


def service_level_context(user: Any, incident: Incident, *, choices: FormChoices | None = None) -> dict[str, Any]:
    """The ticket page's "Service level" card: the agreement, each clock's due time and state (support staff)."""
    from django.urls import NoReverseMatch, reverse

    from servicelevels import sla

    context: dict[str, Any] = {"clocks": sla.clock_view(incident)}
    if incident.agreement_id:
        try:
            context["agreement_url"] = reverse("servicelevels:agreement_detail", args=[incident.agreement_id])
        except NoReverseMatch:
            pass
    if incident.is_open and access.can_route_incident.test(user, incident):
        context["service_form"] = ServiceForm(
            user=user,
            incident=incident,
            initial={"service": incident.service_id},
            auto_id="service_%s",
            choices=choices,
        )
        context["category_form"] = CategoryForm(
            user=user,
            incident=incident,
            initial={"category": incident.category_id},
            auto_id="category_%s",
            choices=choices,
        )
    return context


# =============================================================================
# Actions
# =============================================================================


class WorkActionView(RecordActionView):
    """Base of the work actions: the form gets the user and the ticket when it needs them."""

    model = Incident
    form_class: type = NoteForm
    scoped_form = False

    def get_queryset(self):
        return super().get_queryset().select_related("school", "group", "parent")

    def get_form(self):
        if self.scoped_form:
            return self.form_class(self.request.POST, user=self.request.user, incident=self.object)
        return self.form_class(self.request.POST)

    def done(self, text: str) -> None:
        messages.success(self.request, text)


class EscalateView(WorkActionView):
    form_class = EscalateForm
    scoped_form = True

    def act(self, data):
        group = data["group"]
        incident = services.incident_escalate(
            incident=self.object,
            group=group,
            actor=self.request.user,
            note=data["note"],
            supplier_reference=data["supplier_reference"],
        )
        if group.kind == SupportGroup.Kind.SUPPLIER:
            sent = f" The details are being e-mailed to {group.email}." if group.email else ""
            self.done(f"{incident.reference} escalated to {group}: on hold, waiting for the supplier.{sent}")
        else:
            self.done(f"{incident.reference} escalated to {group}: it is in their queue now.")


class SetServiceView(WorkActionView):
    form_class = ServiceForm
    scoped_form = True

    def act(self, data):
        incident = services.incident_set_service(incident=self.object, actor=self.request.user, service=data["service"])
        measured = incident.agreement or "the built-in targets"
        self.done(f"{incident.reference} now counts against {incident.service or 'no service'} ({measured}).")


class SetCategoryView(WorkActionView):
    form_class = CategoryForm
    scoped_form = True

    def act(self, data):
        incident = services.incident_recategorise(
            incident=self.object, actor=self.request.user, category=data["category"]
        )
        restricted = " It is a security incident now: few people see it." if incident.security else ""
        self.done(f"{incident.reference} is in {incident.category or 'no category'}.{restricted}")

    def success_url(self) -> str:
        """Back to the ticket, or to the queue when the change took it out of the person's sight (a security
        category, and they neither work it nor lead the school)."""
        if Incident.objects.visible_to(self.request.user).filter(pk=self.object.pk).exists():
            return super().success_url()
        return reverse("incidents:list")


class TakeBackView(WorkActionView):
    form_class = TakeBackForm

    def act(self, data):
        group = self.object.group
        incident = services.incident_take_back(incident=self.object, actor=self.request.user, note=data["note"])
        if incident.assignee == self.request.user:
            where = f"it is yours again, {incident.get_status_display().lower()}"
        else:
            where = "back in the school's queue"
        self.done(f"{incident.reference} taken back from {group}: {where}.")


class SupplierReferenceView(WorkActionView):
    form_class = SupplierReferenceForm

    def act(self, data):
        incident = services.incident_set_supplier_reference(
            incident=self.object, actor=self.request.user, supplier_reference=data["supplier_reference"]
        )
        self.done(f"Supplier's reference saved: {incident.supplier_reference or 'none'}.")


class LogTimeView(WorkActionView):
    form_class = TimeForm

    def act(self, data):
        entry = services.incident_log_time(
            incident=self.object,
            person=self.request.user,
            minutes=data["minutes"],
            worked_on=data.get("worked_on"),
            note=data["note"],
        )
        self.done(f"{entry.minutes} minutes logged on {self.object.reference}.")


class MergeView(WorkActionView):
    form_class = MergeForm
    scoped_form = True

    def act(self, data):
        into = data["into"]
        duplicate = services.incident_merge(
            duplicate=self.object, into=into, actor=self.request.user, note=data["note"]
        )
        self.object = into  # the page to go back to is the survivor's
        self.done(f"{duplicate.reference} merged into {into.reference} and closed as a duplicate; its caller is told.")


class DeclareMajorView(WorkActionView):
    form_class = NoteForm

    def act(self, data):
        incident = services.incident_declare_major(incident=self.object, actor=self.request.user, note=data["note"])
        self.done(
            f"{incident.reference} is a major incident. Link the other calls about it, and post updates: "
            f"everyone affected gets them."
        )


class LinkToMajorView(WorkActionView):
    form_class = LinkToMajorForm
    scoped_form = True

    def act(self, data):
        major = data["major"]
        services.incident_link_to_major(child=self.object, major=major, actor=self.request.user)
        self.done(f"{self.object.reference} is now part of major incident {major.reference}.")


class LinkChildView(WorkActionView):
    """On the major incident's page: link a call about the same outage."""

    form_class = LinkChildForm
    scoped_form = True

    def act(self, data):
        child = services.incident_link_to_major(child=data["child"], major=self.object, actor=self.request.user)
        self.done(f"{child.reference} is now part of this major incident.")


class UnlinkFromMajorView(WorkActionView):
    def act(self, data):
        major = self.object.parent
        services.incident_unlink_from_major(child=self.object, actor=self.request.user)
        self.done(f"{self.object.reference} is no longer part of {major.reference if major else 'a major incident'}.")


class MajorUpdateView(WorkActionView):
    form_class = MajorUpdateForm

    def act(self, data):
        services.incident_major_update(major=self.object, actor=self.request.user, text=data["text"])
        self.done("Update posted, and sent to everyone who reported it.")
