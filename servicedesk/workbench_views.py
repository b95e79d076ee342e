"""The workbench pages: the queues and their list, the live-update poll, bulk actions, saved filters.

Thin views: they read through `visible_to` (ScopedViewMixin) and the workbench FilterSet, and
change things only through the services in servicedesk.workbench (and, for tickets, incidents').
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Window
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import View

from fits import access
from fits.pagination import in_page
from fits.views import ScopedViewMixin, ServiceErrorMixin
from incidents.models import HoldReason, Impact, Incident, ResolutionCode, Urgency
from servicedesk import workbench
from servicedesk.models import SavedFilter
from servicedesk.workbench_filters import DEFAULT_SORT, SORT_CHOICES, WorkbenchFilterSet
from servicedesk.workbench_forms import BulkActionForm, SavedFilterForm, SavedFilterMoveForm
from servicelevels.sla import with_due_state

MAX_PAGE = 1000  # 50,000 tickets: past that, narrow the filters
# The filters whose choices are read from the database (servicedesk/workbench/_filter_lists.html).
LIST_FILTERS = ("category", "group", "assignee", "location", "school")


def _no_store(response: HttpResponse) -> HttpResponse:
    """Queues change by the minute and hold personal data: never cached, and the partial differs from the page."""
    patch_cache_control(response, no_cache=True, no_store=True, must_revalidate=True, private=True, max_age=0)
    patch_vary_headers(response, ["HX-Request"])
    return response


class WorkbenchMixin(ScopedViewMixin):
    """What every workbench page shares: who may use it, and the filtered tickets."""

    model = Incident

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not access.here_or_anywhere(access.can_use_workbench).test(
            request.user, request.school
        ):
            messages.info(request, "The workbench is for the service desk and technicians: your tickets are here.")
            return redirect("home")
        return super().dispatch(request, *args, **kwargs)

    @property
    def school_id(self) -> int | None:
        return self.request.school.pk if self.request.school else None

    def filter_data(self):
        data = self.request.GET.copy()
        if not data.get("queue"):
            data["queue"] = workbench.default_queue(self.request.user, self.request.school)
        if not data.get("sort"):
            data["sort"] = DEFAULT_SORT
        return data

    def get_filterset(self, *, lean: bool = False) -> WorkbenchFilterSet:
        return WorkbenchFilterSet(self.filter_data(), queryset=self.get_queryset(), request=self.request, lean=lean)

    def page_number(self) -> int:
        try:
            return min(max(int(self.request.GET.get("page", 1)), 1), MAX_PAGE)
        except ValueError:
            return 1

    def tickets(self, filterset: WorkbenchFilterSet):
        """The filtered tickets, in the chosen order (none when a filter is invalid)."""
        return filterset.qs if filterset.is_valid() else filterset.queryset.none()

    def page_rows(self, tickets, number: int, *, searching: bool = False) -> tuple[list[Incident], bool, int | None]:
        """One page of rows with everything the list shows, whether there is a next page, and (for a search)
        how many tickets match.

        A queue's page is one query, in two steps inside it: the page's ids from the ticket table alone (its
        indexes find and order them without joining the reporter, room and CI of 50,000 tickets), then those
        fifty rows with all they show. A search reads every match to order them (the trigram indexes find
        them, not in order), so their number comes with the page's ids, for nothing, instead of a count.
        """
        start = (number - 1) * workbench.PAGE_SIZE
        stop = start + workbench.PAGE_SIZE + 1
        total = None
        if searching:
            found = list(tickets.annotate(matches=Window(Count("pk"))).values_list("pk", "matches")[start:stop])
            page = Q(pk__in=[pk for pk, _ in found])
            total = found[0][1] if found else None
        else:
            page = in_page(tickets.values("pk")[start:stop])
        rows = with_due_state(tickets.model.objects.visible_to(self.request.user).filter(page))
        rows = list(
            rows.select_related("school", "reporter", "assignee", "group", "location", "ci").order_by(
                *tickets.query.order_by
            )
        )
        return rows[: workbench.PAGE_SIZE], len(rows) > workbench.PAGE_SIZE, total

    def list_context(self, filterset: WorkbenchFilterSet, *, count: bool = True) -> dict[str, Any]:
        number = self.page_number()
        tickets = self.tickets(filterset)
        since = timezone.now()
        searching = bool(self.request.GET.get("q", "").strip()) and filterset.is_valid()
        rows, has_next, matches = self.page_rows(tickets, number, searching=searching)
        context = {
            "rows": rows,
            "page": number,
            "has_next": has_next,
            "first_index": (number - 1) * workbench.PAGE_SIZE + 1,
            "last_index": (number - 1) * workbench.PAGE_SIZE + len(rows),
            "since": since,
            "shown": ",".join(str(row.pk) for row in rows),
            "query": self.query(),
            "active_queue": self.filter_data()["queue"],
            # Bulk actions are routing and work: a leader or a consultant reads the queues without them.
            "can_act": access.here_or_anywhere(access.can_route_incident).test(self.request.user, self.request.school),
            "show_school": self.request.school is None and len(self.request.user.visible_school_ids) > 1,
            "filtered": any(
                value for key, value in self.request.GET.items() if key not in {"queue", "sort", *workbench.NOT_FILTERS}
            ),
        }
        if count and matches is not None:
            context["total"], context["total_capped"] = matches, False
        elif count:
            # Bounded: counting COUNT_CAP past this page, never the school's whole history on every page.
            limit = (number - 1) * workbench.PAGE_SIZE + workbench.COUNT_CAP
            total = tickets.order_by().values("pk")[: limit + 1].count() if rows else 0
            context["total"] = min(total, limit)
            context["total_capped"] = total > limit
        return context

    def choice_lists(self) -> dict[str, Any]:
        """What the filters' choice lists need. The people and rooms are offered for one school, or a few: across
        an authority's 500 schools they are thousands of names nobody picks from a list."""
        school_count = 1 if self.request.school else len(self.request.user.visible_school_ids)
        per_school = school_count <= workbench.PER_SCHOOL_LISTS
        technicians = list(workbench.technicians_for(self.request.user, self.school_id)) if per_school else []
        return {"per_school_lists": per_school, "school_count": school_count, "technicians": technicians}

    def query(self) -> str:
        """The filters as a query string, without the page or the poll's own parameters."""
        data = self.filter_data()
        for key in workbench.NOT_FILTERS:
            data.pop(key, None)
        return data.urlencode()


