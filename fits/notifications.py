"""Notifications: telling people what happened on the records they follow, in the app and by e-mail.

FITS asks the service desk to keep users informed of progress on their incidents and requests;
every process (incidents, requests, problems, later changes) does it through `notify()`:

    notify(record, "resolved", [incident.reporter], actor=technician, context={"note": resolution})

- In-app: one `Notification` row per recipient, written in the caller's transaction (so a change
  that rolls back notifies nobody). The bell in the top bar counts the unread ones.
- E-mail: after commit, a Celery task (fits.tasks.notification_email_task) sends one e-mail per
  recipient whose e-mail setting is "each"; people who chose the daily digest get one e-mail a day
  (notification_digest_send, at 07:00). The notification row is the idempotency key: a row is
  claimed (emailed_at set) before its e-mail goes out, so a retried task never sends twice.
- Wording: templates/notifications/<event>.txt (first line the subject), which a school may
  override (NotificationTemplate). School-written templates run in a sandbox: a template engine
  with no loaders, no {% load %}/{% include %}/{% debug %}, a handful of tags and filters, and a
  context of plain strings, checked against the list of placeholders when saved and again at send.
- Threading: the subject carries [INC-000123]; Message-ID is <fits.{pk}.{uuid}@{domain}> and
  In-Reply-To/References <fits.{pk}@{domain}>, so mail clients thread and the e-mail intake
  matches replies. Every e-mail says Auto-Submitted: auto-generated, so auto-replies are recognised.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import FilterExpression, NodeList, TextNode, Variable, VariableNode
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from fits import access
from fits.models import EmailFrequency, Notification, NotificationTemplate, School, User

logger = logging.getLogger(__name__)

# =============================================================================
# Events
# =============================================================================


@dataclass(frozen=True)
class Event:
    """Something worth telling people about: when it is sent, and the in-app line for it."""

    label: str
    sent: str  # when it is sent, and to whom (shown in the template editor)
    headline: str = "{reference} {label}: {title}"  # the in-app title; {label} is `label` in lower case


EVENTS: dict[str, Event] = {
    "logged": Event(
        "Logged",
        "To the caller when an incident or request is logged for them (by the desk, by "
        "e-mail or by phone): their reference, so they can follow it.",
    ),
    "assigned": Event(
        "Assigned",
        "To the technician a ticket is assigned to, or to the members of its support group when no one is named.",
    ),
    "commented": Event("New comment", "To the caller and the technician when someone else adds a public comment."),
    "hold": Event("On hold", "To the caller when work stops, with what it is waiting for."),
    "resolved": Event("Resolved", "To the caller with the resolution, asking them to confirm it or reopen the ticket."),
    "reopened": Event(
        "Reopened", "To the technician (and the caller, if someone else reopened it) when a resolution did not work."
    ),
    "closed": Event("Closed", "To the caller and the technician when the resolution is confirmed."),
    "expired": Event(
        "Closed automatically",
        "To the caller when a resolution they did not answer closes itself after the grace period.",
    ),
    "merged": Event("Merged", "To the caller when their ticket is merged with another reporting the same fault."),
    "escalated": Event("Escalated", "To the LEA support unit or the supplier group a ticket is escalated to."),
    "major_declared": Event("Major incident declared", "To the school's leaders when a major incident is declared."),
    "linked_to_major": Event(
        "Linked to a major incident",
        "To the caller when their ticket is linked to a major incident: updates will follow.",
    ),
    "major_update": Event(
        "Major incident update", "To everyone affected by a major incident when its status is updated."
    ),
    "request_approval_needed": Event(
        "Approval needed",
        "To the approver of a service request that needs approval.",
        headline="{reference} needs your approval: {title}",
    ),
    "request_approved": Event(
        "Request approved", "To the requester when their request is approved.", headline="{reference} approved: {title}"
    ),
    "request_declined": Event(
        "Request declined",
        "To the requester when their request is declined, with the reason.",
        headline="{reference} declined: {title}",
    ),
    "task_assigned": Event(
        "Task assigned",
        "To the person a fulfilment task of a service request is assigned to; and to the technician a task (planned "
        "work: preventative maintenance, a capacity warning) is given to, or to its support group's members.",
        headline="{reference} task assigned to you: {title}",
    ),
    "task_overdue": Event(
        "Task overdue",
        "Once, the day after an open task's due date passes: to its assignee, else its support group's members, else "
        "the school's network managers.",
        headline="{reference} is overdue: {title}",
    ),
    "safeguarding": Event(
        "Safeguarding concern",
        "To the designated safeguarding leads when a safeguarding-"
        "flagged incident is logged. It never carries the details: they sign in to read them.",
        headline="{reference}: a safeguarding concern was logged",
    ),
    # Security Administration (om.security): the breach log, for the network manager and the school's leaders.
    "breach_logged": Event(
        "Data breach logged",
        "To the school's network managers and leaders when a personal data breach is logged, with the time by which "
        "the ICO must be told (72 hours from when it was found).",
        headline="{reference} data breach logged: {title}",
    ),
    "ico_deadline": Event(
        "ICO deadline near",
        "Once per breach, to the school's network managers and leaders, when a breach that may have to be reported "
        "is neither reported to the ICO nor recorded as not reportable 48 hours after it was found (or later).",
        headline="{reference} report to the ICO due: {title}",
    ),
    "review_due": Event(
        "Review due",
        "To an agreement's owner, and to the LEA's consultants for a school's traded-services subscription, 30 "
        "and 7 days before its review date and on the day after it passes (each reminder once).",
        headline="Review due: {title}",
    ),
    "sla_warning": Event(
        "Service level warning",
        "To the assignee and the ticket's support group when a response or resolution target is nearly used "
        "up (the agreement's warning share, 75 % unless it says otherwise).",
        headline="{reference} is close to its service level: {title}",
    ),
    "sla_breach": Event(
        "Service level breached",
        "To the assignee, the ticket's support group and the school's network managers when a response or "
        "resolution target is missed.",
        headline="{reference} breached its service level: {title}",
    ),
    "sla_escalation": Event(
        "Service level escalated to the LEA",
        "To the assignee, the group, the network managers and the authority's consultants and support unit "
        "when a breached target reaches the agreement's escalation share (150 % unless it says otherwise).",
        headline="{reference} escalated to the LEA (service level): {title}",
    ),
    "change_approval_needed": Event(
        "Change approval needed",
        "To the approvers a request for change needs (the network managers, the CAB's members, a leader for a major "
        "change) when it is submitted.",
        headline="{reference} needs your approval: {title}",
    ),
    "change_approved": Event(
        "Change approved",
        "To the requester of a change when the last approval it needs is given.",
        headline="{reference} approved: {title}",
    ),
    "change_rejected": Event(
        "Change rejected",
        "To the requester of a change when an approver rejects it, with the reason.",
        headline="{reference} rejected: {title}",
    ),
    "change_review_needed": Event(
        "Change review needed",
        "To the school's network managers and leaders when an emergency change starts, and again when its work "
        "ends without its retrospective review.",
        headline="{reference} needs a retrospective review: {title}",
    ),
    "change_scheduled": Event(
        "Change scheduled",
        "To the school's service desk administrators and the change's implementer when a change is scheduled or "
        "moved: its window, the items it touches and who is affected, so the desk is warned in advance.",
        headline="{reference} scheduled: {title}",
    ),
    "digest": Event(
        "Daily digest",
        "Once a day, to people who chose a digest: their notifications of the last day that have not been e-mailed.",
    ),
}

# The in-app title and e-mail of a safeguarding-flagged record never carry its details (who, what, where).
SAFEGUARDING_TITLE = "Safeguarding concern"
# How far back the daily digest looks.
DIGEST_WINDOW = timedelta(days=1)
# Addresses that are machines, not people: never mailed (no loops with bounces and auto-replies).
MACHINE_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"}
)


# An event nobody has worded yet is still told, as a plain update (and logged, so someone words it).
UPDATE = Event("Update", "Any other event on a record.")


def check_event(event: str) -> Event:
    """The event's description; ValueError for one that is not in EVENTS (the template editor's 404)."""
    if event not in EVENTS:
        raise ValueError(f"Unknown notification event {event!r}.")
    return EVENTS[event]


def event_or_update(event: str) -> tuple[str, Event]:
    """(the wording to use, the event): an unknown event is sent with the generic "update" wording."""
    if event in EVENTS:
        return event, EVENTS[event]
    logger.warning(
        "Notification event %r is not in fits.notifications.EVENTS: sent as a plain update. Add it there, "
        "with a default template in templates/notifications/%s.txt.",
        event,
        event,
    )
    return "update", UPDATE


# =============================================================================
# Placeholders: what a template may use (plain strings, never model instances)
# =============================================================================


@dataclass(frozen=True)
class Placeholder:
    name: str
    description: str
    sample: str = ""


RECORD_PLACEHOLDERS = [
    Placeholder("ticket.reference", "The reference, e.g. INC-000123", "INC-000123"),
    Placeholder("ticket.title", "The summary (hidden for safeguarding concerns)", "Projector in Room 12 is blank"),
    Placeholder("ticket.kind", "incident, service request, problem...", "incident"),
    Placeholder("ticket.status", "Its status now", "Resolved"),
    Placeholder("ticket.priority", "Its priority", "P3 Medium"),
    Placeholder("ticket.url", "The link to it", "https://servicedesk.example.sch.uk/incidents/123/"),
    Placeholder("ticket.reporter", "Who reported it", "Sam Patel"),
    Placeholder("ticket.assignee", "The technician working it, if any", "Alex Jones"),
    Placeholder("ticket.group", "The support group it is with, if any", "ICT team"),
    Placeholder("ticket.resolution", "The resolution, once resolved", "Replaced the HDMI cable behind the desk."),
    Placeholder(
        "note",
        "The reason or update given with this event (on hold, reopen, declined...)",
        "Replaced the HDMI cable behind the desk.",
    ),
    Placeholder("comment.text", "The comment, for a new comment", "Coming to look at break time."),
    Placeholder("actor.name", "Who did it (empty when the system did)", "Alex Jones"),
    Placeholder("person.name", "The person the e-mail is for", "Sam Patel"),
    Placeholder("person.first_name", "Their first name", "Sam"),
    Placeholder("school.name", "The school", "Highfield Primary School"),
    Placeholder("school.support_email", "The school's ICT support address", "ictsupport@highfield.example.sch.uk"),
    Placeholder("school.phone", "The school's phone number", "01204 000000"),
    Placeholder(
        "settings_url",
        "Where the person changes their e-mail settings",
        "https://servicedesk.example.sch.uk/notifications/settings/",
    ),
]

DIGEST_PLACEHOLDERS = [
    Placeholder("person.name", "The person the digest is for", "Sam Patel"),
    Placeholder("person.first_name", "Their first name", "Sam"),
    Placeholder("count", "How many notifications it holds", "2"),
    Placeholder("items", "The notifications: {% for item in items %}...{% endfor %}"),
    Placeholder("items.*.title", "The notification's title", "INC-000123 resolved: Projector shows no picture"),
    Placeholder("items.*.text", "What was said, if anything", "Alex Jones: Replaced the HDMI cable."),
    Placeholder("items.*.url", "The link to the ticket", "https://servicedesk.example.sch.uk/incidents/123/"),
    Placeholder("items.*.when", "When it happened", "Tue 24 Nov, 14:05"),
    Placeholder("items.*.school", "The school", "Highfield Primary School"),
    Placeholder(
        "notifications_url", "All their notifications in the app", "https://servicedesk.example.sch.uk/notifications/"
    ),
    Placeholder(
        "settings_url",
        "Where they change their e-mail settings",
        "https://servicedesk.example.sch.uk/notifications/settings/",
    ),
    Placeholder("school.name", "The school (when every item is from one school)", "Highfield Primary School"),
    Placeholder("school.support_email", "The school's ICT support address", "ictsupport@highfield.example.sch.uk"),
    Placeholder("school.phone", "The school's phone number", "01204 000000"),
]

# A request for change also says when it runs and what it touches (FITS: warn the service desk in advance).
CHANGE_PLACEHOLDERS = [
    *RECORD_PLACEHOLDERS,
    Placeholder("change.window", "When the change is planned to run", "Wed 25 Nov 2026 16:00 to 18:00"),
    Placeholder("change.cis", "The configuration items it changes", "Core switch, File server"),
    Placeholder(
        "change.impact",
        "Who and what it affects, from the CMDB",
        "Affects 12 configuration items, 3 rooms, 1 service (Email); everyone at the school (240 people).",
    ),
]

LISTS = {"items"}  # placeholders that are lists: the only things {% for %} may loop over


def placeholders_for(event: str) -> list[Placeholder]:
    if event == "digest":
        return DIGEST_PLACEHOLDERS
    return CHANGE_PLACEHOLDERS if event.startswith("change_") else RECORD_PLACEHOLDERS


def sample_context(event: str) -> dict[str, Any]:
    """A made-up ticket (or digest) to preview a template with."""
    context: dict[str, Any] = {}
    for placeholder in placeholders_for(event):
        if placeholder.name in LISTS or placeholder.name.startswith("items."):
            continue
        _set_dotted(context, placeholder.name, placeholder.sample)
    if event == "digest":
        example = "https://servicedesk.example.sch.uk/incidents"
        context["items"] = [
            {"title": title, "text": text, "url": f"{example}/{pk}/", "when": when, "school": "Highfield School"}
            for pk, title, text, when in (
                (
                    123,
                    "INC-000123 resolved: Projector shows no picture",
                    "Alex Jones: Replaced the cable.",
                    "Tue 24 Nov, 14:05",
                ),
                (
                    124,
                    "INC-000124 new comment: Printer jams on A3",
                    "Alex Jones: A new drum is on order.",
                    "Tue 24 Nov, 15:40",
                ),
            )
        ]
        context["count"] = "2"
    return context


def _set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


# =============================================================================
# The sandbox: the template engine school-written wording runs in
# =============================================================================

SANDBOX_TAGS = {
    "if": defaulttags.do_if,
    "for": defaulttags.do_for,
    "with": defaulttags.do_with,
    "firstof": defaulttags.firstof,
    "comment": defaulttags.comment,
}
SANDBOX_FILTERS = (
    *("default", "default_if_none", "upper", "lower", "title", "capfirst", "truncatechars", "truncatewords"),
    *("wordwrap", "length", "first", "last", "join", "yesno", "pluralize", "cut"),
)


def _sandbox_engine() -> Engine:
    library = Library()
    for name, compile_function in SANDBOX_TAGS.items():
        library.tag(name, compile_function)
    for name in SANDBOX_FILTERS:
        library.filter(name, defaultfilters.register.filters[name])
    engine = Engine(loaders=[], libraries={}, autoescape=False)
    # No default builtins: no {% load %}, {% include %}, {% extends %}, {% debug %}, {% url %}...
    engine.template_builtins = [library]
    return engine


SANDBOX = _sandbox_engine()


@dataclass(frozen=True)
class Wording:
    """The subject line and body of one event's e-mail, as written (not yet rendered)."""

    subject: str
    body: str
    customised: bool = False


