"""The one scoping rule (DESIGN.md 4.2): a school's records answer only to people with a role there.

Every school-owned model inherits `SchoolOwned`; its default manager is built on
`SchoolScopedQuerySet`, whose `visible_to(user)` is where pages, API viewsets, exports and the
admin start. Child rows that reach their school through a parent set `school_path`
(e.g. "incident__school"). A system check (fits.E001) refuses a model with a `school_path`
whose default manager cannot scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from fits.models import User


class SchoolScopedQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what a user may see."""

    # Records for support staff only (the CMDB, timelines in bulk): an ICT user's role does not open them.
    staff_only = False

    def visible_to(self, user: User | Any) -> SchoolScopedQuerySet:
        """Rows of the schools where `user` holds a role, directly or through an authority."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        school_ids = user.staff_school_ids if self.staff_only else user.visible_school_ids
        return self.filter(**{f"{self.model.school_path}__in": school_ids})

    def of_school(self, school_id: int | None) -> SchoolScopedQuerySet:
        """Narrow to one school (the school switcher), or leave as is for "all my schools"."""
        if school_id is None:
            return self
        return self.filter(**{self.model.school_path: school_id})


SchoolScopedManager = models.Manager.from_queryset(SchoolScopedQuerySet)


class SchoolOwned(models.Model):
    """Base of every record that belongs to a school."""

    school = models.ForeignKey("fits.School", on_delete=models.PROTECT, related_name="+")

    school_path = "school"

    objects = SchoolScopedManager()

    class Meta:
        abstract = True


class SharedScopedQuerySet(SchoolScopedQuerySet):
    """Rows a school owns, rows its authority shares with all its schools, and rows shared by all.

    For configuration that an authority sets once for its schools and a school may add to:
    categories, support groups (the LEA support unit works for every school of its authority).
    """

    def _scope(self, school_ids) -> models.Q:
        from fits.models import School

        authorities = School.objects.filter(pk__in=school_ids).values("authority_id")
        return (
            models.Q(school_id__in=school_ids)
            | models.Q(school__isnull=True, authority_id__in=authorities)
            | models.Q(school__isnull=True, authority__isnull=True)
        )

    def visible_to(self, user: User | Any) -> SharedScopedQuerySet:
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(self._scope(user.staff_school_ids if self.staff_only else user.visible_school_ids))

    def of_school(self, school_id: int | None) -> SharedScopedQuerySet:
        """What applies at one school: its own rows, its authority's and the shared ones."""
        if school_id is None:
            return self
        return self.filter(self._scope([school_id]))


class SharedOwned(models.Model):
    """Base of configuration owned by a school, by an authority for all its schools, or by nobody (all)."""

    school = models.ForeignKey(
        "fits.School",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Leave empty to share with every school of the authority.",
    )
    authority = models.ForeignKey(
        "fits.Authority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Leave both empty to share with every school.",
    )

    school_path = "school"

    objects = models.Manager.from_queryset(SharedScopedQuerySet)()

    class Meta:
        abstract = True

    @property
    def scope_label(self) -> str:
        return str(self.school or self.authority or "All schools")

    def applies_at(self, school) -> bool:
        """Whether this row is in force at `school` (its own, its authority's or everyone's)."""
        if self.school_id is not None:
            return self.school_id == school.pk
        return self.authority_id is None or self.authority_id == school.authority_id


def ensure_same_school(record: models.Model, *related: models.Model | None) -> None:
    """Refuse to link records of two schools (an incident to another school's CI, say)."""
    for other in related:
        if other is not None and getattr(other, "school_id", None) != record.school_id:
            raise ValidationError(f"{other} belongs to another school.")


def schools_visible_to(user: User | Any) -> models.QuerySet:
    """The active schools where `user` holds a role, directly or through an authority."""
    from fits.models import School

    if user is None or not user.is_authenticated:
        return School.objects.none()
    schools = School.objects.filter(is_active=True)
    return schools if user.is_superuser else schools.filter(pk__in=user.visible_school_ids)


def people_visible_to(user: User | Any) -> models.QuerySet:
    """The people with a role at any school `user` can see (for assignee and reporter choices)."""
    from fits.models import User

    if user is None or not user.is_authenticated:
        return User.objects.none()
    people = User.objects.filter(is_system_account=False)  # the product's own account is nobody's choice
    if user.is_superuser:
        return people
    school_ids = user.visible_school_ids
    return people.filter(
        models.Q(membership__school__in=school_ids) | models.Q(authorityrole__authority__schools__in=school_ids)
    ).distinct()


def scope_choices(queryset: models.QuerySet, user: User | Any) -> models.QuerySet:
    """Narrow a related field's choices to what `user` may see: school-owned rows, schools, people.

    Forms (fits.forms) and serializers (fits.api) run every related field through this, so nobody
    can pick another school's record, or even learn that it exists.
    """
    from fits.models import School
    from fits.models import User as Person

    if isinstance(queryset, SchoolScopedQuerySet):
        return queryset.visible_to(user)
    if queryset.model is School:
        return queryset.filter(pk__in=schools_visible_to(user).values("pk"))
    if queryset.model is Person:
        return queryset.filter(pk__in=people_visible_to(user).values("pk"))
    return queryset
