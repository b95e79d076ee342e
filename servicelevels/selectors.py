"""Reads of Service Level Management that pages and the API share (HackSoft's selectors).

Service levels are support staff's business: an ICT user's role opens none of them, so lists narrow
what `visible_to` gives to the schools where the person is support staff (or an LEA consultant).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def for_staff(queryset: QuerySet, user: Any) -> QuerySet:
    """`queryset` (already `visible_to(user)`) narrowed to the schools where `user` is support staff."""
    if user.is_superuser:
        return queryset
    path = queryset.model.school_path
    return queryset.filter(**{f"{path}__in": user.staff_school_ids})


def packages_for_staff(queryset: QuerySet, user: Any) -> QuerySet:
    """Support packages (SharedOwned) offered at the schools where `user` is support staff."""
    if user.is_superuser:
        return queryset
    return queryset.filter(queryset._scope(user.staff_school_ids))


def field_history(record: Any, *, ignored: frozenset[str] = frozenset({"id", "school", "created_at", "updated_at"})):
    """Every saved version of `record` (django-simple-history), newest first, with what changed from the one
    before: [{"at", "user", "type", "changes": [(label, old, new)]}]. One query whatever the length; related
    records are named by id only where they changed (their names may be another school's)."""
    model = type(record)
    labels = {f.name: str(f.verbose_name) for f in model._meta.fields}
    records = list(record.history.select_related("history_user").order_by("-history_date", "-history_id"))
    tracked = [f.name for f in model.history.model.tracked_fields if f.editable and f.name not in ignored]
    status_field = next((f for f in model._meta.fields if f.name == "status" and not f.editable), None)
    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        changes = []
        if older is not None:
            if status_field is not None and newer.status != older.status:  # not editable: diff_against skips it
                labels_of = dict(status_field.flatchoices)
                changes.append(("status", labels_of.get(older.status), labels_of.get(newer.status)))
            for change in newer.diff_against(older, included_fields=tracked).changes:
                field = model._meta.get_field(change.field)
                if field.is_relation:
                    changes.append((labels.get(change.field, change.field), "…", "changed"))
                else:
                    old = dict(field.flatchoices).get(change.old, change.old) if field.choices else change.old
                    new = dict(field.flatchoices).get(change.new, change.new) if field.choices else change.new
                    changes.append((labels.get(change.field, change.field), old, new))
        kind = {"+": "created", "~": "changed", "-": "deleted"}[newer.history_type]
        entries.append({"at": newer.history_date, "user": newer.history_user, "type": kind, "changes": changes})
    return entries
