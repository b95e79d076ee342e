"""Knowledge (FITS Service Desk): articles for users (self-help) and for technicians."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.models import ActivityQuerySet
from fits.scoping import SchoolOwned, SchoolScopedQuerySet
from fits.workflow import Transition, Workflow


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Everyone"
    STAFF = "staff", "Support staff only"


def search_words(text: str) -> list[str]:
    """The words of a search, without punctuation (so nothing reaches a tsquery but letters and digits)."""
    return re.findall(r"\w+", text or "")[:12]


class KnowledgeArticleQuerySet(SchoolScopedQuerySet):
    def visible_to(self, user: Any) -> KnowledgeArticleQuerySet:
        """Support staff see all their schools' articles; ICT users only the published ones for everyone."""
        visible = super().visible_to(user)
        if not user.is_authenticated or user.is_superuser:
            return visible
        for_users = models.Q(status=ArticleStatus.PUBLISHED, audience=Audience.EVERYONE)
        return visible.filter(models.Q(school_id__in=user.staff_school_ids) | for_users)

    def published(self) -> KnowledgeArticleQuerySet:
        return self.filter(status=ArticleStatus.PUBLISHED)

    def for_list(self) -> KnowledgeArticleQuerySet:
        return self.select_related("school", "author")

    def search(self, text: str, *, every_word: bool = True) -> KnowledgeArticleQuerySet:
        """Articles matching `text`, best first.

        PostgreSQL: full-text search (English stemming, prefix matching for words still being typed),
        ranked title > summary > body. Elsewhere (SQLite): each word contained in the title, summary or
        body, most matching words first. `every_word=False` finds articles with any of the words (the
        self-help suggestions, where the user describes the fault in their own words).
        """
        words = search_words(text)
        if not every_word:  # short words ("re", "in") would match half the articles
            words = [word for word in words if len(word) > 2]
        if not words:
            return self.none()
        if connection.vendor == "postgresql":
            from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

            vector = (
                SearchVector("title", weight="A", config="english")
                + SearchVector("summary", weight="B", config="english")
                + SearchVector("body", weight="C", config="english")
            )
            joiner = " & " if every_word else " | "
            query = SearchQuery(joiner.join(f"{word}:*" for word in words), config="english", search_type="raw")
            return (
                self.annotate(document=vector, rank=SearchRank(vector, query))
                .filter(document=query)
                .order_by("-rank", "-updated_at")
            )
        matches = [
            models.Q(title__icontains=word) | models.Q(summary__icontains=word) | models.Q(body__icontains=word)
            for word in words
        ]
        combined = matches[0]
        for match in matches[1:]:
            combined = combined & match if every_word else combined | match
        score = sum(
            (
                models.Case(models.When(match, then=1), default=0, output_field=models.IntegerField())
                for match in matches
            ),
            models.Value(0),
        )
        return self.filter(combined).annotate(rank=score).order_by("-rank", "-updated_at")


