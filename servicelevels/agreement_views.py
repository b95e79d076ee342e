"""Pages of the agreements (SLAs, OLAs, underpinning contracts) and of the LEA's traded services
(support packages and the schools' subscriptions). Thin: read through `visible_to`, write through services."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.db.models import Count, Prefetch
from django.utils import timezone
from django.views.generic import DetailView, ListView

from fits import access
from fits.activity import timeline
from fits.scoping import schools_visible_to
from fits.views import RecordActionView
from servicelevels import services
from servicelevels.catalogue_views import CreateFormView, RecordFormView, ServiceLevelsMixin
from servicelevels.durations import day_note, duration_words
from servicelevels.forms import (
    AgreementForm,
    AgreementReviewForm,
    AgreementTransitionForm,
    SubscriptionEditForm,
    SubscriptionForm,
    SupportPackageForm,
    TargetFormSet,
    target_initial,
)
from servicelevels.models import Agreement, ServiceTarget, Subscription, SupportPackage
from servicelevels.selectors import field_history, packages_for_staff

# =============================================================================
# Agreements
# =============================================================================


def with_badge(agreements):
    today = timezone.localdate()
    for agreement in agreements:
        agreement.badge = (
            services.review_badge(agreement.review_date, today=today)
            if agreement.status != Agreement.Status.RETIRED
            else None
        )
    return agreements


class AgreementListView(ServiceLevelsMixin, ListView):
    """SLAs, OLAs and underpinning contracts in one list; filter by kind, status, and reviews due."""

    model = Agreement
    template_name = "servicelevels/agreement_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        queryset = queryset.select_related("school", "owner", "provider_group").annotate(
            target_count=Count("targets", distinct=True), service_count=Count("services", distinct=True)
        )
        params = self.request.GET
        if params.get("kind") in Agreement.Kind.values:
            queryset = queryset.filter(kind=params["kind"])
        if params.get("status") in Agreement.Status.values:
            queryset = queryset.filter(status=params["status"])
        elif params.get("status") != "all":
            queryset = queryset.exclude(status=Agreement.Status.RETIRED)
        if params.get("review") == "due":
            queryset = queryset.filter(review_date__lte=timezone.localdate() + timedelta(days=30))
        return queryset.order_by("kind", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        with_badge(context["object_list"])
        context.update(
            kinds=Agreement.Kind.choices,
            statuses=Agreement.Status.choices,
            params=self.request.GET,
            may_create=access.here_or_anywhere(access.can_manage_service_levels).test(
                self.request.user, self.request.school
            ),
        )
        return context


class AgreementDetailView(ServiceLevelsMixin, DetailView):
    """One agreement: its targets per priority (and service or kind), the services it covers, its clock,
    thresholds, provider, review date, timeline and history; the workflow's actions as buttons."""

    model = Agreement
    narrow_to_current_school = False
    template_name = "servicelevels/agreement_detail.html"
    context_object_name = "agreement"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related(
            "school", "owner", "provider_group", "agreed_by", "subscription__package"
        ).prefetch_related("services", Prefetch("targets", queryset=ServiceTarget.objects.select_related("service")))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        agreement, user = self.object, self.request.user
        with_badge([agreement])
        may_change = access.can_manage_service_levels.test(user, agreement)
        context.update(
            targets=[
                {
                    "target": target,
                    "response": duration_words(target.response_minutes, hours=agreement.hours),
                    "resolution": duration_words(target.resolution_minutes, hours=agreement.hours),
                }
                for target in agreement.targets.all()
            ],
            day_note=day_note(agreement.hours),
            actions=Agreement.WORKFLOW.available(user, agreement),
            overlapping=services.overlapping_slas(agreement)
            if agreement.kind == Agreement.Kind.SLA and agreement.status == Agreement.Status.DRAFT
            else [],
            transition_form=AgreementTransitionForm(),
            review_form=AgreementReviewForm(initial={"next_review": timezone.localdate() + timedelta(days=365)}),
            timeline=timeline(agreement, include_internal=True),
            history=field_history(agreement, self.request.user),
            may_change=may_change and agreement.status != Agreement.Status.RETIRED,
        )
        return context


