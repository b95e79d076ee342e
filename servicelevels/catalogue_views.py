"""Pages of the ICT service catalogue (FITS Service Level): the services the school's people rely on,
their owners, hours of support, availability targets and the agreements that cover them.

Views are thin: they read through `visible_to` and write through servicelevels.services.
"""

from __future__ import annotations

import calendar
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from fits import access
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from servicelevels import figures, periods, services
from servicelevels.durations import duration_words
from servicelevels.forms import ITServiceForm, add_service_errors
from servicelevels.models import Agreement, ITService, ServiceTarget
from servicelevels.selectors import field_history, for_staff


class ServiceLevelsMixin(ScopedViewMixin):
    """Service levels are support staff's, leaders' and the LEA's: everyone else is answered 404."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_service_levels).test(user, None):
            raise Http404("Service levels are for the school's support staff and leaders.")
        return super().dispatch(request, *args, **kwargs)

    def get_scoped_queryset(self):
        return for_staff(self.model.objects.visible_to(self.request.user), self.request.user)


class RecordFormView(ServiceLevelsMixin, ServiceErrorMixin, SingleObjectMixin, FormView):
    """GET shows a record's edit form (read-only for who may not change it), POST calls a service."""

    narrow_to_current_school = False
    permission: Any = access.can_manage_service_levels

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def may_change(self) -> bool:
        return self.permission.test(self.request.user, self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, may_change=self.may_change(), object=self.object)

    def form_valid(self, form):
        try:
            self.act(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self) -> str:
        return self.object.get_absolute_url()

    def act(self, form) -> None:
        raise NotImplementedError


class CreateFormView(ServiceLevelsMixin, ServiceErrorMixin, FormView):
    """A form that creates a record through a service (`create(form)` returns it)."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        try:
            record = self.create(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{record} saved.")
        return HttpResponseRedirect(self.success_url_for(record))

    def success_url_for(self, record) -> str:
        return record.get_absolute_url()


# =============================================================================
# The catalogue
# =============================================================================


class ITServiceListView(ServiceLevelsMixin, ListView):
    """The catalogue, grouped by purpose (learning, teaching, management, infrastructure)."""

    model = ITService
    template_name = "servicelevels/service_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "owner", "ci")
        purpose = self.request.GET.get("purpose", "")
        if purpose in ITService.Purpose.values:
            queryset = queryset.filter(purpose=purpose)
        if self.request.GET.get("retired") != "1":
            queryset = queryset.filter(is_active=True)
        covering = Agreement.objects.visible_to(self.request.user).exclude(status=Agreement.Status.RETIRED)
        return queryset.prefetch_related(Prefetch("agreements", queryset=covering.order_by("kind", "name"))).order_by(
            "purpose", "name"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            purposes=ITService.Purpose.choices,
            purpose=self.request.GET.get("purpose", ""),
            retired=self.request.GET.get("retired") == "1",
            may_create=access.here_or_anywhere(access.can_manage_service_levels).test(
                self.request.user, self.request.school
            ),
        )
        return context


RECENT_OUTAGES = 10


class ITServiceDetailView(ServiceLevelsMixin, DetailView):
    """One service: what it is, who owns it, its CMDB service, the agreements and targets that cover it."""

    model = ITService
    narrow_to_current_school = False
    template_name = "servicelevels/service_detail.html"
    context_object_name = "service"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "owner", "ci")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        service, user = self.object, self.request.user
        agreements = (
            Agreement.objects.visible_to(user)
            .of_school(service.school_id)
            .exclude(status=Agreement.Status.RETIRED)
            .filter(Q(services=service) | Q(services__isnull=True))
            .distinct()
            .select_related("provider_group")
            .order_by("kind", "name")
        )
        targets = (
            ServiceTarget.objects.filter(agreement__in=list(agreements))
            .filter(Q(service=service) | Q(service__isnull=True))
            .select_related("agreement")
            .order_by("agreement__name", "priority")
        )
        context.update(
            agreements=agreements,
            targets=[
                {
                    "target": target,
                    "response": duration_words(target.response_minutes, hours=target.agreement.hours),
                    "resolution": duration_words(target.resolution_minutes, hours=target.agreement.hours),
                }
                for target in targets
            ],
            history=field_history(service, self.request.user),
            may_change=access.can_manage_service_levels.test(user, service),
            **self.availability(service),
        )
        return context

    def availability(self, service: ITService) -> dict[str, Any]:
        """This month's and this term's availability against the target, and the service's recent outages."""
        from availability.models import Outage  # availability sits beside servicelevels: imported when used

        today, now = timezone.localdate(), timezone.now()
        month = periods.Period(
            f"{today:%Y-%m}",
            f"{today:%B %Y}",
            today.replace(day=1),
            today.replace(day=calendar.monthrange(today.year, today.month)[1]),
            "custom",
        )
        term = periods.TermBook(service.school).current_term(today)
        outages = []
        if service.ci_id:
            outages = list(
                Outage.objects.visible_to(self.request.user)
                .of_school(service.school_id)
                .filter(ci_id=service.ci_id)
                .select_related("incident", "cause")
                .order_by("-started_at")[:RECENT_OUTAGES]
            )
        return {
            "availability": [(period, figures.availability_of(service, period, now=now)) for period in (month, term)],
            "outages": outages,
        }


class ITServiceCreateView(CreateFormView):
    model = ITService
    form_class = ITServiceForm
    template_name = "servicelevels/service_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "school": self.request.school}

    def create(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school")
        return services.it_service_create(school=school, actor=self.request.user, **data)


class ITServiceUpdateView(RecordFormView):
    model = ITService
    form_class = ITServiceForm
    template_name = "servicelevels/service_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "service": self.object}

    def act(self, form):
        services.it_service_update(service=self.object, actor=self.request.user, **form.cleaned_data)
        messages.success(self.request, f"{self.object} saved.")


class ITServiceRetireView(ServiceLevelsMixin, RecordActionView):
    model = ITService

    def act(self, data):
        services.it_service_retire(service=self.object, actor=self.request.user)
        messages.success(self.request, f"{self.object} retired: it stays on record, offered no more.")


class ITServiceReinstateView(ServiceLevelsMixin, RecordActionView):
    model = ITService

    def act(self, data):
        services.it_service_reinstate(service=self.object, actor=self.request.user)
        messages.success(self.request, f"{self.object} is back in the catalogue.")
