"""What the incident page reads, in as few queries as its size allows (issue 11).

- `for_detail`: the ticket with what the page shows of it joined, and whether it has attachments, time
  logged, duplicates, open major incidents to link to (so the parts that have nothing read nothing).
- `form_choices`: the choice lists of the page's forms (support groups, categories, ICT services,
  technicians) in one read, shared by the forms that offer them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast

from fits.attachments import Attachment
from fits.models import TimeEntry, User
from incidents.models import OPEN_STATUSES, Category, Incident, SupportGroup
from servicelevels.models import ITService

#: Joined with the ticket on its page. Read on their own, only when the ticket has one: the ticket it is a
#: part or a duplicate of, and its CI (whose impact the page reads anyway). Each join costs PostgreSQL's
#: planner more than the one before: with 14 tables, planning took longer than all the page's other queries.
DETAIL_RELATED = (
    "school__authority", "reporter", "assignee", "logged_by", "location__parent__parent",
    "group", "category__parent", "service", "agreement",
)  # fmt: skip


def for_detail(incidents: models.QuerySet[Incident], user: Any) -> models.QuerySet[Incident]:
    """The ticket page's query: its relations joined, and flags saying which of its parts have rows at all.

    `has_attachments`, `has_time`, `has_duplicates`, `has_open_majors` (another open major incident at its
    school): the page reads a part only when its flag is set, and then through `visible_to` as before, so
    a flag never shows anything; it only spares the reads of what is not there.
    """
    ticket = models.OuterRef("pk")
    incident_type = ContentType.objects.get_for_model(Incident)
    attached = Attachment.objects.filter(
        content_type=incident_type, object_id=ticket, school_id=models.OuterRef("school_id")
    )
    logged = TimeEntry.objects.filter(content_type=incident_type, object_id=ticket)
    duplicates = Incident.objects.filter(duplicate_of=ticket)
    majors = Incident.objects.filter(
        school_id=models.OuterRef("school_id"), status__in=OPEN_STATUSES, is_major=True
    ).exclude(pk=ticket)
    return incidents.select_related(*DETAIL_RELATED).annotate(
        has_attachments=models.Exists(attached),
        has_time=models.Exists(logged),
        has_duplicates=models.Exists(duplicates),
        has_open_majors=models.Exists(majors),
    )


# =============================================================================
# The forms' choice lists, in one read
# =============================================================================


@dataclass
class FormChoices:
    """Choice lists of the ticket page's forms, each in the order its form would read it.

    The rows carry what the forms' labels show (name, kind, parent's name, security flag; a person's
    names): enough to draw the options, not whole records.
    """

    groups: list[SupportGroup] = field(default_factory=list)  # active, of the ticket's school, by name
    categories: list[Category] = field(default_factory=list)  # by parent's name, then name
    services: list[ITService] = field(default_factory=list)  # by name
    technicians: list[User] = field(default_factory=list)  # by first then last name

    def school_groups(self) -> list[SupportGroup]:
        return [group for group in self.groups if group.kind == SupportGroup.Kind.SCHOOL]

    def external_groups(self, *, besides: int | None) -> list[SupportGroup]:
        """The LEA units and suppliers to escalate to, by kind then name (EscalateForm's order)."""
        external = (SupportGroup.Kind.AUTHORITY, SupportGroup.Kind.SUPPLIER)
        found = [g for g in self.groups if g.kind in external and g.pk != besides]
        return sorted(found, key=lambda group: external.index(group.kind))  # stable: by name within a kind


def _columns(queryset: models.QuerySet, name: str, s1: Any, s2: Any, s3: Any, flag: Any, ref: Any):
    text = models.CharField()
    as_text = {
        key: value if not isinstance(value, str) else models.Value(value, output_field=text)
        for key, value in (("s1", s1), ("s2", s2), ("s3", s3))
    }
    return (
        queryset.order_by()
        .annotate(
            c_list=models.Value(name, output_field=text),
            c_pk=models.F("pk"),
            c_s1=as_text["s1"],
            c_s2=as_text["s2"],
            c_s3=as_text["s3"],
            c_flag=flag if not isinstance(flag, bool) else models.Value(flag, output_field=models.BooleanField()),
            # Typed: an untyped NULL is text in a SELECT DISTINCT (User.objects.technicians_at) on PostgreSQL.
            c_ref=ref if ref is not None else Cast(models.Value(None), models.BigIntegerField()),
        )
        .values_list("c_list", "c_pk", "c_s1", "c_s2", "c_s3", "c_flag", "c_ref")
    )


def form_choices(
    user: Any,
    incident: Incident,
    *,
    groups: bool = False,
    categories: bool = False,
    services: bool = False,
    technicians: bool = False,
) -> FormChoices:
    """The choice lists asked for, read together: the same rows the forms' own querysets would give.

    Support groups: active ones applying at the ticket's school that `user` sees (AssignForm takes the
    school's own teams, EscalateForm the LEA units and suppliers). Categories: CategoryForm's (active or
    the ticket's own, for its kind). ICT services: ServiceForm's (active or the ticket's own).
    Technicians: AssignForm's (User.objects.technicians_at the school).
    """
    school_id, F = incident.school_id, models.F
    parts = []
    if groups:
        rows = SupportGroup.objects.visible_to(user).of_school(school_id).filter(is_active=True)
        parts.append(_columns(rows, "group", F("name"), F("kind"), "", False, None))
    if categories:
        rows = (
            Category.objects.visible_to(user)
            .of_school(school_id)
            .filter(models.Q(is_active=True) | models.Q(pk=incident.category_id or 0))
            .filter(applies_to__in=("", incident.kind))
        )
        parts.append(_columns(rows, "category", F("parent__name"), F("name"), "", F("is_security"), F("parent_id")))
    if services:
        rows = (
            ITService.objects.visible_to(user)
            .of_school(school_id)
            .filter(models.Q(is_active=True) | models.Q(pk=incident.service_id or 0))
        )
        parts.append(_columns(rows, "service", F("name"), "", "", False, None))
    if technicians:
        rows = User.objects.technicians_at(school_id)
        parts.append(_columns(rows, "technician", F("first_name"), F("last_name"), F("username"), False, None))
    found = FormChoices()
    if not parts:
        return found
    # Each list in its form's order: groups, services by name; categories by parent's name, then name;
    # people by first, then last name (s1, s2 are those columns in each part).
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    query = query.order_by("c_list", "c_s1", "c_s2")
    for kind, pk, s1, s2, s3, flag, ref in query:
        if kind == "group":
            found.groups.append(SupportGroup(pk=pk, name=s1, kind=s2))
        elif kind == "category":
            category = Category(pk=pk, name=s2, is_security=flag)
            if ref is not None:
                category.parent = Category(pk=ref, name=s1)
            found.categories.append(category)
        elif kind == "service":
            found.services.append(ITService(pk=pk, name=s1))
        else:
            found.technicians.append(User(pk=pk, first_name=s1, last_name=s2, username=s3))
    return found


def offer(field: forms.ModelChoiceField, rows: list[models.Model]) -> None:
    """Draw `field`'s options from rows already read (as its own queryset would, empty label first).

    Its queryset stays what it was: it is what a submitted value is checked against.
    """
    choices = [(row.pk, field.label_from_instance(row)) for row in rows]
    if field.empty_label is not None:
        choices.insert(0, ("", field.empty_label))
    field.choices = choices