class AgreementCreateView(CreateFormView):
    model = Agreement
    form_class = AgreementForm
    template_name = "servicelevels/agreement_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "school": self.request.school}

    def create(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school")
        chosen = list(data.pop("services") or [])
        return services.agreement_create(school=school, actor=self.request.user, services=chosen, **data)


class AgreementUpdateView(RecordFormView):
    model = Agreement
    form_class = AgreementForm
    template_name = "servicelevels/agreement_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "agreement": self.object}

    def act(self, form):
        data = dict(form.cleaned_data)
        chosen = list(data.pop("services") or [])
        services.agreement_update(agreement=self.object, actor=self.request.user, services=chosen, **data)
        messages.success(self.request, f"{self.object} saved.")


class AgreementTargetsView(RecordFormView):
    """The targets as a formset: priority, service, kind, respond and resolve within ("30 min", "4 h", "2 d")."""

    model = Agreement
    template_name = "servicelevels/agreement_targets.html"

    def get_form(self, form_class=None):
        kwargs = {"agreement": self.object, "user": self.request.user, "prefix": "targets"}
        if self.request.method == "POST":
            return TargetFormSet(self.request.POST, **kwargs)
        return TargetFormSet(initial=target_initial(self.object), **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, day_note=day_note(self.object.hours))

    def act(self, formset):
        services.agreement_targets_set(agreement=self.object, actor=self.request.user, targets=formset.rows())
        messages.success(self.request, "Targets saved.")

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.non_form_errors():
            return self.form_invalid(form)
        return response


class AgreementActionView(ServiceLevelsMixin, RecordActionView):
    model = Agreement


class AgreementCopyTargetsView(AgreementActionView):
    def act(self, data):
        services.agreement_copy_built_in_targets(agreement=self.object, actor=self.request.user)
        messages.success(self.request, "The built-in targets are copied: adjust them to what was agreed.")


class AgreementTransitionView(AgreementActionView):
    form_class = AgreementTransitionForm

    def act(self, data):
        agreement = services.agreement_transition(
            agreement=self.object,
            action=self.kwargs["action"],
            actor=self.request.user,
            note=data["note"],
            retire_others=data["retire_others"],
        )
        messages.success(self.request, f"{agreement} is now {agreement.get_status_display().lower()}.")


class AgreementReviewView(AgreementActionView):
    form_class = AgreementReviewForm

    def act(self, data):
        agreement = services.agreement_review(
            agreement=self.object, actor=self.request.user, note=data["note"], next_review=data["next_review"]
        )
        messages.success(self.request, f"Review recorded; the next is due on {agreement.review_date:%d %B %Y}.")


# =============================================================================
# Traded services: support packages
# =============================================================================


class PackageMixin(ServiceLevelsMixin):
    model = SupportPackage
    narrow_to_current_school = False

    def get_scoped_queryset(self):
        return packages_for_staff(SupportPackage.objects.visible_to(self.request.user), self.request.user)


class SupportPackageListView(PackageMixin, ListView):
    """The levels of support the LEA sells its schools, with what each gives and costs."""

    template_name = "servicelevels/package_list.html"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.select_related("authority", "school")
            .annotate(subscribers=Count("subscriptions", distinct=True))
            .order_by("authority__name", "annual_price", "name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for package in context["object_list"]:
            package.target_rows = [
                (priority, duration_words(value.get("response"), hours=package.hours),
                 duration_words(value.get("resolution"), hours=package.hours))
                for priority, value in sorted((package.targets or {}).items())
            ]  # fmt: skip
            package.may_change = access.can_manage_support_package.test(user, package)
        context["may_create"] = user.is_superuser or any(
            role.role == "consultant" for role in getattr(user, "authority_roles", [])
        )
        return context


class SupportPackageCreateView(PackageMixin, CreateFormView):
    form_class = SupportPackageForm
    template_name = "servicelevels/package_form.html"

    def create(self, form):
        return services.support_package_create(
            authority=form.cleaned_data["authority"],
            actor=self.request.user,
            name=form.cleaned_data["name"],
            **form.package_fields(),
        )

    def success_url_for(self, record) -> str:
        return "/service-levels/packages/"


class SupportPackageUpdateView(PackageMixin, RecordFormView):
    form_class = SupportPackageForm
    template_name = "servicelevels/package_form.html"
    permission = access.can_manage_support_package

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "package": self.object}

    def act(self, form):
        services.support_package_update(
            package=self.object, actor=self.request.user, name=form.cleaned_data["name"], **form.package_fields()
        )
        messages.success(self.request, f"{self.object} saved.")

    def get_success_url(self) -> str:
        return "/service-levels/packages/"


# =============================================================================
# Traded services: subscriptions, and the consultant's view of every school
# =============================================================================


class SubscriptionListView(ServiceLevelsMixin, ListView):
    """Which school buys which package for which period; with every school of the user's authorities and its
    current package, so the consultant sees who has none and whose renewal is due."""

    model = Subscription
    template_name = "servicelevels/subscription_list.html"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school", "package").order_by("school__name", "-starts", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, today = self.request.user, timezone.localdate()
        for subscription in context["object_list"]:
            subscription.current = subscription.starts <= today <= subscription.ends
            subscription.badge = services.review_badge(subscription.review_date, today=today)
        current = Subscription.objects.visible_to(user).filter(starts__lte=today, ends__gte=today)
        schools = schools_visible_to(user).select_related("authority").order_by("authority__name", "name")
        if not user.is_superuser:
            schools = schools.filter(pk__in=user.staff_school_ids)
        schools = schools[:200]  # an authority's schools: one page
        current_by_school = {row.school_id: row for row in current.select_related("package")}
        context.update(
            schools=[
                {
                    "school": school,
                    "subscription": current_by_school.get(school.pk),
                    "badge": services.review_badge(current_by_school[school.pk].review_date, today=today)
                    if school.pk in current_by_school
                    else None,
                }
                for school in schools
            ],
            may_create=access.here_or_anywhere(access.can_manage_subscriptions).test(user, self.request.school),
        )
        return context


class SubscriptionCreateView(CreateFormView):
    model = Subscription
    form_class = SubscriptionForm
    template_name = "servicelevels/subscription_form.html"

    def create(self, form):
        data = form.cleaned_data
        subscription = services.subscription_create(
            school=data["school"], package=data["package"], actor=self.request.user, starts=data["starts"],
            ends=data["ends"], review_date=data["review_date"], price=data["price"], notes=data["notes"],
        )  # fmt: skip
        messages.info(self.request, f"A draft SLA for {data['school']} was made from {data['package']}'s targets.")
        return subscription

    def success_url_for(self, record) -> str:
        draft = record.agreements.first()
        return draft.get_absolute_url() if draft else "/service-levels/subscriptions/"


class SubscriptionUpdateView(RecordFormView):
    model = Subscription
    form_class = SubscriptionEditForm
    template_name = "servicelevels/subscription_form.html"
    permission = access.can_manage_subscriptions

    def get_initial(self):
        s = self.object
        return {"starts": s.starts, "ends": s.ends, "review_date": s.review_date, "price": s.price, "notes": s.notes}

    def act(self, form):
        services.subscription_update(subscription=self.object, actor=self.request.user, **form.cleaned_data)
        messages.success(self.request, "Subscription saved.")

    def get_success_url(self) -> str:
        return "/service-levels/subscriptions/"
