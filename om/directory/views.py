"""Pages of Directory Services Administration: the overview, accounts, groups, OUs, sync runs, account requests, the
bulk MIS intake, the connection settings and the housekeeping reports.

Thin views: they start from `visible_to` (support staff's records; an ICT user finds nothing here), parse, call
om/directory/services.py or sync.py (through a task), render.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from celery.result import EagerResult
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, TemplateView

from fits import access
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from om.directory import services
from om.directory.filters import AccountFilter, AccountRequestFilter
from om.directory.forms import IntakeForm, SettingsForm, SyncForm
from om.directory.models import (
    AccountKind,
    AccountRequest,
    DirectoryAccount,
    DirectoryChange,
    DirectoryGroup,
    DirectorySettings,
    EntryState,
    GroupMembership,
    IntakeUpload,
    OrganisationalUnit,
    SyncRun,
)

STALE_DAYS = 90


class StaffOnlyMixin:
    """Directory administration is support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_directory).test(user, None):
            raise Http404("Directory administration is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


def _school(request) -> Any:
    return getattr(request, "school", None)


def _can(request, predicate) -> bool:
    return access.here_or_anywhere(predicate).test(request.user, _school(request))


class DirectoryListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    paginate_by = 50


# =============================================================================
# Overview
# =============================================================================


class OverviewView(DirectoryListView):
    """Each school's directory: connected or not, the last sync, counts, errors."""

    model = DirectorySettings
    template_name = "directory/overview.html"
    context_object_name = "directories"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("school__name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = _school(self.request)
        runs = {}
        latest = SyncRun.objects.visible_to(self.request.user).of_school(school and school.pk).order_by("-started_at")
        for run in latest.select_related("school")[:200]:
            runs.setdefault(run.school_id, run)
        accounts = DirectoryAccount.objects.visible_to(self.request.user).of_school(school and school.pk)
        counts = {
            row["school_id"]: row
            for row in accounts.values("school_id").annotate(
                people=Count("pk", filter=Q(kind=AccountKind.USER) & ~Q(state=EntryState.GONE)),
                disabled=Count("pk", filter=Q(kind=AccountKind.USER, state=EntryState.DISABLED)),
                computers=Count("pk", filter=Q(kind=AccountKind.COMPUTER) & ~Q(state=EntryState.GONE)),
            )
        }
        for config in context["directories"]:
            config.last_run = runs.get(config.school_id)
            config.counts = counts.get(config.school_id, {})
        open_requests = AccountRequest.objects.visible_to(self.request.user).of_school(
            _school(self.request) and _school(self.request).pk
        )
        context.update(
            can_configure=_can(self.request, access.can_configure_directory),
            can_work=_can(self.request, access.can_work_directory),
            sync_form=SyncForm(user=self.request.user),
            open_requests=open_requests.filter(state__in=["awaiting", "queued", "task"]).count(),
        )
        return context


class SyncNowView(LoginRequiredMixin, StaffOnlyMixin, FormView):
    """Sync now: queued for the worker (one at a time per school)."""

    form_class = SyncForm
    http_method_names = ["post"]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        from om.directory.tasks import directory_sync_task

        school = form.cleaned_data["school"]
        if not DirectorySettings.objects.visible_to(self.request.user).of_school(school.pk).exists():
            messages.error(self.request, f"{school} is not connected to its directory yet.")
            return redirect("directory:overview")
        result = directory_sync_task.delay(school.pk, "page", form.cleaned_data["full"], self.request.user.pk)
        run_pk = result.result if isinstance(result, EagerResult) else None  # run in-process: report it now
        run = SyncRun.objects.visible_to(self.request.user).filter(pk=run_pk or 0).first()
        if run is not None:
            messages.success(self.request, f"Sync of {school}: {run.summary}")
            return redirect(run)
        messages.success(self.request, f"Sync of {school} queued: the runs list shows its report when it is done.")
        return redirect("directory:run_list")

    def form_invalid(self, form):
        messages.error(self.request, "Choose a school whose directory you may synchronise.")
        return redirect("directory:overview")


# =============================================================================
# Accounts, groups, OUs
# =============================================================================


class AccountListView(DirectoryListView):
    model = DirectoryAccount
    template_name = "directory/account_list.html"
    context_object_name = "accounts"

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = AccountFilter(self.request.GET, queryset=queryset)
        return self.filterset.qs.select_related("school").order_by("kind", "username", "pk").distinct()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups = DirectoryGroup.objects.visible_to(self.request.user).of_school(
            _school(self.request) and _school(self.request).pk
        )
        context.update(
            filter=self.filterset,
            groups=groups.filter(is_present=True).order_by("name")[:200],
            kinds=AccountKind.choices,
            states=EntryState.choices,
        )
        return context


class AccountDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    model = DirectoryAccount
    narrow_to_current_school = False
    template_name = "directory/account_detail.html"
    context_object_name = "account"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "person")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        account = self.object
        memberships = GroupMembership.objects.visible_to(self.request.user).filter(account=account)
        changes = DirectoryChange.objects.visible_to(self.request.user).filter(account=account)
        requests = AccountRequest.objects.visible_to(self.request.user).filter(account=account)
        context.update(
            groups=[m.group for m in memberships.select_related("group").order_by("group__name")],
            changes=changes.select_related("group", "run").order_by("-at", "-pk")[:100],
            requests=requests.select_related("ticket", "task").order_by("-created_at")[:20],
        )
        return context


class GroupListView(DirectoryListView):
    model = DirectoryGroup
    template_name = "directory/group_list.html"
    context_object_name = "groups"

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("-is_present", "name", "pk")


class GroupDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    model = DirectoryGroup
    narrow_to_current_school = False
    template_name = "directory/group_detail.html"
    context_object_name = "group"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        members = GroupMembership.objects.visible_to(self.request.user).filter(group=self.object)
        changes = DirectoryChange.objects.visible_to(self.request.user).filter(group=self.object)
        context.update(
            members=[m.account for m in members.select_related("account").order_by("account__username")],
            changes=changes.select_related("account").order_by("-at", "-pk")[:100],
        )
        return context


class OUListView(DirectoryListView):
    model = OrganisationalUnit
    template_name = "directory/ou_list.html"
    context_object_name = "ous"
    paginate_by = 100

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("school__name", "dn", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ous = context["ous"]
        school = _school(self.request)
        accounts = DirectoryAccount.objects.visible_to(self.request.user).exclude(state=EntryState.GONE)
        counts = {
            (row["school_id"], row["ou_dn"].lower()): row["n"]
            for row in accounts.of_school(school and school.pk).values("school_id", "ou_dn").annotate(n=Count("pk"))
        }
        for ou in ous:
            ou.accounts = counts.get((ou.school_id, ou.dn.lower()), 0)
            ou.depth = max(ou.dn.lower().count("ou=") - 1, 0)
        return context


# =============================================================================
# Sync runs
# =============================================================================


class RunListView(DirectoryListView):
    model = SyncRun
    template_name = "directory/run_list.html"
    context_object_name = "runs"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "requested_by").order_by("-started_at", "-pk")


class RunDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    model = SyncRun
    narrow_to_current_school = False
    template_name = "directory/run_detail.html"
    context_object_name = "run"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        changes = DirectoryChange.objects.visible_to(self.request.user).filter(run=self.object)
        context["changes"] = changes.select_related("account", "group", "ou").order_by("pk")[:500]
        context["change_count"] = changes.count()
        return context


# =============================================================================
# Starters, changes and leavers
# =============================================================================


class RequestListView(DirectoryListView):
    model = AccountRequest
    template_name = "directory/request_list.html"
    context_object_name = "account_requests"

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = AccountRequestFilter(self.request.GET, queryset=queryset)
        return self.filterset.qs.select_related("school", "ticket", "task", "account").order_by("-created_at", "-pk")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "filter": self.filterset}


class RequestDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    model = AccountRequest
    narrow_to_current_school = False
    template_name = "directory/request_detail.html"
    context_object_name = "account_request"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "ticket", "task", "account", "upload")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        config = DirectorySettings.objects.visible_to(self.request.user).of_school(self.object.school_id).first()
        context["instructions"], context["steps"] = services.instructions(self.object, config)
        return context


class IntakeView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    """Upload a CSV of the MIS export: previewed first, nothing applied until confirmed."""

    form_class = IntakeForm
    template_name = "directory/intake.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        uploads = IntakeUpload.objects.visible_to(self.request.user)
        school = _school(self.request)
        uploads = uploads.of_school(school.pk if school else None)
        return {
            **super().get_context_data(**kwargs),
            "uploads": uploads.select_related("school", "uploaded_by").order_by("-uploaded_at", "-pk")[:25],
            "can_work": _can(self.request, access.can_work_directory),
        }

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            upload = services.intake_preview(
                school=data["school"],
                actor=self.request.user,
                kind=data["kind"],
                file_name=data["file"].name,
                data=data["file"].read(),
            )
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {"file": error.messages}).items():
                for text in errors:
                    form.add_error("file" if field not in form.fields else field, text)
            return self.form_invalid(form)
        except PermissionDenied as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        return redirect(upload)


class IntakeDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    model = IntakeUpload
    narrow_to_current_school = False
    template_name = "directory/intake_detail.html"
    context_object_name = "upload"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "uploaded_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        requests = AccountRequest.objects.visible_to(self.request.user).filter(upload=self.object)
        context["requests"] = requests.select_related("task").order_by("pk")[:500]
        context["can_apply"] = access.can_work_directory.test(self.request.user, self.object)
        return context


class IntakeApplyView(StaffOnlyMixin, RecordActionView):
    model = IntakeUpload

    def act(self, data: dict[str, Any]) -> None:
        created = services.intake_apply(upload=self.object, actor=self.request.user)
        messages.success(self.request, f"{len(created)} account requests made from {self.object.file_name}.")


class IntakeCancelView(StaffOnlyMixin, RecordActionView):
    model = IntakeUpload

    def act(self, data: dict[str, Any]) -> None:
        services.intake_cancel(upload=self.object, actor=self.request.user)
        messages.success(self.request, "Upload cancelled: nothing was applied.")


# =============================================================================
# Settings
# =============================================================================


class SettingsDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    """A school's connection, as support staff may read it: never a password."""

    model = DirectorySettings
    narrow_to_current_school = False
    template_name = "directory/settings_detail.html"
    context_object_name = "config"

    def get_queryset(self):
        return super().get_queryset().select_related("school")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_configure"] = access.can_configure_directory.test(self.request.user, self.object)
        context["role_map"] = services.role_map_text(self.object.role_map)
        return context


class SettingsFormMixin(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin):
    form_class = SettingsForm
    template_name = "directory/settings_form.html"
    config: DirectorySettings | None = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "config": self.config}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "config": self.config}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = self.config.school if self.config else data.pop("school")
        data.pop("school", None)
        try:
            config = services.settings_save(school=school, actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    for text in errors:
                        form.add_error(field if field in form.fields else None, text)
            else:
                self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Directory settings saved. Test the connection, then synchronise.")
        return redirect(config)


class SettingsCreateView(SettingsFormMixin, FormView):
    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "Only the network manager connects a school's directory.")
            return redirect("directory:overview")
        return self.render_to_response(self.get_context_data(form=form))


class SettingsUpdateView(SettingsFormMixin, ScopedViewMixin, FormView):
    model = DirectorySettings
    narrow_to_current_school = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.config = get_object_or_404(self.get_queryset().select_related("school"), pk=kwargs["pk"])
            if not access.can_configure_directory.test(request.user, self.config):
                messages.error(request, "Only the network manager changes the directory settings.")
                return redirect(self.config)
        return super().dispatch(request, *args, **kwargs)