def default_wording(event: str) -> Wording:
    """The wording shipped in templates/notifications/<event>.txt: the first line is the subject."""
    if event != "update":
        check_event(event)
    source = get_template(f"notifications/{event}.txt").template.source
    subject, _, body = source.partition("\n")
    return Wording(subject=subject.strip(), body=body.strip("\n") + "\n")


def wording_for(school_id: int | None, event: str) -> Wording:
    """The school's own wording for `event` if it has one, else the default."""
    if school_id is not None:
        own = NotificationTemplate.objects.filter(school_id=school_id, event=event).first()
        if own is not None:
            return Wording(subject=own.subject, body=own.body, customised=True)
    return default_wording(event)


def check_wording(event: str, *, subject: str, body: str) -> None:
    """Refuse a template that will not compile in the sandbox or uses anything but the placeholders.

    Raises ValidationError with the field ("subject" or "body") and what is wrong, in words.
    """
    allowed = {p.name for p in placeholders_for(event)}
    errors: dict[str, list[str]] = {}
    if "\n" in subject.strip() or "\r" in subject.strip():
        errors["subject"] = ["The subject is one line."]
    for field, source in (("subject", subject), ("body", body)):
        try:
            template = SANDBOX.from_string(source)
        except TemplateSyntaxError as error:
            errors.setdefault(field, []).append(_explain_syntax_error(error))
            continue
        problems: list[str] = []
        _check_nodes(template.nodelist, allowed, {}, problems)
        if problems:
            errors.setdefault(field, []).extend(dict.fromkeys(problems))  # each problem once, in order
    if errors:
        raise ValidationError(errors)


