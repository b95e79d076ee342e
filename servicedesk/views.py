"""The single point of contact: a home page for each persona (DESIGN.md 1)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, View
from django.views.generic.detail import SingleObjectMixin

from fits import access
from fits.models import AuthorityRoleKind, Role
from fits.scoping import schools_visible_to
from fits.views import ScopedViewMixin, ServiceErrorMixin
from incidents.models import Incident, Priority, Status
from servicedesk import services
from servicedesk.forms import ArticleForm
from servicedesk.models import KnowledgeArticle

# Which home page a person gets when they hold several roles: the broadest view wins.
PERSONA_ORDER = [
    Role.NETWORK_MANAGER,
    Role.SCHOOL_LEADER,
    AuthorityRoleKind.CONSULTANT,
    Role.TECHNICIAN,
    AuthorityRoleKind.SUPPORT,
    Role.DESK,
    Role.ICT_USER,
]
PERSONA_TEMPLATES = {
    Role.NETWORK_MANAGER: "glance",
    Role.SCHOOL_LEADER: "glance",
    AuthorityRoleKind.CONSULTANT: "authority",
    Role.TECHNICIAN: "technician",
    AuthorityRoleKind.SUPPORT: "technician",
    Role.DESK: "desk",
    Role.ICT_USER: "user",
}
LIST_LENGTH = 10


def persona(user, school) -> str:
    """The home page to show: from the roles at the chosen school, or across all of them."""
    if user.is_superuser:
        return "glance" if school is not None else "authority"
    if school is not None:
        roles = user.roles_at(school.pk)
    else:
        roles = frozenset().union(*user.school_roles.values()) if user.school_roles else frozenset()
        if AuthorityRoleKind.CONSULTANT in roles:
            return "authority"
    for role in PERSONA_ORDER:
        if role in roles:
            template = PERSONA_TEMPLATES[role]
            # A consultant who picked one school sees that school at a glance.
            return "glance" if template == "authority" and school is not None else template
    return "none"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user, school = request.user, request.school
    kind = persona(user, school)
    incidents = Incident.objects.visible_to(user).of_school(school.pk if school else None)
    week_ago = timezone.now() - timedelta(days=7)
    context = {"persona": kind, "since": week_ago}

    if kind == "user":
        mine = incidents.filter(reporter=user).for_list()
        context.update(
            open_incidents=mine.open().order_by("priority", "-created_at")[:LIST_LENGTH],
            awaiting=mine.filter(status=Status.RESOLVED).order_by("-resolved_at")[:LIST_LENGTH],
            recent=mine.filter(status=Status.CLOSED).order_by("-closed_at")[:5],
        )
    elif kind == "desk":
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        context.update(
            todays_calls=incidents.filter(created_at__gte=today).for_list().order_by("-created_at")[:LIST_LENGTH],
            unrouted=incidents.unassigned().for_list().order_by("priority", "created_at")[:LIST_LENGTH],
            awaiting=incidents.filter(status=Status.RESOLVED).for_list().order_by("resolved_at")[:LIST_LENGTH],
            figures=incidents.glance(since=today),
        )
    elif kind == "technician":
        context.update(
            my_queue=incidents.open().filter(assignee=user).for_list().order_by("priority", "created_at")[:LIST_LENGTH],
            unassigned=incidents.unassigned().for_list().order_by("priority", "created_at")[:LIST_LENGTH],
            figures=incidents.glance(since=week_ago),
            mine_open=incidents.open().filter(assignee=user).count(),
        )
    elif kind == "glance":
        by_priority = incidents.open().count_by("priority")
        by_status = incidents.open().count_by("status")
        context.update(
            figures=incidents.glance(since=week_ago),
            by_priority=[(p.label, by_priority.get(p.value, 0), p.value) for p in Priority],
            by_status=[(label, by_status.get(value, 0)) for value, label in Status.choices if value in by_status],
            oldest=incidents.open().for_list().order_by("created_at")[:5],
        )
    elif kind == "authority":
        figures = incidents.glance_by_school(since=week_ago)
        schools = schools_visible_to(user).select_related("authority").order_by("authority__name", "name")
        empty = dict.fromkeys(("open", "urgent", "unassigned", "awaiting", "logged", "resolved"), 0)
        context.update(
            schools=[(s, figures.get(s.pk, empty)) for s in schools],
            totals=incidents.glance(since=week_ago),
        )
    return render(request, f"servicedesk/home_{kind}.html", context)


# =============================================================================
# Knowledge: articles for users (self-help) and for technicians
# =============================================================================

SUGGESTIONS = 5


class ArticleListView(ScopedViewMixin, ListView):
    """The knowledge base of the current school (or all of the user's), searchable with ?q=."""

    model = KnowledgeArticle
    template_name = "servicedesk/knowledge_list.html"
    paginate_by = 25

    def get_queryset(self):
        articles = super().get_queryset().for_list()
        query = self.request.GET.get("q", "").strip()
        return articles.search(query) if query else articles.order_by("title")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["q"] = self.request.GET.get("q", "").strip()
        context["can_write"] = access.here_or_anywhere(access.can_write_articles).test(
            self.request.user, self.request.school
        )
        return context


class ArticleDetailView(ScopedViewMixin, DetailView):
    model = KnowledgeArticle
    narrow_to_current_school = False
    template_name = "servicedesk/knowledge_detail.html"
    context_object_name = "article"

    def get_queryset(self):
        return super().get_queryset().for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article, user = self.object, self.request.user
        context.update(
            actions=KnowledgeArticle.WORKFLOW.available(user, article),
            can_edit=access.can_write_articles.test(user, article),
        )
        return context


class ArticleCreateView(LoginRequiredMixin, ServiceErrorMixin, FormView):
    form_class = ArticleForm
    template_name = "servicedesk/knowledge_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.has_schools:
            messages.error(request, "Only the service desk and technicians write knowledge articles.")
            return redirect("knowledge_list")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            article = services.article_create(
                school=data["school"],
                author=self.request.user,
                title=data["title"],
                summary=data["summary"],
                body=data["body"],
                audience=data["audience"],
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"“{article}” saved as a draft: publish it when it is ready.")
        return redirect(article)


class ArticleEditView(ScopedViewMixin, ServiceErrorMixin, SingleObjectMixin, FormView):
    model = KnowledgeArticle
    narrow_to_current_school = False
    form_class = ArticleForm
    template_name = "servicedesk/knowledge_form.html"
    context_object_name = "article"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.object = self.get_object()
        if not access.can_write_articles.test(request.user, self.object):
            messages.error(request, "You cannot edit this article.")
            return redirect(self.object)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "editing": True}
        kwargs["initial"] = {name: getattr(self.object, name) for name in services.EDITABLE}
        return kwargs

    def form_valid(self, form):
        try:
            article = services.article_update(article=self.object, actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"“{article}” saved.")
        return redirect(article)


class ArticleTransitionView(ScopedViewMixin, ServiceErrorMixin, SingleObjectMixin, View):
    model = KnowledgeArticle
    narrow_to_current_school = False

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            article = services.article_transition(article=self.object, action=kwargs["action"], actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            messages.success(request, f"“{article}” is now {article.get_status_display().lower()}.")
        return HttpResponseRedirect(self.object.get_absolute_url())


@login_required
def article_suggest(request: HttpRequest) -> HttpResponse:
    """Self-help while an incident is typed: up to five published articles matching the words so far (htmx)."""
    query = request.GET.get("q", "") or request.GET.get("title", "")
    articles = KnowledgeArticle.objects.none()
    if len(query.strip()) >= 3:
        school = getattr(request, "school", None)
        articles = (
            KnowledgeArticle.objects.visible_to(request.user)
            .published()
            .of_school(school.pk if school else None)
            .search(query, every_word=False)[:SUGGESTIONS]
        )
    return render(request, "servicedesk/_suggestions.html", {"articles": articles, "q": query})
