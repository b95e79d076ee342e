"""The one scoping rule (DESIGN.md 4.2): a school's records answer only to people with a role there.

Every school-owned model inherits `SchoolOwned`; its default manager is built on
`SchoolScopedQuerySet`, whose `visible_to(user)` is where pages, API viewsets, exports and the
admin start. Child rows that reach their school through a parent set `school_path`
(e.g. "incident__school"). A system check (fits.E001) refuses a model with a `school_path`
whose default manager cannot scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import models
from django.db.models.lookups import Lookup

if TYPE_CHECKING:
    from fits.models import User


class OneOfIds(Lookup):
    """`column IN (ids)`, the ids sent to PostgreSQL as one array: `column = ANY('{1,2,...}'::bigint[])`.

    PostgreSQL reads an IN list of two or more values as that very array, so the rows and the plan are the
    same; but `__in` has Django prepare, and psycopg quote, each value on every query, which for a consultant's
    500 schools cost about 3 ms a query, several times a page. Other databases get the plain IN list.
    """

    lookup_name = "one_of_ids"

    def get_prep_lookup(self) -> list[int]:
        return [int(pk) for pk in self.rhs]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet  # nothing matches, as `__in=[]`
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*params, *self.rhs)

    def as_postgresql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs, params = self.process_lhs(compiler, connection)
        # The array's text, written here: psycopg's list dumper tests every element with a regular expression.
        ids = "{" + ",".join(map(str, self.rhs)) + "}"
        return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", (*params, ids)


def among(path: str, ids: Any) -> models.Q:
    """`Q(<path>__in=ids)` for a list of ids (school ids, mostly), cheap however many there are.

    One id stays `path = id` (an equality the planner can use to read an index in order); two or more go as
    one array (OneOfIds).
    """
    ids = list(ids)
    if len(ids) < 2:
        return models.Q(**{f"{path}__in": ids})
    return models.Q(OneOfIds(models.F(path), ids))


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
        return self.filter(among(self.model.school_path, school_ids))

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

        authorities = School.objects.filter(among("pk", school_ids)).values("authority_id")
        return (
            among("school_id", school_ids)
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


# --- Links between records stay inside one school (every write, whatever writes it) ---------------------------


def _school_of(model: type[models.Model]) -> models.ForeignKey | None:
    """The model's own `school` foreign key, if it has one."""
    try:
        field = model._meta.get_field("school")
    except Exception:  # noqa: BLE001 (FieldDoesNotExist: a model that is not school-owned)
        return None
    return field if field.many_to_one and field.related_model._meta.label == "fits.School" else None


def school_links(model: type[models.Model]) -> list[models.Field]:
    """The foreign keys and many-to-many fields of `model` that point at another school-owned model."""
    links = getattr(model, "_fits_school_links", None)
    if links is None:
        links = [
            field
            for field in model._meta.get_fields()
            if field.concrete
            and (field.many_to_one or field.many_to_many)
            and field.name != "school"
            and _school_of(field.related_model) is not None
        ]
        model._fits_school_links = links
    return links


def _refuse_foreign(record: models.Model, field: models.Field, targets: list[tuple[int | None, int | None]]) -> None:
    """`targets` are (school_id, authority_id) of the linked rows; shared rows (no school) count when they are
    shared with everyone or with the record's own authority."""
    authority_id = None
    for school_id, target_authority in targets:
        if school_id == record.school_id or (school_id is None and target_authority is None):
            continue
        if school_id is None:
            if authority_id is None:
                from fits.models import School

                authority_id = School.objects.filter(pk=record.school_id).values_list("authority_id", flat=True)[0]
            if target_authority == authority_id:
                continue
        name = field.related_model._meta.verbose_name
        raise ValidationError({field.name: f"That {name} belongs to another school."})


def _school_and_authority(model: type[models.Model], pks: Any) -> list[tuple[int | None, int | None]]:
    has_authority = any(f.name == "authority" for f in model._meta.concrete_fields)
    columns = ("school_id", "authority_id") if has_authority else ("school_id",)
    rows = model._base_manager.filter(pk__in=pks).values_list(*columns)
    return [(row[0], row[1] if has_authority else None) for row in rows]


def refuse_links_to_other_schools(sender: type[models.Model], instance: models.Model, raw: bool = False, **_) -> None:
    """pre_save of every school-owned model: a foreign key to another school's record is refused.

    Forms and serializers already offer only what the user can see (scope_choices), and services check their
    own links (ensure_same_school); this is the floor under both, for someone who sees two schools (a
    technician shared by two schools, a consultant, an administrator) and for code that forgot. A linked row
    already loaded costs nothing; one given by id costs one query.
    """
    if raw or getattr(instance, "school_id", None) is None:
        return
    for field in school_links(sender):
        if not field.many_to_one:
            continue
        if field.is_cached(instance):
            target = field.get_cached_value(instance)
            if target is not None:
                _refuse_foreign(instance, field, [(target.school_id, getattr(target, "authority_id", None))])
            continue
        pk = getattr(instance, field.attname)
        if pk is not None:
            _refuse_foreign(instance, field, _school_and_authority(field.related_model, [pk]))


def refuse_many_to_many_to_other_schools(
    sender: Any, instance: models.Model, action: str, reverse: bool, model: type[models.Model], pk_set: Any, **_
) -> None:
    """m2m_changed of every school-owned model's links: adding another school's rows is refused."""
    if action != "pre_add" or reverse or not pk_set or getattr(instance, "school_id", None) is None:
        return
    field = next(f for f in school_links(type(instance)) if f.many_to_many and f.remote_field.through is sender)
    _refuse_foreign(instance, field, _school_and_authority(model, pk_set))


def is_history(model: type[models.Model]) -> bool:
    """A django-simple-history copy: it records what the row pointed at then, and is never refused."""
    return any(field.name == "history_id" for field in model._meta.concrete_fields)


def guard_school_links() -> None:
    """Connect the two guards above to every school-owned model with links (fits.apps.FitsConfig.ready)."""
    from django.apps import apps
    from django.db.models.signals import m2m_changed, pre_save

    for model in apps.get_models():
        if _school_of(model) is None or not school_links(model) or is_history(model):
            continue
        pre_save.connect(refuse_links_to_other_schools, sender=model, dispatch_uid=f"school-links-{model._meta.label}")
        for field in school_links(model):
            if field.many_to_many:
                m2m_changed.connect(
                    refuse_many_to_many_to_other_schools,
                    sender=field.remote_field.through,
                    dispatch_uid=f"school-links-{model._meta.label}-{field.name}",
                )


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
    return schools if user.is_superuser else schools.filter(among("pk", user.visible_school_ids))


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
        among("membership__school", school_ids) | among("authorityrole__authority__schools", school_ids)
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
