"""Writing and reading record timelines (the shared Activity model, DESIGN.md 4.3).

One helper per kind of event, so every process writes its timeline the same way.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from fits.models import Activity, User


def record(
    obj: models.Model,
    *,
    actor: User | None,
    kind: str,
    text: str = "",
    public: bool = True,
    changes: dict[str, Any] | None = None,
) -> Activity:
    """Append one entry to `obj`'s timeline. Call it inside the service's transaction."""
    return Activity.objects.create(
        school_id=obj.school_id,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        kind=kind,
        actor=actor,
        text=text,
        public=public,
        changes=changes or {},
    )


def record_status(obj: models.Model, *, actor: User | None, old: str, new: str, note: str = "") -> Activity:
    return record(obj, actor=actor, kind=Activity.Kind.STATUS, text=note, changes={"status": [old, new]})


def record_comment(obj: models.Model, *, actor: User, text: str, public: bool) -> Activity:
    return record(obj, actor=actor, kind=Activity.Kind.COMMENT, text=text, public=public)


def timeline(obj: models.Model, *, include_internal: bool) -> models.QuerySet[Activity]:
    """The entries of `obj`'s timeline, oldest first; internal notes only when asked for."""
    entries = Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")
    if not include_internal:
        entries = entries.filter(public=True)
    return entries
