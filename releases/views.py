"""Pages of Release Management: the releases with the FITS measures, planning and editing one, its page with the
plans, changes, library items, waves and per-CI outcomes; and the definitive software library."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import DetailView, FormView, ListView

from fits import access
from fits.activity import timeline
from fits.scoping import schools_visible_to
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from releases import reports, services
from releases.forms import (
    LendForm,
    LibraryItemForm,
    ReleaseFilterForm,
    ReleaseForm,
    RolloutForm,
    TransitionForm,
    WaveForm,
    WithdrawForm,
)
from releases.models import (
    ItemStatus,
    MediaLoan,
    Outcome,
    Release,
    RolloutTarget,
    RolloutWave,
    SoftwareLibraryItem,
    Status,
)

# Moves drawn as plain buttons; completing has its own form (a note is needed when CIs failed).
OWN_FORMS = ("complete",)


class ReleaseAccessMixin:
    """Release Management is for the school's support staff: everyone else is answered 404."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_release).test(user, None):
            raise Http404("Release management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


class ReleaseViewMixin(ReleaseAccessMixin, ScopedViewMixin):
    model = Release


def _can_manage_here(request) -> bool:
    return access.here_or_anywhere(access.can_manage_release).test(request.user, getattr(request, "school", None))


class ReleaseListView(ReleaseViewMixin, ListView):
    template_name = "releases/release_list.html"
    context_object_name = "releases"
    paginate_by = 25

    def get_queryset(self):
        self.scoped = super().get_queryset()  # the measures count over these (the chosen school's, or all)
        queryset = self.scoped.for_list()
        self.filter_form = ReleaseFilterForm(self.request.GET or None, user=self.request.user)
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            self.scoped = self.scoped.none()
            return queryset.none()  # a school the viewer cannot see, say: nothing, as if it had no releases
        data = self.filter_form.cleaned_data if self.filter_form.is_bound else {}
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("school"):
            queryset = queryset.of_school(data["school"].pk)
            self.scoped = self.scoped.of_school(data["school"].pk)
        if data.get("q"):
            queryset = queryset.filter(Q(reference__icontains=data["q"]) | Q(title__icontains=data["q"]))
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["can_manage"] = _can_manage_here(self.request)
        context["measures"] = reports.measures(self.scoped, user=self.request.user)
        return context


class ReleaseDetailView(ReleaseViewMixin, DetailView):
    narrow_to_current_school = False
    template_name = "releases/release_detail.html"
    context_object_name = "release"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "manager", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        release, user = self.object, self.request.user
        available = Release.WORKFLOW.available(user, release)
        can_manage = access.can_manage_release.test(user, release)
        waves = list(RolloutWave.objects.visible_to(user).filter(release=release).order_by("order"))
        targets = list(
            RolloutTarget.objects.visible_to(user).filter(release=release).select_related("ci", "done_by", "wave")
        )
        counts = reports.wave_counts(release, user=user)
        for wave in waves:
            wave.rows = [t for t in targets if t.wave_id == wave.pk]
            wave.counts = counts.get(wave.pk, dict.fromkeys(Outcome.values, 0))
            wave.total = len(wave.rows)
            wave.percent = {k: round(100 * v / wave.total) if wave.total else 0 for k, v in wave.counts.items()}
        totals = dict.fromkeys(Outcome.values, 0)
        for wave in waves:
            for key, value in wave.counts.items():
                totals[key] += value
        context.update(
            actions=[a for a in available if a.name not in OWN_FORMS],
            # Completing is offered once every CI has its outcome (the service says so too).
            can_complete=any(a.name == "complete" for a in available) and bool(targets) and not totals["pending"],
            awaiting_outcomes=release.status == Status.ROLLING_OUT and totals["pending"],
            transition_form=TransitionForm(),
            timeline=timeline(release, include_internal=True),
            changes=release.changes.order_by("reference"),
            items=release.items.select_related("school", "authority").order_by("name", "version"),
            waves=waves,
            totals=totals,
            target_count=len(targets),
            can_manage=can_manage,
            recording=can_manage and release.status == Status.ROLLING_OUT,
            checklist=[line.strip() for line in release.installation_checklist.splitlines() if line.strip()],
        )
        if can_manage and release.status not in (Status.COMPLETED, Status.FAILED, Status.CANCELLED):
            context["wave_form"] = WaveForm(user=user, release=release, auto_id="wave_%s")
        return context


class ReleaseCreateView(LoginRequiredMixin, ReleaseAccessMixin, ServiceErrorMixin, FormView):
    form_class = ReleaseForm
    template_name = "releases/release_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can plan releases.")
            return redirect("releases:list")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school")
        try:
            release = services.release_create(school=school, actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{release.reference} planned: add its rollout waves, then start the build.")
        return redirect(release)


class ReleaseUpdateView(ReleaseViewMixin, ServiceErrorMixin, FormView):
    narrow_to_current_school = False
    form_class = ReleaseForm
    template_name = "releases/release_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_object(self):
        try:
            return self.get_queryset().select_related("school").get(pk=self.kwargs["pk"])
        except Release.DoesNotExist:
            raise Http404("No such release.") from None

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "release": self.object}
        if self.request.method == "GET":
            release = self.object
            kwargs["initial"] = {
                **{name: getattr(release, name) for name in services.EDITABLE_FIELDS},
                "changes": list(release.changes.values_list("pk", flat=True)),
                "items": list(release.items.values_list("pk", flat=True)),
            }
        return kwargs

    def get(self, request, *args, **kwargs):
        if not self.object.is_editable:
            messages.info(request, f"{self.object.reference}'s plans are fixed once the rollout has started.")
            return redirect(self.object)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "release": self.object}

    def form_valid(self, form):
        try:
            release = services.release_update(release=self.object, actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{release.reference} saved.")
        return redirect(release)


class ReleaseActionView(ReleaseViewMixin, RecordActionView):
    form_class: type = TransitionForm


class ReleaseTransitionView(ReleaseActionView):
    def act(self, data):
        release = services.release_transition(
            release=self.object, actor=self.request.user, action=self.kwargs["action"], note=data["note"]
        )
        messages.success(self.request, f"{release.reference} is now {release.get_status_display().lower()}.")


class WaveAddView(ReleaseActionView):
    def get_form(self):
        return WaveForm(self.request.POST, user=self.request.user, release=self.object, auto_id="wave_%s")

    def act(self, data):
        wave = services.wave_add(
            release=self.object,
            actor=self.request.user,
            name=data["name"],
            cis=list(data["cis"]) or None,
            location=data["location"],
            kind=data["kind"],
            planned_start=data["planned_start"],
            planned_end=data["planned_end"],
        )
        messages.success(self.request, f"{wave} added.")


class RolloutRecordView(ReleaseActionView):
    form_class = RolloutForm

    def act(self, data):
        user, release = self.request.user, self.object
        if data["wave"]:
            wave = RolloutWave.objects.visible_to(user).filter(release=release, pk=data["wave"]).first()
            if wave is None:
                raise ValidationError("That wave is not part of this release.")
            done = services.wave_record(wave=wave, outcome=data["outcome"], actor=user, note=data["note"])
        else:
            targets = RolloutTarget.objects.visible_to(user).filter(release=release, pk__in=data["targets"])
            done = services.rollout_record(
                release=release, targets=list(targets), outcome=data["outcome"], actor=user, note=data["note"]
            )
        label = Outcome(data["outcome"]).label.lower()
        messages.success(self.request, f"{done} CI{'s' if done != 1 else ''} recorded as {label}.")


# =============================================================================
# The definitive software library
# =============================================================================


class LibraryViewMixin(ReleaseAccessMixin, ScopedViewMixin):
    model = SoftwareLibraryItem


class LibraryListView(LibraryViewMixin, ListView):
    template_name = "releases/library_list.html"
    context_object_name = "items"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().for_list().order_by("name", "version", "pk")
        status = self.request.GET.get("status", "")
        if status in ItemStatus.values:
            queryset = queryset.filter(status=status)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        page = context["items"]
        loans = MediaLoan.objects.visible_to(user).filter(item__in=page, returned_at__isnull=True)
        out = {loan.item_id: loan for loan in loans.select_related("borrowed_by")}
        for item in page:
            item.can_decide = access.can_approve_library_item.test(user, item)
            item.loan = out.get(item.pk)
        context.update(
            statuses=ItemStatus.choices,
            status=self.request.GET.get("status", ""),
            can_manage=_can_manage_here(self.request),
            form=LibraryItemForm(user=user, school=getattr(self.request, "school", None)),
            withdraw_form=WithdrawForm(),
        )
        return context


class LibraryProposeView(LoginRequiredMixin, ReleaseAccessMixin, ServiceErrorMixin, FormView):
    form_class = LibraryItemForm
    template_name = "releases/library_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            item = services.item_propose(actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{item.label} proposed for the library: it is installed once approved.")
        return redirect("releases:library")


