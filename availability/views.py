"""Pages of monitoring: the overview of what is down, the checks and their history, outages, the checks proposed
for new devices, the school's monitoring settings and SNMP credentials, and the CI page's Monitoring tab.

Reads start from `visible_to(user)`; every write goes through availability/services.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, TemplateView, View

from availability import services
from availability.filters import CheckFilterSet
from availability.forms import CheckFilterForm, CheckForm, CredentialForm, SettingsForm
from availability.models import (
    Check,
    CheckResult,
    CIState,
    Metric,
    MonitoringSettings,
    Outage,
    Period,
    PollRun,
    ResultRollup,
    SnmpCredential,
    State,
)
from fits import access
from fits.scoping import schools_visible_to
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin

POLLER_QUIET = timedelta(minutes=10)  # a poller not heard from for this long is worth a warning
PROBLEMS_SHOWN = 100


class MonitoringAccessMixin:
    """Monitoring is for the school's support staff: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_monitoring).test(user, None):
            raise Http404("Monitoring is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


def _may_manage(request) -> bool:
    return access.here_or_anywhere(access.can_manage_monitoring).test(request.user, getattr(request, "school", None))


def _url(name: str, *args: Any) -> str:
    """A page of another part of monitoring (capacity, maintenance), or "" while it is not routed."""
    try:
        return reverse(f"availability:{name}", args=args)
    except NoReverseMatch:
        return ""


# =============================================================================
# The overview
# =============================================================================


class OverviewView(MonitoringAccessMixin, ScopedViewMixin, TemplateView):
    """What is wrong now: CIs down or unreachable first, then degraded; counts of each state; open outages;
    proposals waiting; the last poll and whether each school's poller is alive. htmx refreshes it every 30 s."""

    model = CIState

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["availability/_overview_board.html"]
        return ["availability/overview.html"]

    def scoped(self, model):
        queryset = model.objects.visible_to(self.request.user)
        school = getattr(self.request, "school", None)
        return queryset.of_school(school.pk) if school is not None else queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        states = self.scoped(CIState).select_related("ci", "cause", "school")
        counts = dict.fromkeys(State.values, 0)
        counts.update(dict(states.order_by().values_list("state").annotate(n=Count("pk"))))
        problems = list(
            states.filter(state__in=[State.DOWN, State.UNREACHABLE]).order_by("since", "pk")[:PROBLEMS_SHOWN]
        )
        open_outages = list(
            self.scoped(Outage)
            .filter(ended_at__isnull=True)
            .select_related("ci", "incident", "cause", "school")
            .order_by("started_at", "pk")[:PROBLEMS_SHOWN]
        )
        incidents = {o.ci_id: o.incident for o in open_outages if o.incident_id}
        for row in problems:
            row.incident = incidents.get(row.ci_id)
        checks = self.scoped(Check)
        pollers = list(self.scoped(MonitoringSettings).select_related("school").order_by("school__name"))
        for poller in pollers:
            poller.quiet = poller.poller_seen_at is None or now - poller.poller_seen_at > POLLER_QUIET
        context.update(
            now=now,
            counts=counts,
            monitored=sum(counts.values()),
            problems=problems,
            degraded=list(states.filter(state=State.DEGRADED).order_by("since", "pk")[:PROBLEMS_SHOWN]),
            open_outages=open_outages,
            proposed=checks.filter(status=Check.Status.PROPOSED).count(),
            active_checks=checks.filter(status=Check.Status.ACTIVE).count(),
            last_run=self.scoped(PollRun).select_related("school").order_by("-dispatched_at", "-pk").first(),
            pollers=pollers,
            quiet_pollers=[p for p in pollers if p.quiet],
            can_manage=_may_manage(self.request),
            capacity_url=_url("capacity"),
        )
        return context


# =============================================================================
# Checks
# =============================================================================


class CheckViewMixin(MonitoringAccessMixin, ScopedViewMixin):
    model = Check


class CheckListView(CheckViewMixin, ListView):
    template_name = "availability/check_list.html"
    context_object_name = "checks"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().select_related("ci", "school").order_by("ci__name", "kind", "name", "pk")
        if not self.request.GET.get("status"):  # proposals wait on their own page until someone switches them on
            queryset = queryset.exclude(status=Check.Status.PROPOSED)
        self.filterset = CheckFilterSet(self.request.GET or None, queryset=queryset)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter_form=CheckFilterForm(self.request.GET or None),
            query=query.urlencode(),
            can_manage=_may_manage(self.request),
        )
        return context


