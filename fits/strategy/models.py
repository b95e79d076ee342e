"""The school's ICT strategy and technical support strategy (FITS OM appendix), in versions with sign-offs.

- `StrategyDocument`: one of each kind per school, with the versions it has had.
- `StrategyVersion`: a numbered version of the document: its sections, draft and review dates, sign-offs. A draft is
  edited freely; it is approved when the head teacher, the local authority adviser, the ICT co-ordinator and the
  network manager have all signed it, and its live facts are frozen into it then. An approved version is never
  edited: editing the document starts the next draft, and the approved one stays in force (read-only) until that
  draft is approved in turn, when it is superseded.
- `StrategySection`: one heading of one version: its guidance, its text (Markdown) and the live facts it shows.
- `SignOff`: who signed a version, in which capacity, when.

The documents are support staff's, leaders' and the LEA's reading (staff only): an ICT user's role does not open
them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits.scoping import SchoolOwned, SchoolScopedQuerySet


class StrategyQuerySet(SchoolScopedQuerySet):
    """Strategy records are for support staff, leaders and the LEA's consultants, not for ICT users."""

    staff_only = True


class DocumentKind(models.TextChoices):
    ICT = "ict", "ICT strategy"
    SUPPORT = "support", "Technical support strategy"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class Capacity(models.TextChoices):
    """The four capacities in which a strategy is signed off (FITS OM appendix)."""

    HEAD = "head", "Head teacher"
    LA_ADVISER = "la_adviser", "Local authority adviser"
    ICT_COORDINATOR = "ict_coordinator", "ICT co-ordinator"
    NETWORK_MANAGER = "network_manager", "Network manager"


class StrategyDocument(SchoolOwned):
    """A school's ICT strategy or technical support strategy: one of each kind, in numbered versions."""

    kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StrategyQuerySet.as_manager()

    class Meta:
        ordering = ["school__name", "kind"]
        constraints = [models.UniqueConstraint(fields=["school", "kind"], name="strategy_document_unique")]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def title(self) -> str:
        return f"{self.get_kind_display()} of {self.school.name}" if self.school_id else self.get_kind_display()

    def get_absolute_url(self) -> str:
        return reverse("strategy:document", args=[self.pk])


class StrategyVersion(SchoolOwned):
    """One version of a document: draft, approved (all four signed; in force) or superseded by a later approval."""

    document = models.ForeignKey(StrategyDocument, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT, editable=False)
    draft_date = models.DateField(help_text="When this draft was written.")
    review_date = models.DateField(help_text="When the strategy is next reviewed; the network manager is told then.")
    facts = models.JSONField(default=dict, blank=True, editable=False, help_text="The live facts, frozen at approval.")
    facts_as_of = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StrategyQuerySet.as_manager()

    class Meta:
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="strategy_version_unique")]
        indexes = [models.Index(fields=["status", "review_date"], name="strategy_version_review_idx")]

    def __str__(self) -> str:
        return f"Version {self.number}"

    def get_absolute_url(self) -> str:
        return reverse("strategy:version", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == VersionStatus.DRAFT


class StrategySection(SchoolOwned):
    """One heading of one version: the guidance it was written to, its text (Markdown), the live facts it shows."""

    version = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=150)
    guidance = models.TextField(blank=True)
    text = models.TextField(blank=True, help_text="Markdown: paragraphs, lists, **bold**, *italic*, headings, links.")
    fact_keys = models.JSONField(default=list, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = StrategyQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="strategy_section_unique")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{self.version.get_absolute_url()}#section-{self.key}"


class SignOff(SchoolOwned):
    """A signature on a version: the person, the capacity they signed in, when."""

    version = models.ForeignKey(StrategyVersion, on_delete=models.CASCADE, related_name="signoffs")
    capacity = models.CharField(max_length=20, choices=Capacity.choices)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)
    comment = models.CharField(max_length=300, blank=True)

    objects = StrategyQuerySet.as_manager()

    class Meta:
        ordering = ["version", "signed_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "capacity"], name="strategy_signoff_unique")]

    def __str__(self) -> str:
        return f"{self.person} as {self.get_capacity_display()}"
