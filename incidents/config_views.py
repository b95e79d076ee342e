"""The service desk's configuration: categories, support groups and an authority's priority matrix.

A school keeps its own categories and groups (its network manager); what an authority shares with
all its schools, and its impact x urgency matrix, is kept by its consultants and support unit.
Everyone with a support role reads it all; writes go through incidents.services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import DetailView, FormView, ListView, TemplateView

from fits import access
from fits.models import Authority
from fits.scoping import schools_visible_to
from fits.views import ScopedViewMixin, ServiceErrorMixin
from incidents import services
from incidents.config_forms import CategoryForm, PriorityMatrixForm, SupportGroupForm, owners_for
from incidents.models import PRIORITY_MATRIX, Category, Impact, Priority, PriorityRule, SupportGroup, Urgency


def report(form, error: Exception) -> None:
    """A service's refusal shown on the form: on its field when it names one."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You cannot change this.")
        return
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class ConfigMixin(ScopedViewMixin):
    """Configuration pages: for the school's support staff (and the authority's); others are answered 404."""

    @staticmethod
    def may_read(user) -> bool:
        return user.is_authenticated and access.here_or_anywhere(access.can_view_service_desk_config).test(user, None)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.may_read(request.user):
            raise Http404("The service desk's configuration is for support staff.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def may_add(self) -> bool:
        return bool(owners_for(self.request.user))


class SharedRowListView(ConfigMixin, ListView):
    """A list of shared configuration rows, each marked with whether this person may change it."""

    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for row in context["object_list"]:
            row.may_change = access.can_manage_shared_config.test(user, row)
        context["may_add"] = self.may_add
        return context


class ConfigHomeView(ConfigMixin, TemplateView):
    """What the service desk is set up with, and who keeps what."""

    template_name = "incidents/config/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, self.request.school
        categories = Category.objects.visible_to(user).of_school(school.pk if school else None)
        groups = SupportGroup.objects.visible_to(user).of_school(school.pk if school else None)
        context.update(
            categories=categories.count(),
            groups=groups.values("kind").annotate(n=Count("pk")).order_by("kind"),
            group_kinds=dict(SupportGroup.Kind.choices),
            authorities=authorities_for(user, school),
            may_add=self.may_add,
        )
        return context


# =============================================================================
# Categories
# =============================================================================


class CategoryListView(SharedRowListView):
    """The two-level tree of categories in force at the chosen school (its own, its authority's, everyone's)."""

    model = Category
    template_name = "incidents/config/category_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "authority", "parent", "default_group")
        return queryset.annotate(branch=Coalesce("parent__name", "name")).order_by(
            "branch", F("parent").asc(nulls_first=True), "name", "pk"
        )


class CategoryFormMixin(ConfigMixin, ServiceErrorMixin):
    form_class = CategoryForm
    template_name = "incidents/config/category_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def submit(self, form, category: Category | None):
        data = form.cleaned_data
        school, authority = data.get("owner") or (None, None)
        try:
            saved = services.category_save(
                actor=self.request.user,
                category=category,
                name=data["name"],
                parent=data["parent"],
                applies_to=data["applies_to"],
                default_group=data["default_group"],
                is_active=data["is_active"],
                school=school,
                authority=authority,
            )
        except (ValidationError, PermissionDenied) as error:
            report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Category {saved} saved.")
        return redirect("incidents:category_list")


class CategoryCreateView(CategoryFormMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if self.may_read(request.user) and not owners_for(request.user):
            messages.error(request, "The network manager keeps the school's categories; the LEA keeps shared ones.")
            return redirect("incidents:category_list")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        return self.submit(form, None)


class CategoryUpdateView(CategoryFormMixin, DetailView, FormView):
    """Change a category: for its keepers. Others see what it is and who keeps it."""

    model = Category
    narrow_to_current_school = False
    context_object_name = "category"

    def dispatch(self, request, *args, **kwargs):
        if self.may_read(request.user):
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority", "parent", "default_group")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "category": self.object}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_change"] = access.can_manage_shared_config.test(self.request.user, self.object)
        return context

    def post(self, request, *args, **kwargs):
        if not access.can_manage_shared_config.test(request.user, self.object):
            messages.error(request, f"Only the keepers of {self.object.scope_label}'s categories change this one.")
            return redirect("incidents:category_edit", pk=self.object.pk)
        return FormView.post(self, request, *args, **kwargs)

    def form_valid(self, form):
        return self.submit(form, self.object)


# =============================================================================
# Support groups
# =============================================================================


class GroupListView(SharedRowListView):
    """The teams that work tickets at the chosen school: its own, the LEA support unit, suppliers."""

    model = SupportGroup
    template_name = "incidents/config/group_list.html"

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "authority")
        return queryset.annotate(member_count=Count("members", distinct=True)).order_by("kind", "name", "pk")


