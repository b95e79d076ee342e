"""Who may do what (fits/access.py): the predicates the services check and the pages draw buttons from."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from fits import access
from tests.conftest import make_person

pytestmark = pytest.mark.django_db

EVERYONE = ("admin", "consultant", "leader", "netmgr", "tech", "desk", "staff", "tech2", "outsider")


def allowed(predicate, cast, obj) -> set[str]:
    return {name for name in EVERYONE if predicate.test(cast[name], obj)}


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (access.can_view_school, {"admin", "consultant", "leader", "netmgr", "tech", "desk", "staff"}),
        (access.can_manage_school, {"admin", "netmgr"}),
        # The consultant reviews; they do not log incidents at a school.
        (access.can_log_incident, {"admin", "leader", "netmgr", "tech", "desk", "staff"}),
        (access.can_log_for_others, {"admin", "netmgr", "tech", "desk"}),
        (access.can_route_incident, {"admin", "netmgr", "tech", "desk"}),
        (access.can_work_incident, {"admin", "netmgr", "tech"}),
        (access.can_see_internal_notes, {"admin", "consultant", "leader", "netmgr", "tech", "desk"}),
    ],
)
def test_school_predicates_at_highfield(cast, highfield, predicate, expected):
    assert allowed(predicate, cast, highfield) == expected


def test_predicates_take_any_record_that_carries_a_school(cast, highfield, log_incident):
    incident = log_incident(highfield, by=cast["staff"])
    assert allowed(access.can_work_incident, cast, incident) == {"admin", "netmgr", "tech"}


def test_the_caller_may_close_and_reopen_their_own_incident_only(cast, highfield, log_incident):
    mine = log_incident(highfield, by=cast["staff"])
    someone_elses = log_incident(highfield, by=cast["leader"])
    expected = {"admin", "staff", "desk", "netmgr", "tech"}
    assert allowed(access.can_close_incident, cast, mine) == expected
    assert allowed(access.can_reopen_incident, cast, mine) == expected
    assert "staff" not in allowed(access.can_close_incident, cast, someone_elses)
    assert "leader" in allowed(access.can_close_incident, cast, someone_elses)  # as its caller


def test_commenting_is_for_the_caller_and_the_school_staff(cast, highfield, log_incident):
    incident = log_incident(highfield, by=cast["staff"])
    assert allowed(access.can_comment_incident, cast, incident) == {
        "admin",
        "staff",
        "desk",
        "tech",
        "netmgr",
        "leader",
    }


def test_authority_support_unit_works_its_schools_incidents(bolton, highfield, westfield):
    from fits.models import AuthorityRole, AuthorityRoleKind

    unit = make_person("ictunit")
    AuthorityRole.objects.create(user=unit, authority=bolton, role=AuthorityRoleKind.SUPPORT)
    assert access.can_work_incident.test(unit, highfield)
    assert access.can_log_incident.test(unit, highfield)
    assert access.can_log_for_others.test(unit, highfield)
    assert not access.can_work_incident.test(unit, westfield)


def test_anonymous_may_do_nothing(highfield):
    anonymous = AnonymousUser()
    for predicate in (access.can_view_school, access.can_log_incident, access.can_work_incident):
        assert not predicate.test(anonymous, highfield)


def test_require_raises_permission_denied_with_the_message(cast, highfield):
    access.require(access.can_work_incident, cast["tech"], highfield)
    with pytest.raises(PermissionDenied, match="You do not have permission to do that."):
        access.require(access.can_work_incident, cast["staff"], highfield)
    with pytest.raises(PermissionDenied, match="Technicians only."):
        access.require(access.can_work_incident, cast["outsider"], highfield, "Technicians only.")


def test_here_or_anywhere_falls_back_to_any_of_the_users_schools(cast, highfield, riverside):
    anywhere = access.here_or_anywhere(access.can_work_incident)
    assert anywhere.test(cast["tech2"], None)  # a technician somewhere
    assert not anywhere.test(cast["tech2"], highfield)  # but not here
    assert anywhere.test(cast["tech2"], riverside)
    assert not anywhere.test(cast["staff"], None)
    assert not anywhere.test(cast["consultant"], None)
    assert anywhere.test(cast["admin"], None)
    assert not anywhere.test(AnonymousUser(), None)
