"""Patch Management pages: the compliance dashboard (a school, or the authority across its schools), the devices'
states, the baseline with its approvals and rollouts, the groups and the imported reports. Every change goes through
om/patches/services.py."""

from __future__ import annotations

from copy import copy

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import DetailView, ListView

from cmdb.models import ConfigurationItem, Kind, Location
from fits import access, attachments
from fits.forms import ScopedForm
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from om.patches import services
from om.patches.models import (
    Approval,
    ComplianceState,
    PatchGroup,
    PatchImport,
    Rollout,
    Severity,
    State,
    Update,
)

STATE_ORDER = [State.OVERDUE, State.MISSING, State.UNKNOWN, State.COMPLIANT]


class PatchAccessMixin:
    """Patch Management is support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_patches).test(user, None):
            raise Http404("Patch Management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


def _by_state(rows, key: str) -> list[dict]:
    """Pivot (key, state, n) rows into one row per key with a count per state and the compliant share."""
    table: dict = {}
    for row in rows:
        entry = table.setdefault(row[key], {"key": row[key], **{state: 0 for state in State.values}})
        entry[row["state"]] = row["n"]
    for entry in table.values():
        total = sum(entry[state] for state in State.values)
        entry["total"] = total
        entry["share"] = round(100 * entry[State.COMPLIANT] / total) if total else 0
    return sorted(table.values(), key=lambda entry: (-entry[State.OVERDUE], -entry[State.MISSING], str(entry["key"])))


class DashboardView(PatchAccessMixin, ScopedViewMixin, ListView):
    """Compliance at a glance: by state, severity, product, room (and school, across the authority); the overdue
    devices first."""

    model = ComplianceState
    template_name = "patches/dashboard.html"
    context_object_name = "overdue"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().filter(state=State.OVERDUE).for_list().order_by("deadline", "ci__name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        states = ScopedViewMixin.get_queryset(self).order_by()
        totals = dict(states.values_list("state").annotate(n=Count("pk")))
        total = sum(totals.values())
        labels = dict(State.choices)
        context["totals"] = [
            {"state": state, "label": labels[state], "n": totals.get(state, 0)} for state in STATE_ORDER
        ]
        context["total"] = total
        context["share"] = round(100 * totals.get(State.COMPLIANT, 0) / total) if total else None
        severity_labels = dict(Severity.choices)
        by_severity = _by_state(states.values("update__severity", "state").annotate(n=Count("pk")), "update__severity")
        for row in by_severity:
            row["label"] = severity_labels.get(row["key"], row["key"])
        context["by_severity"] = by_severity
        context["by_product"] = _by_state(states.values("update__product", "state").annotate(n=Count("pk")),
                                          "update__product")[:20]  # fmt: skip
        context["by_room"] = _by_state(states.values("ci__location__name", "state").annotate(n=Count("pk")),
                                       "ci__location__name")[:20]  # fmt: skip
        if getattr(self.request, "school", None) is None:
            context["by_school"] = _by_state(states.values("school__name", "state").annotate(n=Count("pk")),
                                             "school__name")[:50]  # fmt: skip
        context["states"] = labels
        return context


class ComplianceFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *State.choices], required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Severity.choices], required=False)
    q = forms.CharField(required=False, label="Device or update")


class ComplianceListView(PatchAccessMixin, ScopedViewMixin, ListView):
    """Every device's state for each update approved for it, filtered by state, severity or name."""

    model = ComplianceState
    template_name = "patches/compliance_list.html"
    context_object_name = "states"
    paginate_by = 50

    def get_queryset(self):
        rows = super().get_queryset().for_list()
        self.filter_form = ComplianceFilterForm(self.request.GET or None)
        if self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            if data["state"]:
                rows = rows.filter(state=data["state"])
            if data["severity"]:
                rows = rows.filter(update__severity=data["severity"])
            if data["q"]:
                rows = rows.filter(Q(ci__name__icontains=data["q"]) | Q(update__identifier__icontains=data["q"]))
        return rows.order_by("ci__name", "update__identifier", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        return context


class UpdateForm(forms.ModelForm):
    class Meta:
        model = Update
        fields = ["kind", "identifier", "product", "title", "severity", "min_version", "released_on"]
        widgets = {"released_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class UpdateListView(PatchAccessMixin, ScopedViewMixin, ServiceErrorMixin, ListView):
    """The patch baseline that applies here (the school's lines and its authority's), with each line's compliance.
    A technician adds a line for the chosen school with the form below the list."""

    model = Update
    template_name = "patches/update_list.html"
    context_object_name = "updates"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority").order_by("product", "identifier", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = getattr(self.request, "school", None)
        context["can_manage"] = school is not None and access.can_manage_patches.test(self.request.user, school)
        context["form"] = getattr(self, "form", None) or UpdateForm()
        ids = [update.pk for update in context["updates"]]
        counts = (
            ComplianceState.objects.visible_to(self.request.user)
            .of_school(getattr(school, "pk", None))
            .filter(update_id__in=ids)
            .values("update_id", "state")
            .annotate(n=Count("pk"))
            .order_by()
        )
        by_update: dict = {}
        for row in counts:
            by_update.setdefault(row["update_id"], {})[row["state"]] = row["n"]
        for update in context["updates"]:
            update.counts = by_update.get(update.pk, {})
        return context

    def post(self, request, *args, **kwargs):
        school = getattr(request, "school", None)
        self.form = UpdateForm(request.POST)
        if school is None:
            messages.error(request, "Choose a school first: a baseline line belongs to one school.")
        elif self.form.is_valid():
            try:
                update = services.update_save(actor=request.user, school=school, **self.form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                messages.success(request, f"{update} is in the baseline.")
                return HttpResponseRedirect(update.get_absolute_url())
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data())


class ApprovalForm(forms.Form):
    group = forms.ModelChoiceField(
        queryset=PatchGroup.objects.none(), widget=forms.Select(attrs={"class": "form-select"})
    )
    decision = forms.ChoiceField(
        choices=Approval._meta.get_field("decision").choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    deadline = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = PatchGroup.objects.visible_to(user)


class UpdateDetailView(PatchAccessMixin, ScopedViewMixin, DetailView):
    """One baseline line: its approvals per group, its devices' states, its rollouts planned as changes."""

    model = Update
    narrow_to_current_school = False
    template_name = "patches/update_detail.html"
    context_object_name = "update"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, update = self.request.user, self.object
        school = getattr(self.request, "school", None)
        school_id = getattr(school, "pk", None)
        context["approvals"] = list(
            Approval.objects.visible_to(user).of_school(school_id).filter(update=update)
            .select_related("group", "school", "decided_by")[:100]
        )  # fmt: skip
        states = ComplianceState.objects.visible_to(user).of_school(school_id).filter(update=update)
        counts = dict(states.values_list("state").annotate(n=Count("pk")).order_by())
        context["counts"] = [(dict(State.choices)[state], counts.get(state, 0), state) for state in STATE_ORDER]
        context["needing"] = list(states.exclude(state=State.COMPLIANT).for_list().order_by("-state", "ci__name")[:50])
        context["rollouts"] = list(
            Rollout.objects.visible_to(user).of_school(school_id).filter(update=update)
            .select_related("change", "school")[:20]
        )  # fmt: skip
        context["approval_form"] = ApprovalForm(user=user)
        context["can_approve"] = access.here_or_anywhere(access.can_approve_patches).test(user, school)
        context["can_roll_out"] = school is not None and access.can_manage_patches.test(user, school)
        if access.can_manage_update.test(user, update):
            context["edit_form"] = getattr(self, "edit_form", None) or UpdateForm(instance=update)
        return context


class UpdateEditView(UpdateDetailView, ServiceErrorMixin):
    """Change a baseline line (its minimum version, severity, title) from its page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        update = self.object = self.get_object()
        self.edit_form = UpdateForm(request.POST, instance=copy(update))  # the page keeps showing the saved line
        if self.edit_form.is_valid():
            try:
                services.update_save(actor=request.user, update=update, **self.edit_form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                messages.success(request, f"{update} saved: the next compliance run measures against it.")
                return HttpResponseRedirect(update.get_absolute_url())
        return self.render_to_response(self.get_context_data())


class UpdateApproveView(PatchAccessMixin, RecordActionView):
    """Approve (with a deadline), decline or mark not applicable for one group."""

    model = Update

    def get_form(self):
        return ApprovalForm(self.request.POST, user=self.request.user)

    def act(self, data):
        services.approval_set(actor=self.request.user, update=self.object, group=data["group"],
                              decision=data["decision"], deadline=data["deadline"])  # fmt: skip
        messages.success(self.request, f"{self.object} for {data['group']}: saved.")


class UpdateRolloutView(PatchAccessMixin, RecordActionView):
    """Raise a change for this rollout at the chosen school (a draft RFC naming the devices that need it)."""

    model = Update

    def act(self, data):
        school = getattr(self.request, "school", None)
        if school is None:
            raise ValidationError("Choose a school first: a rollout is planned at one school.")
        rollout = services.rollout_raise_change(actor=self.request.user, school=school, update=self.object)
        messages.success(self.request, f"{rollout.change} raised for the rollout.")
        self.rollout = rollout

    def success_url(self):
        rollout = getattr(self, "rollout", None)
        return rollout.change.get_absolute_url() if rollout else self.object.get_absolute_url()


class GroupForm(ScopedForm):
    """A patch group: every CI of a kind (optionally in one location) and CIs named one by one."""

    name = forms.CharField(max_length=100, help_text="E.g. All desktops, Servers, Exam room laptops.")
    ci_kind = forms.ChoiceField(
        label="Every CI of this kind", required=False, choices=[("", "None: only the CIs named below"), *Kind.choices]
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="Anywhere", help_text="Only those in this place."
    )
    members = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label="And these CIs",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (or Cmd) to pick several.",
    )
    description = forms.CharField(max_length=300, required=False)

    def __init__(self, *args, school, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.visible_to(self.user).of_school(school.pk)
        cis = ConfigurationItem.objects.visible_to(self.user).of_school(school.pk).exclude(status="retired")
        self.fields["members"].queryset = cis.order_by("name")


def group_form_for(user, school, group: PatchGroup | None = None, data=None) -> GroupForm:
    initial = {}
    if group is not None:
        initial = {"name": group.name, "ci_kind": group.ci_kind, "location": group.location_id,
                   "description": group.description,
                   "members": list(group.members.values_list("pk", flat=True))}  # fmt: skip
    return GroupForm(data, user=user, school=school, initial=initial)


class GroupListView(PatchAccessMixin, ScopedViewMixin, ServiceErrorMixin, ListView):
    """The groups updates are approved for, with how many approvals each has; a technician adds one below."""

    model = PatchGroup
    template_name = "patches/group_list.html"
    context_object_name = "groups"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = getattr(self.request, "school", None)
        if school is not None and access.can_manage_patches.test(self.request.user, school):
            context["form"] = getattr(self, "form", None) or group_form_for(self.request.user, school)
        return context

    def post(self, request, *args, **kwargs):
        school = getattr(request, "school", None)
        if school is None:
            messages.error(request, "Choose a school first: a patch group belongs to one school.")
            return HttpResponseRedirect(reverse("patches:group_list"))
        self.form = group_form_for(request.user, school, data=request.POST)
        if self.form.is_valid():
            try:
                group = services.group_save(actor=request.user, school=school, **self.form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                messages.success(request, f"Patch group {group} added: approve updates for it from the baseline.")
                return HttpResponseRedirect(group.get_absolute_url())
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data())

    def get_queryset(self):
        rows = super().get_queryset()
        return (
            rows.select_related("school", "location")
            .annotate(approved=Count("approvals", filter=Q(approvals__decision="approved")))
            .order_by("name", "pk")
        )


class GroupDetailView(PatchAccessMixin, ScopedViewMixin, DetailView):
    """A group: which CIs it holds and the updates approved, declined or not applicable for it."""

    model = PatchGroup
    narrow_to_current_school = False
    template_name = "patches/group_detail.html"
    context_object_name = "group"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "location")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        group = self.object
        context["approvals"] = list(
            Approval.objects.visible_to(self.request.user).filter(group=group).select_related("update")[:200]
        )
        context["members"] = list(group.members.all().order_by("name")[:200])
        if access.can_manage_patches.test(self.request.user, group.school):
            context["form"] = getattr(self, "form", None) or group_form_for(self.request.user, group.school, group)
        return context


class GroupEditView(GroupDetailView, ServiceErrorMixin):
    """Change a group's name, kind, location or named CIs (POST from the group's page)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        group = self.object = self.get_object()
        self.form = group_form_for(request.user, group.school, group, data=request.POST)
        if self.form.is_valid():
            try:
                services.group_save(actor=request.user, school=group.school, group=group, **self.form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                messages.success(request, f"Patch group {group} saved: the next compliance run follows it.")
                return HttpResponseRedirect(group.get_absolute_url())
        return self.render_to_response(self.get_context_data())


class ImportForm(forms.Form):
    report = forms.FileField(help_text="CSV: host, update (KB or package), state and/or version.")

    def clean_report(self):
        return attachments.check_import(self.cleaned_data["report"])  # size, and CSV by content (README "Security")


class ImportListView(PatchAccessMixin, ScopedViewMixin, ServiceErrorMixin, ListView):
    """Imported WSUS and vendor reports, newest first, and the form to import one at the chosen school."""

    model = PatchImport
    template_name = "patches/import_list.html"
    context_object_name = "imports"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().select_related("school", "imported_by").defer("raw")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = getattr(self.request, "school", None)
        context["can_import"] = school is not None and access.can_manage_patches.test(self.request.user, school)
        context["form"] = getattr(self, "form", None) or ImportForm()
        return context

    def post(self, request, *args, **kwargs):
        school = getattr(request, "school", None)
        self.form = ImportForm(request.POST, request.FILES)
        if school is None:
            messages.error(request, "Choose a school first: a report is imported at one school.")
        elif self.form.is_valid():
            upload = self.form.cleaned_data["report"]
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                text = None
                messages.error(request, "The file is not UTF-8 text: save it as CSV (UTF-8).")
            if text is not None:
                try:
                    report = services.import_report(actor=request.user, school=school, text=text,
                                                    file_name=upload.name)  # fmt: skip
                except (ValidationError, PermissionDenied) as error:
                    self.report_service_error(error)
                else:
                    messages.success(request, f"{report.rows} rows imported from {report}.")
                    return HttpResponseRedirect(reverse("patches:import_list"))
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data())