class GroupFormMixin(ConfigMixin, ServiceErrorMixin):
    form_class = SupportGroupForm
    template_name = "incidents/config/group_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def submit(self, form, group: SupportGroup | None):
        data = form.cleaned_data
        school, authority = data.get("owner") or (None, None)
        try:
            saved = services.support_group_save(
                actor=self.request.user,
                group=group,
                name=data["name"],
                kind=data["kind"],
                email=data["email"],
                phone=data["phone"],
                notes=data["notes"],
                members=data["members"],
                is_active=data["is_active"],
                school=school,
                authority=authority,
            )
        except (ValidationError, PermissionDenied) as error:
            report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{saved} saved.")
        return redirect("incidents:group_edit", pk=saved.pk)


class GroupCreateView(GroupFormMixin, FormView):
    def dispatch(self, request, *args, **kwargs):
        if self.may_read(request.user) and not owners_for(request.user):
            messages.error(request, "The network manager keeps the school's groups; the LEA keeps shared ones.")
            return redirect("incidents:group_list")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form):
        return self.submit(form, None)


class GroupUpdateView(GroupFormMixin, DetailView, FormView):
    """A group: its members and how to reach it, its open tickets; changed by its keepers."""

    model = SupportGroup
    narrow_to_current_school = False
    context_object_name = "group"

    def dispatch(self, request, *args, **kwargs):
        if self.may_read(request.user):
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority").prefetch_related("members")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "group": self.object}

    def get_context_data(self, **kwargs):
        from incidents.models import Incident

        context = super().get_context_data(**kwargs)
        group, user = self.object, self.request.user
        context["may_change"] = access.can_manage_shared_config.test(user, group)
        context["open_tickets"] = Incident.objects.visible_to(user).open().filter(group=group).count()
        context["queue_url"] = f"{reverse('incidents:list')}?group_id={group.pk}&state=open"
        if group.kind == SupportGroup.Kind.AUTHORITY:
            context["unit_people"] = list(services.support_unit_people(group).order_by("first_name", "last_name"))
        return context

    def post(self, request, *args, **kwargs):
        if not access.can_manage_shared_config.test(request.user, self.object):
            messages.error(request, f"Only the keepers of {self.object.scope_label}'s groups change this one.")
            return redirect("incidents:group_edit", pk=self.object.pk)
        return FormView.post(self, request, *args, **kwargs)

    def form_valid(self, form):
        return self.submit(form, self.object)


# =============================================================================
# An authority's priority matrix
# =============================================================================


def authorities_for(user: Any, school: Any = None) -> list[Authority]:
    """The authorities whose matrix `user` may read: of the chosen school, or of all their schools."""
    schools = schools_visible_to(user)
    if school is not None:
        schools = schools.filter(pk=school.pk)
    ids = {s.authority_id for s in schools if s.authority_id and access.can_view_service_desk_config.test(user, s)}
    return list(Authority.objects.filter(pk__in=ids).order_by("name"))


class PriorityMatrixView(ConfigMixin, FormView):
    """Impact x urgency = priority: the authority's own matrix, cell by cell, beside the default."""

    form_class = PriorityMatrixForm
    template_name = "incidents/config/priority_matrix.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.authorities = authorities_for(request.user, request.school)
            wanted = request.GET.get("authority") or request.POST.get("authority")
            chosen = [a for a in self.authorities if a.slug == wanted] or self.authorities[:1]
            self.authority = chosen[0] if chosen else None
        return super().dispatch(request, *args, **kwargs)

    def current(self) -> dict[tuple[int, int], int]:
        cells = dict(PRIORITY_MATRIX)
        if self.authority is not None:
            for rule in PriorityRule.objects.filter(authority=self.authority):
                cells[(rule.impact, rule.urgency)] = rule.priority
        return {key: int(value) for key, value in cells.items()}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "current": self.current()}

    @property
    def may_change(self) -> bool:
        return self.authority is not None and access.can_manage_authority_config.test(self.request.user, self.authority)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            authority=self.authority,
            authorities=self.authorities,
            may_change=self.may_change,
            urgencies=list(Urgency),
            impacts=list(Impact),
            priorities=Priority.choices,
            differ=sum(1 for key, value in self.current().items() if value != PRIORITY_MATRIX[key]),
        )
        return context

    def post(self, request, *args, **kwargs):
        if self.authority is None or not self.may_change:
            messages.error(request, "Only the authority's consultants and support unit set its priorities.")
            return redirect(request.path)
        if "reset" in request.POST:
            form = self.get_form_class()(current=dict(PRIORITY_MATRIX))
            return self.apply(form, dict(PRIORITY_MATRIX))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        return self.apply(form, form.cells())

    def apply(self, form, cells):
        try:
            differ = services.priority_matrix_save(authority=self.authority, actor=self.request.user, cells=cells)
        except (ValidationError, PermissionDenied) as error:
            report(form, error)
            return self.form_invalid(form)
        summary = f"{differ} cell{'s' if differ != 1 else ''} differ from the default" if differ else "the default"
        messages.success(self.request, f"{self.authority}'s priorities saved: {summary}. New tickets follow them.")
        return redirect(f"{self.request.path}?authority={self.authority.slug}")