def _explain_syntax_error(error: TemplateSyntaxError) -> str:
    text = str(error)
    if text.startswith("Invalid block tag"):
        tag = text.split("'")[1] if "'" in text else "that tag"
        return (
            f"{{% {tag} %}} cannot be used in notification templates: use placeholders such as "
            f"{{{{ ticket.reference }}}}, {{% if %}} and {{% for %}} only."
        )
    if text.startswith("Invalid filter"):
        return f"{text}. Filters you can use: {', '.join(SANDBOX_FILTERS)}."
    return f"The template cannot be read: {text}"


def _check_nodes(nodes: NodeList, allowed: set[str], local: dict[str, str], problems: list[str]) -> None:
    """Walk the compiled template: every variable must be a placeholder (or a loop/with name bound to one)."""
    for node in nodes:
        if isinstance(node, TextNode | defaulttags.CommentNode):
            continue
        if isinstance(node, VariableNode):
            _check_expression(node.filter_expression, allowed, local, problems)
        elif isinstance(node, defaulttags.IfNode):
            for condition, branch in node.conditions_nodelists:
                _check_condition(condition, allowed, local, problems)
                _check_nodes(branch, allowed, local, problems)
        elif isinstance(node, defaulttags.ForNode):
            sequence = _check_expression(node.sequence, allowed, local, problems)
            if sequence is not None and sequence not in LISTS:
                problems.append(f"{{% for %}} can only go through a list ({', '.join(sorted(LISTS))}), not {sequence}.")
            inner = {**local, "forloop": "forloop"}
            for name in node.loopvars:
                inner[name] = f"{sequence}.*"
            _check_nodes(node.nodelist_loop, allowed, inner, problems)
            _check_nodes(node.nodelist_empty, allowed, local, problems)
        elif isinstance(node, defaulttags.WithNode):
            inner = dict(local)
            for name, expression in node.extra_context.items():
                bound = _check_expression(expression, allowed, local, problems)
                if bound is not None:
                    inner[name] = bound
            _check_nodes(node.nodelist, allowed, inner, problems)
        elif isinstance(node, defaulttags.FirstOfNode):
            for expression in node.vars:
                _check_expression(expression, allowed, local, problems)
        else:
            problems.append(f"{type(node).__name__} cannot be used in notification templates.")


