"""Knowledge (FITS Service Desk): articles for users (self-help) and for technicians."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
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