class WorkbenchView(WorkbenchMixin, View):
    """The workbench: queues with live counts, the person's saved filters, and a dense, filterable list."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        partial = bool(request.htmx and not request.htmx.boosted)
        filterset = self.get_filterset(lean=True)
        context = self.list_context(filterset)
        if partial:
            return _no_store(render(request, "servicedesk/workbench/_list.html", context))
        saved = list(SavedFilter.objects.visible_to(request.user))
        shown_query = workbench.clean_query(request.GET.urlencode())
        # Bulk actions are for those who route tickets: nobody else's page reads the technicians for them.
        bulk_form = BulkActionForm(user=request.user, school=request.school) if context["can_act"] else None
        technicians = list(bulk_form.fields["assignee"].queryset) if bulk_form else None
        more_filters = any(
            request.GET.get(key)
            for key in ("kind", "status", "category", "group", "location", "ci", "ci_name", "assignee", "school")
        ) or any(key.startswith(("logged_", "updated_")) and request.GET.get(key) for key in request.GET)
        context.update(
            filter=filterset,
            filter_errors=self.filter_errors(filterset),
            queues=self.queues(context["active_queue"]),
            saved_filters=saved,
            active_saved=next((s for s in saved if s.query == shown_query), None),
            current_query=workbench.clean_query(self.query()),
            sort_choices=SORT_CHOICES,
            bulk_form=bulk_form,
            technicians=technicians,
            can_merge="merge" in workbench.BULK_ACTIONS,
            hold_reasons=HoldReason.choices,
            impacts=Impact.choices,
            urgencies=Urgency.choices,
            resolution_codes=ResolutionCode.choices,
            bulk_limit=workbench.BULK_LIMIT,
            poll_seconds=20,
            more_filters=more_filters,
            list_filters=[(key, value) for key in LIST_FILTERS for value in request.GET.getlist(key) if value],
        )
        return _no_store(render(request, "servicedesk/workbench/page.html", context))

    @staticmethod
    def filter_errors(filterset: WorkbenchFilterSet) -> list[str]:
        """What is wrong with the filters, said with the filter's name."""
        if filterset.is_valid():
            return []
        form = filterset.form
        return [
            f"{form.fields[name].label or name}: {error}" if name in form.fields else error
            for name, errors in form.errors.items()
            for error in errors
        ]

    def queues(self, active: str) -> list[dict[str, Any]]:
        counts = workbench.queue_counts(self.request.user, self.school_id)
        sort = self.request.GET.get("sort")
        return [
            {
                "queue": queue,
                "count": counts.get(queue.key),
                "active": queue.key == active,
                "query": f"queue={queue.key}" + (f"&sort={sort}" if sort else ""),
            }
            for queue in workbench.QUEUES
        ]