class LibraryActionView(LibraryViewMixin, RecordActionView):
    """POST-only actions on a library item; back to the library afterwards."""


class LibraryApproveView(LibraryActionView):
    def act(self, data):
        item = services.item_approve(item=self.object, actor=self.request.user)
        messages.success(self.request, f"{item.label} is approved: releases may install it.")


class LibraryWithdrawView(LibraryActionView):
    form_class = WithdrawForm

    def act(self, data):
        item = services.item_withdraw(item=self.object, actor=self.request.user, reason=data["reason"])
        messages.success(self.request, f"{item.label} is withdrawn from the library.")


class MediaLendView(LibraryActionView):
    def get_form(self):
        return LendForm(self.request.POST, user=self.request.user)

    def act(self, data):
        user, item = self.request.user, self.object
        school = item.school or getattr(self.request, "school", None)
        if school is None:
            schools = [s for s in schools_visible_to(user) if access.can_manage_release.test(user, s)]
            if len(schools) != 1:
                raise ValidationError("Choose your school in the school switcher first: the loan is booked there.")
            school = schools[0]
        borrower = data["borrowed_by"] or user
        services.media_lend(item=item, school=school, borrower=borrower, actor=user, note=data["note"])
        messages.success(self.request, f"The media of {item.label} is booked out to {borrower}.")


class MediaReturnView(ReleaseAccessMixin, RecordActionView):
    model = MediaLoan

    def act(self, data):
        loan = services.media_return(loan=self.object, actor=self.request.user)
        messages.success(self.request, f"The media of {loan.item.label} is booked back in.")