def _rollup_chart(check: Check, user) -> dict[str, Any]:
    """Latency and availability per hour (the last two days) and per day (the last 30), for chart.js."""
    now = timezone.now()
    rows = (
        ResultRollup.objects.visible_to(user)
        .filter(for_check=check)
        .filter(
            Q(period=Period.HOUR, starts_at__gte=now - timedelta(hours=48))
            | Q(period=Period.DAY, starts_at__gte=now - timedelta(days=30))
        )
    )
    series: dict[str, dict[str, list]] = {p: {"labels": [], "latency": [], "availability": []} for p in Period.values}
    for row in rows.order_by("period", "starts_at"):
        shown = series[row.period]
        local = timezone.localtime(row.starts_at)
        shown["labels"].append(local.strftime("%d %b %H:00" if row.period == Period.HOUR else "%d %b"))
        shown["latency"].append(round(row.latency_avg_ms, 1) if row.latency_avg_ms is not None else None)
        shown["availability"].append(round(100 * row.up / row.runs, 2) if row.runs else None)
    return series


class CheckDetailView(CheckViewMixin, DetailView):
    narrow_to_current_school = False
    template_name = "availability/check_detail.html"
    context_object_name = "check"
    results_shown = 50

    def get_queryset(self):
        return super().get_queryset().select_related("ci", "school", "snmp_credential")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        check, user = self.object, self.request.user
        chart = _rollup_chart(check, user)
        context.update(
            results=list(
                CheckResult.objects.visible_to(user)
                .filter(for_check=check)
                .order_by("-checked_at")[: self.results_shown]
            ),
            chart=chart,
            has_chart=any(series["labels"] for series in chart.values()),
            can_manage=access.can_manage_monitoring.test(user, check),
            failures_before_down=check.failures_before_down or services.settings_for(check.school).failures_before_down,
        )
        return context


class CheckFormMixin(MonitoringAccessMixin, ServiceErrorMixin):
    form_class = CheckForm
    template_name = "availability/check_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "check": getattr(self, "object", None)}

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in CheckForm.fields_saved}
        check = getattr(self, "object", None)
        ci = check.ci if check is not None else form.cleaned_data["ci"]
        if data["expect_status"] is None:
            data["expect_status"] = 200
        try:
            check = services.check_save(actor=self.request.user, ci=ci, check=check, **data)
        except (ValidationError, PermissionDenied) as error:
            _report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{check} saved: it runs at the poller's next cycle.")
        return redirect(check)


def _report(form, error: Exception) -> None:
    """A service's refusal on the form: on its field when it names one."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You cannot change this.")
    elif hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class CheckCreateView(LoginRequiredMixin, CheckFormMixin, FormView):
    """Add a check; from a CI's page with ?ci=<pk> (the CI chosen already)."""

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("ci", "").isdigit():
            initial["ci"] = int(self.request.GET["ci"])
        return initial

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "creating": True}


class CheckUpdateView(CheckViewMixin, CheckFormMixin, FormView):
    narrow_to_current_school = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        try:
            return self.get_queryset().select_related("ci", "school").get(pk=self.kwargs["pk"])
        except Check.DoesNotExist:
            raise Http404("No such check.") from None

    def get(self, request, *args, **kwargs):
        if not access.can_manage_monitoring.test(request.user, self.object):
            messages.info(request, f"The technicians of {self.object.school} change its checks.")
            return redirect(self.object)
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        return CheckForm.initial_from(self.object)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "check": self.object}


class CheckActionView(MonitoringAccessMixin, RecordActionView):
    model = Check


class CheckPauseView(CheckActionView):
    def act(self, data):
        services.check_pause(check=self.object, actor=self.request.user)
        messages.success(self.request, f"{self.object} paused.")


class CheckResumeView(CheckActionView):
    def act(self, data):
        services.check_resume(check=self.object, actor=self.request.user)
        messages.success(self.request, f"{self.object} resumed: it runs at the next cycle.")