class WorkbenchFilterListsView(WorkbenchMixin, View):
    """The filters with choice lists from the database (categories, groups, people, rooms, schools), fetched
    when "More filters" is opened: the queue's page does not build lists that are mostly left folded."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        context = {
            "filter": self.get_filterset(),
            "show_school": self.request.school is None and len(request.user.visible_school_ids) > 1,
            **self.choice_lists(),
        }
        return _no_store(render(request, "servicedesk/workbench/_filter_lists.html", context))


class WorkbenchPollView(WorkbenchMixin, View):
    """Live updates, polled every 20 s: the queue counts, and whether the page on screen has changed.

    Cheap by design: one aggregate for the counts and the (pk, updated_at) of the visible page, never
    a count of the whole filter. When the page changed and nothing is ticked (`selected=0`, `auto=1`),
    the fresh rows come with the answer; otherwise it says "3 tickets updated — refresh", so rows
    never move under someone choosing them.
    """

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        filterset = self.get_filterset(lean=True)
        counts = workbench.queue_counts(request.user, self.school_id)
        number = self.page_number()
        start = (number - 1) * workbench.PAGE_SIZE
        tickets = self.tickets(filterset)
        now = list(tickets.values_list("pk", "updated_at")[start : start + workbench.PAGE_SIZE])
        shown = {int(pk) for pk in request.GET.get("shown", "").split(",") if pk.strip().isdigit()}
        since = parse_datetime(request.GET.get("since", "") or "")
        change = workbench.page_change(now, shown=shown, since=since)
        if not request.htmx:
            return _no_store(
                JsonResponse(
                    {
                        "counts": counts,
                        "changed": change.total,
                        "updated": change.updated,
                        "arrived": change.arrived,
                        "left": change.left,
                    }
                )
            )
        context = {"counts": counts, "change": change, "query": self.query(), "page": number}
        refresh = bool(change) and request.GET.get("selected", "0") == "0" and request.GET.get("auto") == "1"
        if refresh:
            context.update(self.list_context(filterset, count=False), refreshed=True)
        return _no_store(render(request, "servicedesk/workbench/_poll.html", context))


def _back(request: HttpRequest) -> str:
    """Where to go after a POST: the workbench as it was (its filters), never another site."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/workbench/"


class WorkbenchBulkView(WorkbenchMixin, ServiceErrorMixin, View):
    """One action on the ticked tickets, each through its own service; the message says what was refused."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = BulkActionForm(request.POST, user=request.user, school=request.school)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return HttpResponseRedirect(_back(request))
        action = form.cleaned_data["action"]
        tickets = list(form.cleaned_data["ticket"].select_related("school").order_by("priority", "created_at"))
        try:
            outcome = workbench.workbench_bulk(actor=request.user, incidents=tickets, action=action, **form.params())
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return HttpResponseRedirect(_back(request))
        label = workbench.BULK_ACTIONS[action]
        summary = f"{label}: {workbench.bulk_summary(outcome)}"
        if outcome.refused:
            messages.warning(request, summary)
        else:
            messages.success(request, summary)
        return HttpResponseRedirect(_back(request))


class SavedFilterCreateView(WorkbenchMixin, ServiceErrorMixin, View):
    """Save the filters on screen under a name: they become one of your queues."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = SavedFilterForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the filter a name (60 characters at most) to save it.")
            return HttpResponseRedirect(_back(request))
        try:
            saved = workbench.saved_filter_create(
                owner=request.user, name=form.cleaned_data["name"], query=form.cleaned_data["query"]
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return HttpResponseRedirect(_back(request))
        messages.success(request, f"Saved “{saved.name}”: it is in your queues on the left.")
        return redirect(f"/workbench/?{saved.query}" if saved.query else "/workbench/")


class SavedFilterActionView(LoginRequiredMixin, ServiceErrorMixin, View):
    """Rename, move or delete one of your saved filters (anyone else's answers 404, whoever asks)."""

    action = ""

    def post(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        saved = get_object_or_404(SavedFilter.objects.visible_to(request.user), pk=pk)
        try:
            if self.action == "rename":
                form = SavedFilterForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("Give the filter a name (60 characters at most).")
                saved = workbench.saved_filter_rename(
                    saved_filter=saved, actor=request.user, name=form.cleaned_data["name"]
                )
                messages.success(request, f"Renamed to “{saved.name}”.")
            elif self.action == "move":
                form = SavedFilterMoveForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("Say where to move the filter.")
                workbench.saved_filter_move(
                    saved_filter=saved, actor=request.user, position=form.cleaned_data["position"]
                )
            elif self.action == "delete":
                workbench.saved_filter_delete(saved_filter=saved, actor=request.user)
                messages.success(request, f"Deleted the saved filter “{saved.name}”.")
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        return HttpResponseRedirect(_back(request))