def _check_condition(condition: Any, allowed: set[str], local: dict[str, str], problems: list[str]) -> None:
    if condition is None:  # {% else %}
        return
    if isinstance(getattr(condition, "value", None), FilterExpression):
        _check_expression(condition.value, allowed, local, problems)
        return
    for part in (getattr(condition, "first", None), getattr(condition, "second", None)):
        _check_condition(part, allowed, local, problems)


def _check_expression(
    expression: FilterExpression, allowed: set[str], local: dict[str, str], problems: list[str]
) -> str | None:
    """Check a {{ variable|filter:arg }}; return the placeholder it names, if any."""
    name = _check_variable(expression.var, allowed, local, problems) if expression.is_var else None
    for _function, arguments in expression.filters:
        for is_variable, argument in arguments:
            if is_variable:
                _check_variable(argument, allowed, local, problems)
    return name


def _check_variable(variable: Variable, allowed: set[str], local: dict[str, str], problems: list[str]) -> str | None:
    if variable.lookups is None:  # a number or a quoted string
        return None
    root, *rest = variable.lookups
    if root == "forloop" and "forloop" in local:
        return None
    name = ".".join([local.get(root, root), *rest])
    if name not in allowed:
        shown = ".".join(variable.lookups)
        problems.append(f"{{{{ {shown} }}}} is not a placeholder you can use here.")
        return None
    return name


