"""The one scoping rule (fits/scoping.py): a school's records answer only to people with a role there."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from fits import activity
from fits.models import Activity, AuthorityRole, AuthorityRoleKind, Membership, ReferenceSequence, Role, School, User
from fits.scoping import ensure_same_school, people_visible_to, schools_visible_to
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(highfield, riverside, westfield, log_incident, tech, tech2, outsider):
    """One logged incident (and so one timeline entry) at each school."""
    return {
        school.slug: log_incident(school, by=who)
        for school, who in ((highfield, tech), (riverside, tech2), (westfield, outsider))
    }


def visible_slugs(user) -> set[str]:
    """Through a model with the plain rule (each logged incident took a reference at its school)."""
    return set(ReferenceSequence.objects.visible_to(user).values_list("school__slug", flat=True))


def test_timelines_in_bulk_are_for_support_staff(entries, staff, tech):
    """An ICT user reads a timeline only through its record's page, never Activity in bulk."""
    assert not Activity.objects.visible_to(staff).exists()
    assert set(Activity.objects.visible_to(tech).values_list("school__slug", flat=True)) == {"highfield"}


def test_superuser_sees_every_school(entries, admin_user):
    assert visible_slugs(admin_user) == {"highfield", "riverside", "westfield"}


def test_consultant_sees_the_schools_of_their_authority_only(entries, consultant):
    assert visible_slugs(consultant) == {"highfield", "riverside"}


@pytest.mark.parametrize(
    ("person", "slugs"),
    [
        ("tech", {"highfield"}),
        ("desk", {"highfield"}),
        ("netmgr", {"highfield"}),
        ("leader", {"highfield"}),
        ("staff", {"highfield"}),
        ("tech2", {"riverside"}),
        ("outsider", {"westfield"}),
    ],
)
def test_school_roles_see_their_own_school_only(entries, cast, person, slugs):
    assert visible_slugs(cast[person]) == slugs


def test_anonymous_sees_nothing(entries):
    assert not ReferenceSequence.objects.visible_to(AnonymousUser()).exists()
    assert not ReferenceSequence.objects.visible_to(None).exists()


def test_inactive_user_sees_nothing_even_as_superuser(entries, tech, admin_user):
    for person in (tech, admin_user):
        person.is_active = False
        person.save()
        assert not Activity.objects.visible_to(User.objects.get(pk=person.pk)).exists()


def test_person_without_a_role_sees_nothing(entries):
    assert visible_slugs(make_person("newcomer")) == set()


def test_an_inactive_school_drops_out_of_view(entries, tech, consultant, highfield):
    highfield.is_active = False
    highfield.save()
    assert visible_slugs(User.objects.get(pk=tech.pk)) == set()
    assert visible_slugs(User.objects.get(pk=consultant.pk)) == {"riverside"}


def test_roles_add_up_across_schools_and_authorities(highfield, riverside, westfield, wigan, tech):
    Membership.objects.create(user=tech, school=riverside, role=Role.ICT_USER)
    AuthorityRole.objects.create(user=tech, authority=wigan, role=AuthorityRoleKind.SUPPORT)
    tech = User.objects.get(pk=tech.pk)
    assert tech.school_roles == {
        highfield.pk: {Role.TECHNICIAN},
        riverside.pk: {Role.ICT_USER},
        westfield.pk: {AuthorityRoleKind.SUPPORT},
    }
    assert sorted(tech.visible_school_ids) == sorted([highfield.pk, riverside.pk, westfield.pk])
    assert tech.roles_at(None) == frozenset()


def test_of_school_narrows_to_the_chosen_school(entries, consultant, riverside):
    narrowed = Activity.objects.visible_to(consultant).of_school(riverside.pk)
    assert set(narrowed.values_list("school__slug", flat=True)) == {"riverside"}
    assert Activity.objects.visible_to(consultant).of_school(None).count() == 2


def test_schools_visible_to(highfield, riverside, westfield, consultant, tech, admin_user):
    assert set(schools_visible_to(admin_user)) == {highfield, riverside, westfield}
    assert set(schools_visible_to(consultant)) == {highfield, riverside}
    assert set(schools_visible_to(tech)) == {highfield}
    assert not schools_visible_to(AnonymousUser()).exists()
    westfield.is_active = False
    westfield.save()
    assert set(schools_visible_to(admin_user)) == {highfield, riverside}


def test_people_visible_to_are_the_people_of_my_schools(cast):
    assert set(people_visible_to(cast["tech2"])) == {cast["tech2"], cast["consultant"]}
    highfield_people = {cast[n] for n in ("consultant", "leader", "netmgr", "tech", "desk", "staff")}
    assert set(people_visible_to(cast["desk"])) == highfield_people
    assert set(people_visible_to(cast["consultant"])) == highfield_people | {cast["tech2"]}
    assert set(people_visible_to(cast["admin"])) == set(User.objects.all())
    assert not people_visible_to(AnonymousUser()).exists()


def test_ensure_same_school_refuses_records_of_two_schools(entries):
    highfield_incident, riverside_incident = entries["highfield"], entries["riverside"]
    entry = activity.timeline(highfield_incident, include_internal=True).get()
    ensure_same_school(highfield_incident, entry, None)  # same school, or nothing linked: fine
    with pytest.raises(ValidationError, match="belongs to another school"):
        ensure_same_school(highfield_incident, riverside_incident)


def test_school_owned_rows_carry_the_scoped_manager():
    assert hasattr(Activity.objects, "visible_to")
    assert not hasattr(School.objects, "visible_to")  # a school is not owned by a school


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_among_selects_what_in_selects(highfield, riverside, westfield, count):
    """`among` (one array of ids on PostgreSQL) keeps `__in`'s rows, negated too, over a relation too."""
    from django.db.models import Q

    from fits.scoping import among

    ids = [school.pk for school in (highfield, riverside, westfield)][:count]
    schools = School.objects.order_by("pk")
    for path in ("pk", "authority__schools"):
        assert list(schools.filter(among(path, ids))) == list(schools.filter(**{f"{path}__in": ids}))
        assert list(schools.exclude(among(path, ids))) == list(schools.exclude(**{f"{path}__in": ids}))
        either = among(path, ids) | Q(slug="westfield")
        assert list(schools.filter(either)) == list(schools.filter(Q(**{f"{path}__in": ids}) | Q(slug="westfield")))
