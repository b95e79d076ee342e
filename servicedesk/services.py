"""Every operation that changes a knowledge article: write, edit, publish, withdraw.

Field history is kept by django-simple-history; each operation is one transaction that checks
the permission (fits.access.can_write_articles) and, for moves, the transition table.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fits import access
from fits.models import School, User
from servicedesk.models import Audience, KnowledgeArticle

EDITABLE = ("title", "summary", "body", "audience")


def _clean(fields: dict) -> dict:
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in fields.items()}
    if "title" in cleaned and not cleaned["title"]:
        raise ValidationError({"title": "Give the article a title."})
    if "body" in cleaned and not cleaned["body"]:
        raise ValidationError({"body": "Write the article: what to do, step by step."})
    if "audience" in cleaned and cleaned["audience"] not in Audience.values:
        raise ValidationError({"audience": "Choose who the article is for."})
    return cleaned


@transaction.atomic
def article_create(
    *,
    school: School,
    author: User,
    title: str,
    body: str,
    summary: str = "",
    audience: str = Audience.EVERYONE,
    publish: bool = False,
) -> KnowledgeArticle:
    """Write a knowledge article at a school (FITS Service Desk: the knowledge base). It starts as a draft."""
    access.require(access.can_write_articles, author, school, "You cannot write knowledge articles at this school.")
    fields = _clean({"title": title, "summary": summary, "body": body, "audience": audience})
    article = KnowledgeArticle.objects.create(school=school, author=author, **fields)
    if publish:
        article = article_transition(article=article, action="publish", actor=author)
    return article


def _locked(article: KnowledgeArticle) -> KnowledgeArticle:
    return KnowledgeArticle.objects.select_for_update().get(pk=article.pk)


@transaction.atomic
def article_update(*, article: KnowledgeArticle, actor: User, **fields) -> KnowledgeArticle:
    """Edit an article's words or audience; its status moves only by article_transition."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    article = _locked(article)
    access.require(access.can_write_articles, actor, article, "You cannot edit this article.")
    changed = [name for name, value in _clean(fields).items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, _clean({name: fields[name]})[name])
    if changed:
        article.save(update_fields=[*changed, "updated_at"])
    return article


@transaction.atomic
def article_transition(*, article: KnowledgeArticle, action: str, actor: User) -> KnowledgeArticle:
    """Publish an article (readers of its audience find it) or withdraw it, by KnowledgeArticle.WORKFLOW."""
    article = _locked(article)
    transition = KnowledgeArticle.WORKFLOW.check_action(article.status, action)
    access.require(transition.permission, actor, article, f"You cannot {transition.label.lower()} this article.")
    article.status = transition.target
    fields = ["status", "updated_at"]
    if action == "publish":
        article.published_at = timezone.now()
        fields.append("published_at")
    article.save(update_fields=fields)
    return article
