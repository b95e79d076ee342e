"""Reads of Service Level Management that pages and the API share (HackSoft's selectors).

Service levels are support staff's business: an ICT user's role opens none of them, so lists narrow
what `visible_to` gives to the schools where the person is support staff (or an LEA consultant).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import dateformat


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


def field_history(
    record: Any, user: Any, *, ignored: frozenset[str] = frozenset({"id", "school", "created_at", "updated_at"})
):
    """Every saved version of `record` (django-simple-history), newest first, with what changed from the one
    before: [{"at", "user", "type", "changes": [(label, old, new)]}]. The versions in one query, then one per kind
    of related record named in the changes; related records are named only where `user` may see them (another
    school's name stays hidden), else "another record"."""
    model = type(record)
    labels = {f.name: str(f.verbose_name).capitalize() for f in model._meta.fields}
    records = list(record.history.select_related("history_user").order_by("-history_date", "-history_id"))
    tracked = [f.name for f in model.history.model.tracked_fields if f.editable and f.name not in ignored]
    status_field = next((f for f in model._meta.fields if f.name == "status" and not f.editable), None)
    entries, related = [], {}
    for newer, older in zip(records, [*records[1:], None], strict=True):
        changes = []
        if older is not None:
            if status_field is not None and newer.status != older.status:  # not editable: diff_against skips it
                labels_of = dict(status_field.flatchoices)
                changes.append(("Status", labels_of.get(older.status), labels_of.get(newer.status)))
            for change in newer.diff_against(older, included_fields=tracked).changes:
                field = model._meta.get_field(change.field)
                old, new = change.old, change.new
                if field.is_relation:
                    related.setdefault(field.related_model, set()).update(v for v in (old, new) if v is not None)
                    old, new = (field.related_model, old), (field.related_model, new)
                elif field.choices:
                    old, new = dict(field.flatchoices).get(old, old), dict(field.flatchoices).get(new, new)
                changes.append((labels.get(change.field, change.field), old, new))
        kind = {"+": "created", "~": "changed", "-": "deleted"}[newer.history_type]
        entries.append({"at": newer.history_date, "user": newer.history_user, "type": kind, "changes": changes})
    names = {}
    for related_model, ids in related.items():
        rows = related_model._default_manager.filter(pk__in=ids)
        if hasattr(rows, "visible_to"):
            rows = rows.visible_to(user)
        names[related_model] = {row.pk: str(row) for row in rows}

    def named(value):
        if isinstance(value, tuple):
            related_model, pk = value
            return None if pk is None else names[related_model].get(pk, "another record")
        if isinstance(value, date):  # as the rest of the page writes dates
            return dateformat.format(value, "j M Y")
        return value

    for entry in entries:
        entry["changes"] = [(label, named(old), named(new)) for label, old, new in entry["changes"]]
    return entries