class KnowledgeArticle(SchoolOwned):
    """A knowledge article: how to fix or work around something, for users (self-help) or for technicians."""

    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True, help_text="One or two sentences: what it solves.")
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.EVERYONE)
    status = models.CharField(max_length=20, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="knowledge_articles", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = KnowledgeArticleQuerySet.as_manager()

    WORKFLOW = Workflow(
        ArticleStatus,
        [
            Transition(
                "publish",
                "Publish",
                (ArticleStatus.DRAFT, ArticleStatus.WITHDRAWN),
                ArticleStatus.PUBLISHED,
                access.can_write_articles,
                style="success",
                help="Readers of its audience can find it, and users see it while they log an incident.",
            ),
            Transition(
                "withdraw",
                "Withdraw",
                (ArticleStatus.PUBLISHED,),
                ArticleStatus.WITHDRAWN,
                access.can_write_articles,
                help="Out of date or wrong: hidden from users until published again.",
            ),
        ],
    )

    class Meta:
        ordering = ["title"]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("knowledge_detail", kwargs={"pk": self.pk})

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


# =============================================================================
# Service catalogue and requests
# =============================================================================


class FieldType(models.TextChoices):
    """The kinds of question a request form can ask."""

    TEXT = "text", "Short text"
    TEXTAREA = "textarea", "Paragraph"
    CHOICE = "choice", "Choice from a list"
    DATE = "date", "Date"
    NUMBER = "number", "Number"
    YES_NO = "yes_no", "Yes or no"
    EMAIL = "email", "E-mail address"


class Approver(models.TextChoices):
    """Who approves a request type that needs approval (at the request's school)."""

    SCHOOL_LEADER = "school_leader", "A school leader"
    NETWORK_MANAGER = "network_manager", "The network manager"


class RequestTypeQuerySet(SchoolScopedQuerySet):
    def visible_to(self, user: Any) -> RequestTypeQuerySet:
        """Support staff see their schools' whole catalogue; ICT users the items on offer to them
        (active, and not for support staff only)."""
        visible = super().visible_to(user)
        if not user.is_authenticated or user.is_superuser:
            return visible
        offered = models.Q(is_active=True, staff_only=False)
        return visible.filter(models.Q(school_id__in=user.staff_school_ids) | offered)

    def active(self) -> RequestTypeQuerySet:
        return self.filter(is_active=True)

    def for_list(self) -> RequestTypeQuerySet:
        return self.select_related("school", "category", "category__parent")

    def search(self, text: str) -> RequestTypeQuerySet:
        """Items whose name or summary contains every word of `text`."""
        matching = self
        for word in search_words(text):
            matching = matching.filter(models.Q(name__icontains=word) | models.Q(summary__icontains=word))
        return matching


class RequestType(SchoolOwned):
    """An item in the school's service catalogue that users can request (a new starter account,
    a software install, an equipment loan, a room set up for an event).

    `fields` lists the questions its form asks, each {"name", "label", "type" (FieldType),
    "required", "choices" (for a choice), "help"}; `tasks` lists the fulfilment tasks each
    request starts with, each {"title", "group" (a support group id, optional)}.
    """

    name = models.CharField(max_length=100)
    summary = models.CharField(max_length=300, help_text="What the user gets, in one sentence.")
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.SET_NULL, null=True, blank=True, related_name="request_types"
    )
    fields = models.JSONField("form fields", default=list, blank=True)
    tasks = models.JSONField("fulfilment tasks", default=list, blank=True)
    needs_approval = models.BooleanField(default=False)
    approver = models.CharField(max_length=20, choices=Approver.choices, blank=True)
    response_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="Target for the first response, in school hours."
    )
    fulfil_days = models.PositiveIntegerField(null=True, blank=True, help_text="Target to fulfil, in school days.")
    staff_only = models.BooleanField(
        default=False, help_text="Only support staff can request it (e.g. a new starter account)."
    )
    handler = models.CharField(
        "carried out by",
        max_length=40,
        blank=True,
        help_text="An operations function that carries the request out itself (servicedesk/handlers.py).",
    )
    is_active = models.BooleanField(default=True)

    objects = RequestTypeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="request_type_name_unique")]

    def __str__(self) -> str:
        return self.name


class TicketPartQuerySet(SchoolScopedQuerySet):
    """Rows that belong to a ticket (its request, tasks, approvals): seen by whoever sees the ticket,
    so an ICT user sees those of their own requests only (incidents' visible_to decides)."""

    def visible_to(self, user: Any) -> TicketPartQuerySet:
        from incidents.models import Incident

        visible = super().visible_to(user)
        if not user.is_authenticated or user.is_superuser:
            return visible
        return visible.filter(ticket__in=Incident.objects.visible_to(user).values("pk"))


class ServiceRequestQuerySet(TicketPartQuerySet):
    def for_list(self) -> ServiceRequestQuerySet:
        """What every list of requests shows, in a fixed number of queries."""
        tasks = FulfilmentTask.objects.select_related("assignee", "done_by").order_by("position", "pk")
        approvals = Approval.objects.select_related("approver").order_by("created_at", "pk")
        return self.select_related(
            "school", "request_type", "ticket", "ticket__reporter", "ticket__assignee"
        ).prefetch_related(
            models.Prefetch("ticket__tasks", queryset=tasks), models.Prefetch("ticket__approvals", queryset=approvals)
        )

    def awaiting_decision_by(self, user: Any) -> ServiceRequestQuerySet:
        """Requests waiting for `user`'s approval: at the schools where they hold the role their type
        names (an administrator: all of them), never their own."""
        from incidents.models import Status

        waiting = self.filter(ticket__status=Status.PENDING_APPROVAL)
        if not user.is_authenticated:
            return waiting.none()
        waiting = waiting.exclude(ticket__reporter=user)
        if user.is_superuser:
            return waiting
        mine = models.Q(pk__in=[])
        for school_id, roles in user.school_roles.items():
            for role in roles & set(Approver.values):
                mine |= models.Q(school_id=school_id, request_type__approver=role)
        return waiting.filter(mine)


