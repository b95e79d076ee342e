"""Freeze windows and maintenance windows: when changes may not run, and when standard changes may.

FITS: plan changes around the school timetable, exams and holidays. A school's network manager keeps the
school's own windows; an authority's consultants keep the windows shared by all its schools (exam seasons,
the start of term); windows for every school are an administrator's. These are configuration rows: no
timeline, but every refusal says what is wrong and where.
"""

from __future__ import annotations

from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import transaction

from changes.models import FreezeWindow, MaintenanceWindow
from fits import access
from fits.models import Authority, School, User


def _owner(*, school: School | None, authority: Authority | None) -> tuple[School | None, Authority | None]:
    if school is not None and authority is not None:
        raise ValidationError("A window belongs to a school or to an authority (for all its schools), not both.")
    return school, authority


def _scope_name(school: School | None, authority: Authority | None) -> str:
    return str(school or authority or "every school")


def _require(actor: User, row, what: str) -> None:
    where = _scope_name(row.school, row.authority) if (row.school_id or row.authority_id) else "every school"
    access.require(
        access.can_manage_change_config,
        actor,
        row,
        f"You cannot change the {what} of {where}: the school's network manager keeps its own, "
        "the authority's consultants keep those shared by its schools.",
    )


def _same_scope(queryset, row):
    return queryset.filter(school_id=row.school_id, authority_id=row.authority_id)


# =============================================================================
# Freeze windows
# =============================================================================


def _clean_freeze(freeze: FreezeWindow) -> None:
    freeze.name = (freeze.name or "").strip()
    if not freeze.name:
        raise ValidationError({"name": "Give the freeze a name (e.g. “Summer exams”)."})
    if len(freeze.name) > 150:
        raise ValidationError({"name": "Keep the name to 150 characters."})
    if freeze.kind not in FreezeWindow.Kind.values:
        raise ValidationError({"kind": "Choose exams, an inspection, the start of term or other."})
    if not isinstance(freeze.starts, date) or not isinstance(freeze.ends, date):
        raise ValidationError({"starts": "Give the first and the last day of the freeze."})
    if freeze.ends < freeze.starts:
        raise ValidationError(
            {"ends": f"The freeze ends ({freeze.ends:%d %b %Y}) before it starts ({freeze.starts:%d %b %Y})."}
        )
    clash = (
        _same_scope(FreezeWindow.objects.all(), freeze)
        .filter(name__iexact=freeze.name, starts__lte=freeze.ends, ends__gte=freeze.starts)
        .exclude(pk=freeze.pk)
        .first()
    )
    if clash is not None:
        where = _scope_name(freeze.school, freeze.authority)
        raise ValidationError(
            {
                "name": f"{where} already has a freeze called “{clash.name}” over those dates ({clash.dates}): "
                "change that one, or give this one another name."
            }
        )


@transaction.atomic
def freeze_window_create(
    *,
    actor: User,
    name: str,
    starts: date,
    ends: date,
    kind: str = FreezeWindow.Kind.EXAMS,
    school: School | None = None,
    authority: Authority | None = None,
) -> FreezeWindow:
    """Add a freeze window: days when no normal or standard change may be scheduled (exams, an inspection)."""
    school, authority = _owner(school=school, authority=authority)
    freeze = FreezeWindow(school=school, authority=authority, name=name, kind=kind, starts=starts, ends=ends)
    _require(actor, freeze, "freeze windows")
    _clean_freeze(freeze)
    freeze.save()
    return freeze


@transaction.atomic
def freeze_window_update(
    *, freeze: FreezeWindow, actor: User, name: str, starts: date, ends: date, kind: str
) -> FreezeWindow:
    """Change a freeze window's name, kind or dates (not whose it is). Changes already scheduled stay as they are."""
    freeze = (
        FreezeWindow.objects.select_for_update(of=("self",)).select_related("school", "authority").get(pk=freeze.pk)
    )
    _require(actor, freeze, "freeze windows")
    freeze.name, freeze.kind, freeze.starts, freeze.ends = name, kind, starts, ends
    _clean_freeze(freeze)
    freeze.save()
    return freeze


@transaction.atomic
def freeze_window_delete(*, freeze: FreezeWindow, actor: User) -> None:
    """Remove a freeze window (a cancelled inspection)."""
    _require(actor, freeze, "freeze windows")
    freeze.delete()


# =============================================================================
# Maintenance windows
# =============================================================================


def _clean_maintenance(window: MaintenanceWindow) -> None:
    window.name = (window.name or "").strip()
    if len(window.name) > 150:
        raise ValidationError({"name": "Keep the name to 150 characters."})
    if window.weekday not in MaintenanceWindow.Weekday.values:
        raise ValidationError({"weekday": "Choose the day of the week."})
    if not isinstance(window.opens, time) or not isinstance(window.closes, time):
        raise ValidationError({"opens": "Give the time the window opens and the time it closes."})
    if window.closes <= window.opens:
        raise ValidationError(
            {"closes": f"The window closes ({window.closes:%H:%M}) before it opens ({window.opens:%H:%M})."}
        )
    clash = (
        _same_scope(MaintenanceWindow.objects.all(), window)
        .filter(weekday=window.weekday, opens__lt=window.closes, closes__gt=window.opens)
        .exclude(pk=window.pk)
        .first()
    )
    if clash is not None:
        where = _scope_name(window.school, window.authority)
        raise ValidationError(
            {"opens": f"{where} already has a maintenance window then ({clash}): change that one instead."}
        )


@transaction.atomic
def maintenance_window_create(
    *,
    actor: User,
    weekday: int,
    opens: time,
    closes: time,
    name: str = "",
    school: School | None = None,
    authority: Authority | None = None,
) -> MaintenanceWindow:
    """Add a weekly maintenance window: when standard changes may run (e.g. Wednesdays 16:00-18:00)."""
    school, authority = _owner(school=school, authority=authority)
    window = MaintenanceWindow(
        school=school, authority=authority, name=name, weekday=weekday, opens=opens, closes=closes
    )
    _require(actor, window, "maintenance windows")
    _clean_maintenance(window)
    window.save()
    return window


@transaction.atomic
def maintenance_window_update(
    *, window: MaintenanceWindow, actor: User, weekday: int, opens: time, closes: time, name: str = ""
) -> MaintenanceWindow:
    """Move a maintenance window. Changes already scheduled stay as they are."""
    window = (
        MaintenanceWindow.objects.select_for_update(of=("self",))
        .select_related("school", "authority")
        .get(pk=window.pk)
    )
    _require(actor, window, "maintenance windows")
    window.name, window.weekday, window.opens, window.closes = name, weekday, opens, closes
    _clean_maintenance(window)
    window.save()
    return window


@transaction.atomic
def maintenance_window_delete(*, window: MaintenanceWindow, actor: User) -> None:
    """Remove a maintenance window."""
    _require(actor, window, "maintenance windows")
    window.delete()