class CheckDeleteView(CheckActionView):
    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            services.check_delete(check=self.object, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(request, f"{self.object} removed, with its results.")
        return redirect("availability:check_list")


# =============================================================================
# Outages
# =============================================================================


class OutageListView(MonitoringAccessMixin, ScopedViewMixin, ListView):
    """Every outage, open ones first: how long, why, the incident it opened, whether it was planned."""

    model = Outage
    template_name = "availability/outage_list.html"
    context_object_name = "outages"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("ci", "cause", "incident", "school").order_by(
            F("ended_at").desc(nulls_first=True), "-started_at", "-pk"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        for outage in context["outages"]:
            outage.lasted = (outage.ended_at or now) - outage.started_at
        return context


# =============================================================================
# Proposals
# =============================================================================


class ProposalListView(MonitoringAccessMixin, ScopedViewMixin, ListView):
    """Checks proposed for new devices by their kind: switch them on one by one, or all at once."""

    model = Check
    template_name = "availability/proposals.html"
    context_object_name = "proposals"
    paginate_by = 100

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.filter(status=Check.Status.PROPOSED)
            .select_related("ci", "school")
            .order_by("ci__name", "ci_id", "kind", "port", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        counts = dict(self.get_queryset().order_by().values_list("school_id").annotate(n=Count("pk")))
        schools = [
            school
            for school in schools_visible_to(user).filter(pk__in=list(counts)).order_by("name")
            if access.can_manage_monitoring.test(user, school)
        ]
        for school in schools:
            school.proposed = counts[school.pk]
        context.update(schools=schools, can_manage=_may_manage(self.request))
        return context


class ProposalAcceptView(CheckActionView):
    def act(self, data):
        services.proposal_accept(check=self.object, actor=self.request.user)
        messages.success(self.request, f"{self.object} switched on: it runs at the next cycle.")

    def success_url(self) -> str:
        return reverse("availability:proposals")


class ProposalDismissView(CheckActionView):
    def act(self, data):
        services.proposal_dismiss(check=self.object, actor=self.request.user)
        messages.success(self.request, f"Proposal dismissed: {self.object}.")

    def success_url(self) -> str:
        return reverse("availability:proposals")


class ProposalAcceptAllView(LoginRequiredMixin, MonitoringAccessMixin, ServiceErrorMixin, View):
    """POST school=<pk>: switch on every check proposed at that school (one of the viewer's)."""

    def post(self, request, *args, **kwargs):
        school = schools_visible_to(request.user).filter(pk=request.POST.get("school") or 0).first()
        if school is None:
            messages.error(request, "Choose one of your schools to switch its proposed checks on.")
            return redirect("availability:proposals")
        try:
            accepted = services.proposals_accept_all(school=school, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            messages.success(
                request, f"{accepted} proposed check{'s' if accepted != 1 else ''} switched on at {school}."
            )
        return redirect("availability:proposals")


# =============================================================================
# Settings and SNMP credentials (the network manager's)
# =============================================================================


class SettingsView(LoginRequiredMixin, MonitoringAccessMixin, FormView):
    """The chosen school's monitoring settings (?school=<slug>, else the switcher's, else the first of the
    viewer's): its network manager changes them; other support staff read them."""

    form_class = SettingsForm
    template_name = "availability/settings.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            schools = schools_visible_to(request.user).order_by("name")
            slug = request.GET.get("school") or request.POST.get("school_slug")
            chosen = getattr(request, "school", None)
            self.schools = list(schools)
            self.school = next((s for s in self.schools if s.slug == slug), None) if slug else chosen
            self.school = self.school or (self.schools[0] if self.schools else None)
            if self.school is None:
                raise Http404("You have no school.")
            self.may_configure = access.can_configure_monitoring.test(request.user, self.school)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        row = services.settings_for(self.school)
        return {name: getattr(row, name) for name in SettingsForm.base_fields}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not self.may_configure:
            for field in form.fields.values():
                field.disabled = True
        return form

    def form_valid(self, form):
        try:
            services.settings_save(actor=self.request.user, school=self.school, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Monitoring settings of {self.school} saved.")
        return redirect(f"{reverse('availability:settings')}?school={self.school.slug}")

    def get_context_data(self, **kwargs):
        row = services.settings_for(self.school)
        return {
            **super().get_context_data(**kwargs),
            "school": self.school,
            "schools": self.schools,
            "settings_row": row,
            "may_configure": self.may_configure,
        }


class CredentialViewMixin(MonitoringAccessMixin, ScopedViewMixin):
    model = SnmpCredential


class CredentialListView(CredentialViewMixin, ListView):
    """The SNMP credentials (names and users only: the community strings and keys are never shown)."""

    template_name = "availability/credential_list.html"
    context_object_name = "credentials"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school").annotate(used=Count("checks")).order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = getattr(self.request, "school", None)
        context["may_configure"] = access.here_or_anywhere(access.can_configure_monitoring).test(
            self.request.user, school
        )
        return context


CREDENTIAL_FIELDS = ("name", "version", "community", "username", "auth_protocol", "auth_key", "priv_protocol",
                     "priv_key", "port")  # fmt: skip


class CredentialFormMixin(MonitoringAccessMixin, ServiceErrorMixin):
    form_class = CredentialForm
    template_name = "availability/credential_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "credential": getattr(self, "object", None)}

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in CREDENTIAL_FIELDS}
        credential = getattr(self, "object", None)
        school = credential.school if credential is not None else form.cleaned_data["school"]
        try:
            credential = services.credential_save(actor=self.request.user, school=school, credential=credential, **data)
        except (ValidationError, PermissionDenied) as error:
            _report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"SNMP credential “{credential.name}” saved for {school}.")
        return redirect("availability:credential_list")


class CredentialCreateView(LoginRequiredMixin, CredentialFormMixin, FormView):
    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "The school's network manager keeps its SNMP credentials.")
            return redirect("availability:credential_list")
        return self.render_to_response(self.get_context_data(form=form))


class CredentialUpdateView(CredentialViewMixin, CredentialFormMixin, FormView):
    narrow_to_current_school = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.object = self.get_queryset().select_related("school").get(pk=kwargs["pk"])
            except SnmpCredential.DoesNotExist:
                raise Http404("No such credential.") from None
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        credential = self.object
        names = ("name", "version", "username", "auth_protocol", "priv_protocol", "port")
        return {"school": credential.school_id, **{name: getattr(credential, name) for name in names}}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(credential=self.object,
                       may_configure=access.can_configure_monitoring.test(self.request.user, self.object))  # fmt: skip
        return context


class CredentialDeleteView(MonitoringAccessMixin, RecordActionView):
    model = SnmpCredential

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            services.credential_delete(credential=self.object, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            messages.success(request, f"SNMP credential “{self.object.name}” removed.")
        return redirect("availability:credential_list")


# =============================================================================
# The CI page's Monitoring tab (cmdb's ConfigurationItemDetailView calls this: AvailabilityConfig.ci_tab)
# =============================================================================


def ci_monitoring_tab(request, ci) -> dict[str, Any]:
    """The context of the Monitoring tab of a CI's page: its state, checks, availability this month, outages and
    metrics. `tab_template` names the template cmdb's page includes."""
    from availability import figures

    user = request.user
    if not access.can_view_monitoring.test(user, ci):
        return {"tab_template": "availability/ci_tab.html", "monitoring_hidden": True}
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    checks = list(Check.objects.visible_to(user).filter(ci=ci).order_by("status", "kind", "name", "pk"))
    outages = list(Outage.objects.visible_to(user).filter(ci=ci).select_related("incident", "cause")[:10])
    for outage in outages:
        outage.lasted = (outage.ended_at or now) - outage.started_at
    return {
        "tab_template": "availability/ci_tab.html",
        "monitoring_state": CIState.objects.visible_to(user).filter(ci=ci).select_related("cause").first(),
        "monitoring_checks": checks,
        "monitoring_proposed": sum(1 for c in checks if c.status == Check.Status.PROPOSED),
        "monitoring_outages": outages,
        "monitoring_month": figures.ci_availability([ci.pk], month_start, now).get(ci.pk),
        "monitoring_month_start": month_start,
        "monitoring_metrics": list(Metric.objects.visible_to(user).filter(ci=ci).order_by("kind", "key")[:50]),
        "monitoring_can_manage": access.can_manage_monitoring.test(user, ci),
        "capacity_url": _url("capacity"),
    }
