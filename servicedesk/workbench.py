"""The technician's workbench: its queues, the counts beside them, saved filters and bulk actions.

Reads (the queues and their counts, the people a ticket can go to) start from
`Incident.objects.visible_to(user)` like every page; writes (saved filters, bulk actions) are
services: they check the permission, run in a transaction and, for tickets, go through the
one-ticket services of incidents.services so that each change is on the ticket's timeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import QueryDict

from fits import access
from fits.models import AuthorityRole, AuthorityRoleKind, Membership, Role, User
from incidents import services as incident_services
from incidents.models import OPEN_STATUSES, Incident, Status, SupportGroup
from servicedesk.models import SavedFilter

PAGE_SIZE = 50
# A bulk action changes at most this many tickets: each runs in its own transaction, with its notifications.
BULK_LIMIT = 200
# The list says "1,000+" beyond this: counting a whole 50,000-ticket history on every page costs more than it tells.
COUNT_CAP = 1000
# The filters offer the people and rooms of this many schools at most (a consultant's 500 would be thousands).
PER_SCHOOL_LISTS = 10
# How long the queue counts of more schools than that are kept (the poll asks every 20 s).
WIDE_COUNTS_SECONDS = 30
SAVED_FILTER_LIMIT = 50
# Parameters of the page that are not part of a filter set (never saved with one).
NOT_FILTERS = {"page", "csrfmiddlewaretoken", "saved", "since", "shown", "selected", "auto", "next", "name"}

# =============================================================================
# Queues
# =============================================================================

# Open and workable: a request awaiting approval is not anyone's to work yet.
WORKABLE = tuple(status for status in OPEN_STATUSES if status != Status.PENDING_APPROVAL)
# The counted queues look only at these rows (open, or resolved and waiting for the caller).
COUNTED_STATUSES = (*OPEN_STATUSES, Status.RESOLVED)


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    icon: str
    help: str
    counted: bool = True


QUEUES = [
    Queue("mine", "Mine", "user", "Open tickets assigned to you."),
    Queue("groups", "My groups'", "users", "Open tickets of the support groups you belong to."),
    Queue("unassigned", "Unassigned", "inbox", "Open tickets nobody has taken yet."),
    Queue("approval", "Awaiting approval", "hourglass", "Service requests waiting for their approver."),
    Queue("on_hold", "On hold", "player-pause", "Waiting for the caller, a supplier, parts or a change."),
    Queue("major", "Major incidents", "alert-triangle", "Open major incidents: many users or a whole service down."),
    Queue("resolved", "Resolved, to confirm", "circle-check", "Resolved: waiting for the caller to confirm or reopen."),
    Queue("open", "All open", "list", "Every open ticket."),
    Queue("all", "Everything", "search", "Every ticket, closed ones too: for searching.", counted=False),
]
QUEUE_KEYS = [queue.key for queue in QUEUES]
QUEUE_CHOICES = [(queue.key, queue.label) for queue in QUEUES]


def my_groups(user: Any) -> QuerySet:
    """The support groups `user` belongs to (a subquery: it adds no query of its own)."""
    return SupportGroup.objects.visible_to(user).filter(members=user).values("pk")


def queue_condition(key: str, user: Any) -> Q:
    """Which tickets are in the queue `key` for `user`."""
    is_open = Q(status__in=OPEN_STATUSES)
    conditions = {
        "mine": lambda: is_open & Q(assignee=user.pk),
        "groups": lambda: is_open & Q(group__in=my_groups(user)),
        "unassigned": lambda: Q(status__in=WORKABLE, assignee__isnull=True),
        "approval": lambda: Q(status=Status.PENDING_APPROVAL),
        "on_hold": lambda: Q(status=Status.ON_HOLD),
        "major": lambda: is_open & Q(is_major=True),
        "resolved": lambda: Q(status=Status.RESOLVED),
        "open": lambda: is_open,
        "all": Q,
    }
    if key not in conditions:
        raise ValueError(f"There is no queue called {key!r}.")
    return conditions[key]()


def tickets_for(user: Any, school_id: int | None) -> QuerySet:
    """Every ticket the workbench may show `user`, at the chosen school or at all of theirs."""
    return Incident.objects.visible_to(user).of_school(school_id)


def queue_counts(user: Any, school_id: int | None) -> dict[str, int]:
    """The live count of every counted queue, in one aggregate query over the open and resolved tickets.

    Across more schools than PER_SCHOOL_LISTS (an authority's consultant, an administrator) the counts run over
    tens of thousands of open tickets on every page and every poll: they are kept for WIDE_COUNTS_SECONDS in the
    cache, per person and school choice. Within a school they are always counted afresh.
    """
    if school_id is None and len(user.visible_school_ids) > PER_SCHOOL_LISTS:
        key = f"fits:workbench-counts:{user.pk}:{school_id}"
        counts = cache.get(key)
        if counts is None:
            counts = _count_queues(user, school_id)
            cache.set(key, counts, WIDE_COUNTS_SECONDS)
        return counts
    return _count_queues(user, school_id)


def _count_queues(user: Any, school_id: int | None) -> dict[str, int]:
    counted = [queue for queue in QUEUES if queue.counted]
    tickets = tickets_for(user, school_id).filter(status__in=COUNTED_STATUSES).order_by()
    return tickets.aggregate(**{queue.key: Count("pk", filter=queue_condition(queue.key, user)) for queue in counted})


def default_queue(user: Any, school: Any) -> str:
    """Where the workbench opens: a technician's own tickets, the desk's unrouted calls, else all open."""
    if user.is_superuser:
        return "open"
    if school is not None:
        roles = user.roles_at(school.pk)
    else:
        roles = frozenset().union(*user.school_roles.values()) if user.school_roles else frozenset()
    if roles & {Role.TECHNICIAN, Role.NETWORK_MANAGER, AuthorityRoleKind.SUPPORT}:
        return "mine"
    if Role.DESK in roles:
        return "unassigned"
    return "open"


def technicians_for(user: Any, school_id: int | None) -> QuerySet:
    """Who tickets can be assigned to: the technicians of the chosen school, or of every school `user` sees."""
    school_ids = [school_id] if school_id is not None else user.visible_school_ids
    technical = (Role.TECHNICIAN, Role.NETWORK_MANAGER)
    members = Membership.objects.filter(school__in=school_ids, role__in=technical).values("user_id").order_by()
    support = AuthorityRole.objects.filter(authority__schools__in=school_ids, role=AuthorityRoleKind.SUPPORT)
    support = support.values("user_id").order_by()
    # One list of ids (a UNION) that the people are read by key from: an OR of the two lists scans every person.
    return User.objects.filter(is_active=True, pk__in=members.union(support)).order_by(
        "first_name", "last_name", "username"
    )


# =============================================================================
# Live updates: has the page the person is looking at changed?
# =============================================================================


@dataclass(frozen=True)
class PageChange:
    """How the visible page differs from what was shown: rows updated since, rows that came or went."""

    updated: int = 0
    arrived: int = 0
    left: int = 0

    @property
    def total(self) -> int:
        return self.updated + self.arrived + self.left

    def __bool__(self) -> bool:
        return self.total > 0


def page_change(rows: Iterable[tuple[int, datetime]], *, shown: set[int], since: datetime | None) -> PageChange:
    """Compare the page's rows now, as (pk, updated_at), with the ids shown and the time they were shown."""
    now_ids, updated = set(), 0
    for pk, updated_at in rows:
        now_ids.add(pk)
        if pk in shown and since is not None and updated_at > since:
            updated += 1
    return PageChange(updated=updated, arrived=len(now_ids - shown), left=len(shown - now_ids))


def page_stamp(tickets: QuerySet) -> dict[str, Any]:
    """The newest update and the number of rows of a filter set (for the API: cheap change detection)."""
    return tickets.order_by().aggregate(latest=Max("updated_at"), count=Count("pk"))


# =============================================================================
# Saved filters (a person's own named queues)
# =============================================================================


def clean_query(query: str) -> str:
    """A filter set as it is saved: the query string without the page, the form's token and empty values."""
    data = QueryDict(query.lstrip("?"))
    kept = QueryDict(mutable=True)
    for key in data:
        if key in NOT_FILTERS:
            continue
        values = [value for value in data.getlist(key) if value.strip()]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the filter a name, e.g. “Printers at the junior site”."})
    if len(name) > SavedFilter._meta.get_field("name").max_length:
        raise ValidationError({"name": "Keep the name to 60 characters or fewer."})
    return name


def _unique(owner: User, name: str, *, exclude: int | None = None) -> None:
    others = SavedFilter.objects.filter(owner=owner, name__iexact=name).exclude(pk=exclude)
    if others.exists():
        raise ValidationError({"name": f"You already have a saved filter called “{name}”: choose another name."})


def _renumber(owner: User, ordered: list[SavedFilter]) -> None:
    for position, saved in enumerate(ordered):
        if saved.position != position:
            saved.position = position
            saved.save(update_fields=["position"])


@transaction.atomic
def saved_filter_create(*, owner: User, name: str, query: str) -> SavedFilter:
    """Save the filters the person chose on the workbench under a name: it becomes one of their queues."""
    may_use = access.here_or_anywhere(access.can_use_workbench)
    access.require(may_use, owner, None, "Only support staff have a workbench to save filters on.")
    name = _checked_name(name)
    query = clean_query(query)
    if len(query) > SavedFilter._meta.get_field("query").max_length:
        raise ValidationError({"query": "These filters are too long to save: remove a few choices."})
    mine = SavedFilter.objects.select_for_update().filter(owner=owner)
    if mine.count() >= SAVED_FILTER_LIMIT:
        raise ValidationError(f"You have {SAVED_FILTER_LIMIT} saved filters already: delete one you no longer use.")
    _unique(owner, name)
    last = mine.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(
                owner=owner, name=name, query=query, position=0 if last is None else last + 1
            )
    except IntegrityError as error:  # the same name saved twice at once
        raise ValidationError({"name": f"You already have a saved filter called “{name}”."}) from error


def _locked_filter(saved_filter: SavedFilter, actor: User) -> SavedFilter:
    access.require(access.can_manage_saved_filter, actor, saved_filter, "This saved filter is not yours.")
    return SavedFilter.objects.select_for_update().get(pk=saved_filter.pk)


@transaction.atomic
def saved_filter_rename(*, saved_filter: SavedFilter, actor: User, name: str) -> SavedFilter:
    """Give one of your saved filters a new name."""
    saved_filter = _locked_filter(saved_filter, actor)
    name = _checked_name(name)
    _unique(actor, name, exclude=saved_filter.pk)
    saved_filter.name = name
    saved_filter.save(update_fields=["name"])
    return saved_filter


@transaction.atomic
def saved_filter_delete(*, saved_filter: SavedFilter, actor: User) -> None:
    """Forget one of your saved filters; the tickets it found are not touched."""
    saved_filter = _locked_filter(saved_filter, actor)
    saved_filter.delete()
    _renumber(actor, list(SavedFilter.objects.select_for_update().filter(owner=actor).order_by("position", "name")))


@transaction.atomic
def saved_filter_move(*, saved_filter: SavedFilter, actor: User, position: int) -> SavedFilter:
    """Put one of your saved filters at `position` (0 is the top) among yours; the others close up."""
    saved_filter = _locked_filter(saved_filter, actor)
    ordered = [s for s in SavedFilter.objects.select_for_update().filter(owner=actor).order_by("position", "name")]
    ordered = [s for s in ordered if s.pk != saved_filter.pk]
    position = max(0, min(int(position), len(ordered)))
    ordered.insert(position, saved_filter)
    _renumber(actor, ordered)
    return saved_filter


# =============================================================================
# Bulk actions
# =============================================================================

BULK_ACTIONS = {
    "assign_me": "Assign to me",
    "assign": "Assign",
    "reprioritise": "Set priority",
    "hold": "Put on hold",
    "resolve": "Resolve",
    "comment": "Comment",
    "merge": "Merge",
}


def workbench_bulk(*, actor: User, incidents: list[Incident], action: str, **params: Any):
    """Apply one action to the tickets chosen on the workbench, each in its own transaction.

    Goes through incidents.services.incident_bulk, so every ticket is changed by its one-ticket service
    (permission, workflow, timeline, notifications) and a ticket the action does not suit is refused
    with the reason while the others go ahead. At most BULK_LIMIT tickets at once.
    """
    if not incidents:
        raise ValidationError("Choose at least one ticket: tick the boxes beside them, or press x.")
    if len(incidents) > BULK_LIMIT:
        raise ValidationError(f"Choose at most {BULK_LIMIT} tickets at once ({len(incidents)} chosen).")
    if action not in BULK_ACTIONS:
        raise ValidationError(f"There is no bulk action called {action!r}.")
    if action == "assign_me":
        return incident_services.incident_bulk(incidents=incidents, actor=actor, action="assign", assignee=actor)
    if action == "merge":
        into = params.get("into")
        if into is None:
            raise ValidationError({"into": "Say which ticket to merge the chosen ones into."})
        # The ticket kept may be among those ticked: it is not a duplicate of itself.
        incidents = [incident for incident in incidents if incident.pk != into.pk]
        if not incidents:
            raise ValidationError("Choose the duplicates too, not only the ticket to keep.")
    return incident_services.incident_bulk(incidents=incidents, actor=actor, action=action, **params)


def bulk_summary(outcome, *, shown: int = 5) -> str:
    """The message after a bulk action: "5 done, 2 refused: INC-000012 is closed; reopen it first. …"."""
    done, refused = len(outcome.done), len(outcome.refused)
    text = f"{done} done"
    if not refused:
        return text + "."
    reasons = []
    for incident, reason in outcome.refused[:shown]:
        reasons.append(reason if reason.startswith(incident.reference) else f"{incident.reference}: {reason}")
    more = f" And {refused - shown} more." if refused > shown else ""
    return f"{text}, {refused} refused: " + " ".join(r if r.endswith(".") else r + "." for r in reasons) + more