def render_wording(wording: Wording, context: dict[str, Any]) -> tuple[str, str]:
    """The subject line and plain-text body, rendered in the sandbox (nothing escaped: it is plain text)."""
    subject = SANDBOX.from_string(wording.subject).render(Context(context, autoescape=False))
    body = SANDBOX.from_string(wording.body).render(Context(context, autoescape=False))
    return " ".join(subject.split())[:250], body.strip() + "\n"


def render_checked(event: str, school_id: int | None, context: dict[str, Any]) -> tuple[str, str]:
    """Render the school's wording; if it no longer passes the checks or fails, log it and use the default."""
    wording = wording_for(school_id, event)
    if wording.customised:
        try:
            check_wording(event, subject=wording.subject, body=wording.body)
            return render_wording(wording, context)
        except (ValidationError, TemplateSyntaxError) as error:
            logger.warning(
                "School %s: its %r notification template fails (%s); using the default.", school_id, event, error
            )
    return render_wording(default_wording(event), context)


def html_version(text: str, *, subject: str, action_url: str = "", school_name: str = "") -> str:
    """The HTML alternative of a plain-text e-mail: the text escaped, its links made clickable."""
    body = defaultfilters.linebreaks_filter(defaultfilters.urlize(text, autoescape=True), autoescape=True)
    return render_to_string(
        "notifications/email.html",
        {
            "subject": subject,
            "body": body,
            "action_url": action_url,
            "school_name": school_name,
            "settings_url": settings_url(),
        },
    )


# =============================================================================
# notify(): the one entry point for every process
# =============================================================================


def notify(
    record: models.Model,
    event: str,
    recipients: Iterable[User | None],
    *,
    context: dict[str, Any] | None = None,
    actor: User | None = None,
    email: bool = True,
) -> list[Notification]:
    """Tell `recipients` that `event` happened on `record`: in the app now, by e-mail after commit.

    Call it inside your service's transaction, after the change. Arguments:
    - record: the incident, request, problem... (its school, `reference`, `title`, `get_absolute_url()`
      and, if it has them, status, priority, reporter, assignee, group and resolution fill `ticket.*`);
    - event: a key of EVENTS ("logged", "assigned", "escalated", "major_update", "safeguarding"...);
    - recipients: people (None and duplicates are ignored). The actor never hears of their own act,
      nor does anyone who cannot see the record (it is checked with the record's `visible_to`);
    - context: extra plain values for the wording: "note" (the reason or update text; "text" is taken
      for it too), "comment"
      ({"text": ...}), or "ticket" keys to override. Strings, numbers, lists and dicts only;
    - email=False keeps it in the app (e.g. the change came from an automated message: never
      answer a bounce or an auto-reply by e-mail).

    A safeguarding-flagged record (record.safeguarding) is told without its details: no summary,
    note or comment, in the app and by e-mail alike. Returns the Notification rows created.
    """
    wording, spec = event_or_update(event)
    extra = _plain(context or {})
    if "text" in extra and not extra.get("note"):  # `text` is accepted for `note`
        extra["note"] = extra.pop("text")
    values = record_context(record)
    values.update({**extra, "ticket": {**values["ticket"], **extra.get("ticket", {})}})
    if actor is not None:
        values["actor"] = {"name": str(actor)}
    if event == "safeguarding" or getattr(record, "safeguarding", False):
        values = _redacted(values)
    people = _recipients(record, recipients, actor)
    if not people:
        return []
    ticket = values["ticket"]
    title = spec.headline.format(
        reference=ticket.get("reference", ""), label=spec.label.lower(), title=ticket.get("title", "")
    ).strip(" :")
    text = _summary(values)
    url = _relative_url(record)
    school_id = getattr(record, "school_id", None)
    rows = Notification.objects.bulk_create(
        Notification(recipient=person, school_id=school_id, event=event, title=title[:200], text=text, url=url)
        for person in people
    )
    school = record.school if school_id is not None else None
    to_mail = [row.pk for row, person in zip(rows, people, strict=True) if email and _wants_each(person, school)]
    if to_mail:
        thread = thread_id(record)
        transaction.on_commit(lambda: _queue_emails(to_mail, wording, values, thread), robust=True)
    return rows


