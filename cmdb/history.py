"""Reading a configuration item's field history (django-simple-history): who changed what, when, from what.

The services set the acting person on every save, so each historical row carries its author; this
module turns consecutive rows into readable changes for the CI page and the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cmdb.models import KIND_ATTRIBUTES, ConfigurationItem, Location
from fits.models import User

# Bookkeeping, not details anyone changed.
IGNORED = frozenset({"id", "school", "created_at", "updated_at", "last_inventory_at"})
TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass
class FieldChange:
    field: str  # the model field, or "attributes.<name>"
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    id: int
    at: datetime
    user: User | None
    type: str  # created, changed, deleted
    changes: list[FieldChange] = field(default_factory=list)


def _show(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal | date):
        return str(value)
    return value


def ci_history(ci: ConfigurationItem, user: User) -> list[HistoryEntry]:
    """Every recorded version of `ci`, newest first, each with what changed from the one before.

    Three queries whatever the length: the versions, and the names of the locations and people they name.
    """
    records = list(ci.history.select_related("history_user").order_by("-history_date", "-history_id"))
    tracked = [f.name for f in ConfigurationItem.history.model.tracked_fields if f.editable and f.name not in IGNORED]
    entries, raw = [], []
    for newer, older in zip(records, [*records[1:], None], strict=True):
        entry = HistoryEntry(
            id=newer.history_id, at=newer.history_date, user=newer.history_user, type=TYPES[newer.history_type]
        )
        if older is not None:
            changes = [(c.field, c.old, c.new) for c in newer.diff_against(older, included_fields=tracked).changes]
            if newer.status != older.status:  # not editable, so diff_against leaves it out
                changes.insert(0, ("status", older.status, newer.status))
            raw.append((entry, changes))
        entries.append(entry)
    location_ids, owner_ids = set(), set()
    for _, changes in raw:
        for name, old, new in changes:
            ids = location_ids if name == "location" else owner_ids if name == "owner" else None
            if ids is not None:
                ids.update(v for v in (old, new) if v is not None)
    locations = {}
    if location_ids:
        visible = Location.objects.visible_to(user).filter(pk__in=location_ids).select_related("parent__parent")
        locations = {location.pk: location.path for location in visible}
    people = {person.pk: str(person) for person in User.objects.filter(pk__in=owner_ids)} if owner_ids else {}
    for entry, changes in raw:
        for name, old, new in changes:
            entry.changes += _describe(name, old, new, locations, people)
    return entries


def _describe(name: str, old: Any, new: Any, locations: dict, people: dict) -> list[FieldChange]:
    model_field = ConfigurationItem._meta.get_field(name)
    label = str(model_field.verbose_name).capitalize()
    if name == "attributes":
        old, new = old or {}, new or {}
        labels = {n: a.label for schema in KIND_ATTRIBUTES.values() for n, a in schema.items()}
        return [
            FieldChange(f"attributes.{key}", labels.get(key, key), _show(old.get(key)), _show(new.get(key)))
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        ]
    if name == "location":
        old, new = locations.get(old, old), locations.get(new, new)
    elif name == "owner":
        old, new = people.get(old, old), people.get(new, new)
    elif model_field.choices:
        labels = dict(model_field.flatchoices)
        old, new = labels.get(old, old), labels.get(new, new)
    return [FieldChange(name, label, _show(old), _show(new))]