class ServiceRequest(SchoolOwned):
    """The catalogue side of a ticket of kind "request": what was asked for, and the form's answers.

    The ticket itself (reference, status, assignment, timeline) is an incidents.Incident of kind
    request, so the desk works incidents and requests in one queue with one lifecycle.
    """

    ticket = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="service_request")
    request_type = models.ForeignKey(RequestType, on_delete=models.PROTECT, related_name="requests")
    answers = models.JSONField(default=dict, blank=True)

    objects = ServiceRequestQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.request_type}: {self.ticket_id}"

    def get_absolute_url(self) -> str:
        return self.ticket.get_absolute_url()


class FulfilmentTask(SchoolOwned):
    """One step of fulfilling a service request (create the account, image the laptop, deliver it)."""

    ticket = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    group = models.ForeignKey(
        "incidents.SupportGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="fulfilment_tasks"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = TicketPartQuerySet.as_manager()

    class Meta:
        ordering = ["ticket", "position", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class Approval(SchoolOwned):
    """A decision asked of a person about a service request (approve or decline, with a comment)."""

    class Decision(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    ticket = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = TicketPartQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.get_decision_display()}"


# =============================================================================
# E-mail intake
# =============================================================================


class UnknownSenderPolicy(models.TextChoices):
    """What the desk does with mail from an address that matches nobody at the school."""

    HOLD = "hold", "Hold for the desk to accept or discard"
    CREATE_USER = "create_user", "Create an ICT user for the sender and log the ticket"
    REJECT = "reject", "Keep the message but log nothing"


class Mailbox(SchoolOwned):
    """The school's support mailbox (School.support_email), polled over IMAP (settings per school)."""

    class Security(models.TextChoices):
        SSL = "ssl", "SSL/TLS (port 993)"
        STARTTLS = "starttls", "STARTTLS (port 143)"
        NONE = "none", "None (loopback or a trusted network only)"

    host = models.CharField("IMAP server", max_length=200)
    port = models.PositiveIntegerField(default=993)
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.SSL)
    username = models.CharField(max_length=200)
    password = models.CharField(max_length=200)
    folder = models.CharField(max_length=100, default="INBOX")
    unknown_senders = models.CharField(
        max_length=20, choices=UnknownSenderPolicy.choices, default=UnknownSenderPolicy.HOLD
    )
    is_active = models.BooleanField("poll this mailbox", default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school"], name="mailbox_one_per_school")]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return f"{self.username}@{self.host}"


class InboundMessage(SchoolOwned):
    """One e-mail message received for a school, kept raw whatever became of it."""

    class Outcome(models.TextChoices):
        RECEIVED = "received", "Received"
        CREATED = "created", "Opened a ticket"
        COMMENTED = "commented", "Added to a ticket"
        AUTO_REPLY = "auto_reply", "Ignored: auto-reply or bounce"
        HELD = "held", "Held: unknown sender"
        REJECTED = "rejected", "Rejected: unknown sender"
        DISCARDED = "discarded", "Discarded by the desk"
        DUPLICATE = "duplicate", "Ignored: already received"
        FAILED = "failed", "Could not be read"

    class Source(models.TextChoices):
        IMAP = "imap", "IMAP mailbox"
        PIPE = "pipe", "Mail server pipe"
        UPLOAD = "upload", "Uploaded"

    source = models.CharField(max_length=10, choices=Source.choices)
    raw = models.BinaryField(help_text="The message exactly as received (RFC 822).")
    message_id = models.CharField(max_length=500, blank=True, db_index=True)
    sender = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RECEIVED)
    error = models.TextField(blank=True)
    ticket = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_messages"
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["school", "outcome", "received_at"], name="inbound_outcome_idx")]

    def __str__(self) -> str:
        return self.subject or self.message_id or f"message {self.pk}"


# =============================================================================
# The workbench's saved filters
# =============================================================================


class SavedFilterQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> SavedFilterQuerySet:
        """A person's saved filters are theirs alone."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)


class SavedFilter(models.Model):
    """A named workbench queue a technician built: the query string of the filters they chose."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, help_text="The filters, as the workbench's query string.")
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedFilterQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_name_unique")]

    def __str__(self) -> str:
        return self.name