def _queue_emails(ids: list[int], event: str, values: dict[str, Any], thread: str) -> None:
    from fits.tasks import notification_email_task

    notification_email_task.delay(ids, event, values, thread)


def record_context(record: models.Model) -> dict[str, Any]:
    """`ticket.*` and `school.*` for a record, as plain strings."""

    def text(name: str) -> str:
        display = getattr(record, f"get_{name}_display", None)
        value = display() if callable(display) else getattr(record, name, "")
        return "" if value is None else str(value)

    ticket = {
        "reference": text("reference"),
        "title": text("title") or str(record),
        "kind": text("kind").lower() or record._meta.verbose_name,
        "status": text("status"),
        "priority": text("priority"),
        "url": f"{settings.FITS_BASE_URL}{_relative_url(record)}",
        "reporter": text("reporter"),
        "assignee": text("assignee"),
        "group": text("group"),
        "resolution": text("resolution"),
    }
    school = getattr(record, "school", None) if getattr(record, "school_id", None) else None
    return {
        "ticket": ticket,
        "school": school_context(school),
        "note": "",
        "comment": {"text": ""},
        "actor": {"name": ""},
    }


def school_context(school: School | None) -> dict[str, str]:
    if school is None:
        return {"name": "", "support_email": "", "phone": ""}
    return {"name": school.name, "support_email": school.support_email, "phone": school.phone}


def _relative_url(record: models.Model) -> str:
    get_url = getattr(record, "get_absolute_url", None)
    return get_url() if callable(get_url) else ""


def _plain(value: Any) -> Any:
    """Only plain values reach a template (and a Celery message): no model instances, no callables."""
    if value is None or isinstance(value, str | int | float | bool):
        return "" if value is None else value
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    raise TypeError(f"Notification context takes plain values (str, int, list, dict), not {type(value).__name__}.")


def _redacted(values: dict[str, Any]) -> dict[str, Any]:
    ticket = {**values["ticket"], "title": SAFEGUARDING_TITLE, "resolution": "", "reporter": ""}
    return {**values, "ticket": ticket, "note": "", "comment": {"text": ""}}


def _summary(values: dict[str, Any]) -> str:
    said = values.get("comment", {}).get("text") or values.get("note") or ""
    said = Truncator(" ".join(str(said).split())).chars(280)
    who = values.get("actor", {}).get("name", "")
    if said and who:
        return f"{who}: {said}"
    return said or (f"By {who}." if who else "")


def _recipients(record: models.Model, recipients: Iterable[User | None], actor: User | None) -> list[User]:
    people: dict[int, User] = {}
    for person in recipients:
        if person is None or not person.is_active or (actor is not None and person.pk == actor.pk):
            continue
        people.setdefault(person.pk, person)
    manager = type(record)._default_manager
    if hasattr(manager, "visible_to"):
        people = {pk: p for pk, p in people.items() if manager.visible_to(p).filter(pk=record.pk).exists()}
    return list(people.values())


def _wants_each(person: User, school: School | None) -> bool:
    return person.email_frequency == EmailFrequency.EACH and is_deliverable(person.email, school)


def is_deliverable(address: str, school: School | None = None) -> bool:
    """A person's address, not a machine's or our own (which would loop)."""
    address = (address or "").strip().lower()
    if "@" not in address:
        return False
    if address.split("@", 1)[0] in MACHINE_LOCAL_PARTS:
        return False
    ours = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), (getattr(school, "support_email", "") or "").lower()}
    return address not in ours


# =============================================================================
# E-mail: one per notification, or one digest a day
# =============================================================================