class SettingsTestView(StaffOnlyMixin, RecordActionView):
    model = DirectorySettings

    def act(self, data: dict[str, Any]) -> None:
        counts = services.settings_test(config=self.object, actor=self.request.user)
        messages.success(
            self.request,
            f"Connected and bound: {counts['users']} people, {counts['groups']} groups "
            f"and {counts['computers']} computers to synchronise.",
        )


# =============================================================================
# Housekeeping reports
# =============================================================================

REPORTS = {
    "disabled-in-groups": "Disabled but still in groups",
    "never-signed-in": "Never signed in, or not for a while",
    "stale-computers": "Stale computer accounts",
    "admins": "Members of administrator groups",
}


class ReportsView(StaffOnlyMixin, ScopedViewMixin, TemplateView):
    """Account housekeeping: one report at a time (?report=...), as a page or as CSV (?csv=1)."""

    model = DirectoryAccount
    template_name = "directory/reports.html"

    def get(self, request, *args, **kwargs):
        self.report = request.GET.get("report", "disabled-in-groups")
        if self.report not in REPORTS:
            self.report = "disabled-in-groups"
        try:
            self.days = max(1, min(int(request.GET.get("days", STALE_DAYS)), 3650))
        except ValueError:
            self.days = STALE_DAYS
        if request.GET.get("csv"):
            return self.csv()
        return super().get(request, *args, **kwargs)

    def rows(self) -> list[Any]:
        accounts = self.get_queryset().select_related("school").exclude(state=EntryState.GONE)
        cutoff = timezone.now() - timedelta(days=self.days)
        if self.report == "disabled-in-groups":
            found = accounts.filter(state=EntryState.DISABLED, memberships__isnull=False).distinct()
        elif self.report == "never-signed-in":
            found = accounts.filter(kind=AccountKind.USER, state=EntryState.ACTIVE).filter(
                Q(last_logon_at__isnull=True) | Q(last_logon_at__lt=cutoff)
            )
        elif self.report == "stale-computers":
            found = accounts.filter(kind=AccountKind.COMPUTER, state=EntryState.ACTIVE).filter(
                Q(last_logon_at__isnull=True) | Q(last_logon_at__lt=cutoff)
            )
        else:
            found = accounts.filter(memberships__group__is_admin_group=True, memberships__group__is_present=True)
            found = found.distinct()
        found = list(found.order_by("school__name", "username", "pk")[:1000])
        groups: dict[int, list[str]] = {}
        memberships = GroupMembership.objects.visible_to(self.request.user).filter(account__in=[a.pk for a in found])
        if self.report == "admins":
            memberships = memberships.filter(group__is_admin_group=True)
        for account_id, name in memberships.values_list("account_id", "group__name").order_by("group__name"):
            groups.setdefault(account_id, []).append(name)
        for account in found:
            account.group_names = groups.get(account.pk, [])
        return found

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "reports": REPORTS,
            "report": self.report,
            "title": REPORTS[self.report],
            "rows": self.rows(),
            "days": self.days,
            "can_security": access.here_or_anywhere(access.can_view_security).test(
                self.request.user, _school(self.request)
            ),
        }

    def csv(self) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="directory-{self.report}.csv"'
        out = csv.writer(response)
        if self.report == "admins":  # Security Administration's import format (om/security: privileged accounts)
            out.writerow(["account", "system", "rights", "holder", "username", "notes"])
            for account in self.rows():
                person = account.person.username if account.person else ""
                out.writerow(
                    [
                        account.username,
                        f"{account.school.slug} directory",
                        ", ".join(account.group_names),
                        account.display_name,
                        person,
                        f"From the directory sync: {account.dn}",
                    ]
                )
            return response
        out.writerow(["school", "username", "name", "kind", "state", "ou", "last logon", "groups"])
        for account in self.rows():
            last = timezone.localtime(account.last_logon_at).strftime("%Y-%m-%d") if account.last_logon_at else "never"
            out.writerow(
                [
                    account.school.slug,
                    account.username,
                    account.display_name,
                    account.kind,
                    account.state,
                    account.ou_dn,
                    last,
                    "; ".join(account.group_names),
                ]
            )
        return response