def thread_id(record: models.Model) -> str:
    """The stem of the record's Message-IDs: fits.{pk} for tickets (incidents and requests, which the
    e-mail intake matches replies by), fits.{app}-{model}.{pk} for other records (never taken for a ticket)."""
    if record._meta.label_lower == "incidents.incident":
        return f"fits.{record.pk}"
    return f"fits.{record._meta.app_label}-{record._meta.model_name}.{record.pk}"


def mail_domain(school: School | None) -> str:
    for address in (getattr(school, "support_email", ""), parseaddr(settings.DEFAULT_FROM_EMAIL)[1]):
        if address and "@" in address:
            return address.rsplit("@", 1)[1].lower()
    return "localhost"


def sender(school: School | None) -> tuple[str, list[str]]:
    """(From, Reply-To) for a school's e-mail: its ICT support address, or DEFAULT_FROM_EMAIL replying to it."""
    if school is None or not school.support_email:
        return settings.DEFAULT_FROM_EMAIL, []
    support = formataddr((f"{school.name} ICT support", school.support_email))
    if settings.FITS_EMAIL_FROM_SCHOOL:
        return support, [school.support_email]
    return settings.DEFAULT_FROM_EMAIL, [support]


def build_message(
    *, to: str, subject: str, text: str, school: School | None, thread: str | None, action_url: str = ""
) -> EmailMultiAlternatives:
    """A notification e-mail: plain text with an HTML alternative, threaded, marked as automatic."""
    domain = mail_domain(school)
    stem = thread or "fits.digest"
    headers = {
        "Message-ID": f"<{stem}.{uuid.uuid4().hex}@{domain}>",
        # RFC 3834: a machine wrote this; auto-replies and vacation messages must not answer it.
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",  # the same, for Exchange and Outlook
    }
    if thread:
        headers["In-Reply-To"] = headers["References"] = f"<{thread}@{domain}>"
    from_email, reply_to = sender(school)
    html = html_version(text, subject=subject, action_url=action_url, school_name=school.name if school else "")
    footer = f"An automatic message from FITS Service Desk. Change how often you get e-mail: {settings_url()}"
    message = EmailMultiAlternatives(
        subject, f"{text.rstrip()}\n\n-- \n{footer}\n", from_email, [to], reply_to=reply_to, headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


def settings_url() -> str:
    return f"{settings.FITS_BASE_URL}{reverse('notifications:settings')}"


def notification_email_send(*, notification_ids: list[int], event: str, context: dict[str, Any], thread: str) -> int:
    """Send the e-mail of each notification whose person wants one per update; returns how many went.

    Each row is claimed first (emailed_at set in one UPDATE that only succeeds while it is still
    unset), then sent; if sending fails the claim is undone and the error raised, so the task is
    retried. A retry, or the same task run twice, finds the rows claimed and sends nothing again.
    """
    sent = 0
    rows = Notification.objects.select_related("recipient", "school").filter(pk__in=notification_ids)
    for notification in rows.order_by("pk"):
        if notification.emailed_at is not None or not _wants_each(notification.recipient, notification.school):
            continue
        now = timezone.now()
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=now)
        if not claimed:  # another run of the task got there first
            continue
        try:
            _send_one(notification, event, context, thread)
        except Exception:
            Notification.objects.filter(pk=notification.pk, emailed_at=now).update(emailed_at=None)
            raise
        sent += 1
    return sent


def _send_one(notification: Notification, event: str, context: dict[str, Any], thread: str) -> None:
    person = notification.recipient
    values = {**context, **personal_context(person)}
    subject, text = render_checked(event, notification.school_id, values)
    subject = with_reference(subject, values.get("ticket", {}).get("reference", ""))
    action_url = values.get("ticket", {}).get("url", "")
    build_message(
        to=person.email, subject=subject, text=text, school=notification.school, thread=thread, action_url=action_url
    ).send()


def with_reference(subject: str, reference: str) -> str:
    """The subject with [INC-000123] in it: the e-mail intake and people's mail filters thread on it."""
    if reference and f"[{reference}]" not in subject:
        return f"[{reference}] {subject}"
    return subject


def personal_context(person: User) -> dict[str, Any]:
    base = settings.FITS_BASE_URL
    return {
        "person": {"name": str(person), "first_name": person.first_name or str(person)},
        "settings_url": settings_url(),
        "notifications_url": f"{base}{reverse('notifications:list')}",
    }


def notification_digest_send(*, now=None) -> int:
    """Send each person who chose the daily digest one e-mail with their un-e-mailed notifications of the
    last day; returns how many digests went. Idempotent: the rows are claimed before the e-mail goes.

    One person's failure does not stop the others; the first error is raised at the end (so the task
    retries, and only the people not yet sent to are tried again).
    """
    now = now or timezone.now()
    since = now - DIGEST_WINDOW
    people = User.objects.filter(
        is_active=True,
        email_frequency=EmailFrequency.DAILY,
        notifications__emailed_at__isnull=True,
        notifications__created_at__gte=since,
    ).distinct()
    sent, errors = 0, []
    for person in people:
        try:
            sent += _send_digest(person, since=since, now=now)
        except Exception as error:  # one mailbox failing must not stop everyone's digest
            logger.exception("The daily digest for %s failed.", person.username)
            errors.append(error)
    if errors:
        raise errors[0]
    return sent


def _send_digest(person: User, *, since, now) -> int:
    if not is_deliverable(person.email):
        return 0
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(of=("self",))
            .select_related("school")
            .filter(recipient=person, emailed_at__isnull=True, created_at__gte=since)
            .order_by("created_at", "pk")
        )
        ids = [row.pk for row in rows]
        claimed = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    if not rows or not claimed:
        return 0
    try:
        schools = {row.school_id for row in rows}
        school = rows[0].school if len(schools) == 1 else None
        base = settings.FITS_BASE_URL
        items = [
            {
                "title": row.title,
                "text": row.text,
                "url": f"{base}{row.url}" if row.url else "",
                "when": timezone.localtime(row.created_at).strftime("%a %d %b, %H:%M"),
                "school": row.school.name if row.school else "",
            }
            for row in rows
        ]
        values = {
            **personal_context(person),
            "items": items,
            "count": str(len(items)),
            "school": school_context(school),
        }
        subject, text = render_checked("digest", school.pk if school else None, values)
        build_message(
            to=person.email,
            subject=subject,
            text=text,
            school=school,
            thread=None,
            action_url=values["notifications_url"],
        ).send()
    except Exception:
        Notification.objects.filter(pk__in=ids, emailed_at=now).update(emailed_at=None)
        raise
    return 1


# =============================================================================
# In-app: reading notifications, and each person's e-mail setting
# =============================================================================


@transaction.atomic
def notification_mark_read(*, notification: Notification, actor: User) -> Notification:
    """The person opened a notification: it no longer counts as unread."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("That notification is someone else's.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the person read; returns how many."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def user_email_frequency_set(*, user: User, frequency: str, actor: User) -> User:
    """How a person hears of their tickets by e-mail: each update, a daily digest, or not at all."""
    if actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied("You can change only your own e-mail settings.")
    if frequency not in EmailFrequency.values:
        raise ValidationError({"email_frequency": "Choose how often you want e-mail."})
    user.email_frequency = frequency
    User.objects.filter(pk=user.pk).update(email_frequency=frequency)
    return user


# =============================================================================
# A school's own wording
# =============================================================================


@transaction.atomic
def notification_template_save(*, school: School, event: str, subject: str, body: str, actor: User):
    """Give the school its own wording for one event's e-mail, checked in the sandbox first."""
    check_event(event)
    access.require(
        access.can_edit_notification_templates,
        actor,
        school,
        "Only the network manager or the service desk change the school's e-mails.",
    )
    subject, body = subject.strip(), body.strip() + "\n"
    if not subject:
        raise ValidationError({"subject": "Write a subject line."})
    if not body.strip():
        raise ValidationError({"body": "Write the text of the e-mail."})
    if len(subject) > 200:
        raise ValidationError({"subject": "Keep the subject under 200 characters."})
    if len(body) > 10_000:
        raise ValidationError({"body": "Keep the e-mail under 10,000 characters."})
    check_wording(event, subject=subject, body=body)
    template, _ = NotificationTemplate.objects.update_or_create(
        school=school, event=event, defaults={"subject": subject, "body": body, "updated_by": actor}
    )
    return template


@transaction.atomic
def notification_template_reset(*, school: School, event: str, actor: User) -> bool:
    """Go back to the default wording for one event; returns whether the school had its own."""
    check_event(event)
    access.require(
        access.can_edit_notification_templates,
        actor,
        school,
        "Only the network manager or the service desk change the school's e-mails.",
    )
    deleted, _ = NotificationTemplate.objects.filter(school=school, event=event).delete()
    return bool(deleted)


def preview(event: str, *, subject: str, body: str, school: School | None) -> dict[str, str]:
    """The wording rendered with a sample ticket: subject, text and HTML (or the error, in words)."""
    try:
        check_wording(event, subject=subject, body=body)
    except ValidationError as error:
        return {"error": " ".join(error.messages)}
    context = sample_context(event)
    if school is not None:
        context["school"] = school_context(school)
    subject_line, text = render_wording(Wording(subject, body), context)
    if event != "digest":
        subject_line = with_reference(subject_line, context["ticket"]["reference"])
    html = html_version(
        text,
        subject=subject_line,
        action_url=context.get("ticket", {}).get("url", ""),
        school_name=school.name if school else "",
    )
    return {"subject": subject_line, "text": text, "html": html}
